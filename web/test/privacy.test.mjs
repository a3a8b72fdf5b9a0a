import { test } from "node:test";
import assert from "node:assert/strict";
import { stripURL, scrubText, CARD_MASK, EMAIL_MASK } from "../src/recorder/privacy.ts";
import { scrubEvent, MAX_VALUE } from "../src/recorder/scrub.ts";
import { Bucket } from "../src/recorder/limits.ts";
import { sampled } from "../src/recorder/options.ts";

const rules = { allowParams: ["utm_*"], maskPaths: [] };
const base = "https://shop.example/a/b?x=1";

test("URLs lose their fragment and every query parameter not allowed", () => {
  const cases = [
    ["https://shop.example/reset?token=abc#top", "https://shop.example/reset"],
    ["/search?q=ada+lovelace&utm_source=news&utm_medium=mail", "https://shop.example/search?utm_source=news&utm_medium=mail"],
    ["checkout#step-2", "https://shop.example/a/checkout"],
    ["https://cdn.example/app.js?v=3", "https://cdn.example/app.js"],
    ["data:image/png;base64,AAAA", "data:"],
    ["blob:https://shop.example/1234", "blob:"],
    ["http://[bad", ""],
  ];
  for (const [raw, want] of cases) assert.equal(stripURL(raw, base, rules), want, raw);
  assert.equal(stripURL("/p?ref=x&id=2&utm_x=1", base, { allowParams: ["id"], maskPaths: [] }), "https://shop.example/p?id=2");
  assert.equal(stripURL("/p?a=1", base, { allowParams: [], maskPaths: [] }), "https://shop.example/p");
});

test("path patterns mask the site's tokens; maskURL has the last word", () => {
  const r = { allowParams: [], maskPaths: ["/reset/:token", "/u/:user/orders"] };
  assert.equal(stripURL("/reset/s3cr3t?x=1", base, r), "https://shop.example/reset/:token");
  assert.equal(stripURL("/u/ada/orders", base, r), "https://shop.example/u/:user/orders");
  assert.equal(stripURL("/u/ada/profile", base, r), "https://shop.example/u/ada/profile");
  assert.equal(stripURL("/reset", base, r), "https://shop.example/reset");
  const m = { allowParams: [], maskPaths: [], maskURL: (u) => u.replace(/\d+/g, "N") };
  assert.equal(stripURL("/order/123", base, m), "https://shop.example/order/N");
  const broken = { allowParams: [], maskPaths: [], maskURL: () => { throw new Error("x"); } };
  assert.equal(stripURL("/order/123?a", base, broken), "https://shop.example/order/123");
});

test("card numbers passing Luhn are replaced, with or without separators", () => {
  const on = { cards: true, emails: false };
  const cases = [
    ["4111111111111111", CARD_MASK],
    ["Card: 4111 1111 1111 1111.", `Card: ${CARD_MASK}.`],
    ["5500-0000-0000-0004 expires", `${CARD_MASK} expires`],
    ["amex 3782 822463 10005", `amex ${CARD_MASK}`],
    ["4111 1111 1111 1111 2024", `${CARD_MASK} 2024`],
    ["order 12 4111111111111111", `order 12 ${CARD_MASK}`],
    ["6011000990139424 and 4012888888881881", `${CARD_MASK} and ${CARD_MASK}`],
    ["4222222222222", CARD_MASK], // the shortest: 13 digits
  ];
  for (const [text, want] of cases) assert.equal(scrubText(text, on), want, text);
});

test("text that is not a card or an e-mail survives unchanged", () => {
  const on = { cards: true, emails: true };
  for (const text of [
    "4111111111111112", // fails Luhn
    "Call +44 20 7946 0958 today",
    "Order #1234567890123 shipped", // 13 digits, fails Luhn
    "Total 1 234 567,89 EUR on 2024-06-01",
    "0000000000000000",
    "ISBN 978-3-16-148410-0",
    "12345678901234567890123", // too long for a card
    "user at example dot com",
    "@handle and a@b",
    "",
  ])
    assert.equal(scrubText(text, on), text, text);
});

test("e-mail addresses are replaced only when asked", () => {
  const text = "Write to ada.lovelace+shop@mail.example.co.uk today";
  assert.equal(scrubText(text, { cards: true, emails: false }), text);
  assert.equal(scrubText(text, { cards: true, emails: true }), `Write to ${EMAIL_MASK} today`);
  assert.equal(scrubText("4111111111111111", { cards: false, emails: true }), "4111111111111111");
  assert.equal(scrubText("a@b.cc", { cards: true, emails: true }), EMAIL_MASK); // the shortest
});

test("events are scrubbed in text, attributes, mutations and secret <meta> tags", () => {
  const rules = { cards: true, emails: true };
  const snap = {
    type: 2,
    data: {
      node: {
        type: 0,
        childNodes: [
          { type: 2, tagName: "meta", attributes: { name: "csrf-token", content: "S3CRET" }, childNodes: [] },
          { type: 2, tagName: "meta", attributes: { name: "viewport", content: "width=device-width" }, childNodes: [] },
          { type: 2, tagName: "p", attributes: { title: "ada@example.com" }, childNodes: [{ type: 3, textContent: "Paid with 4111 1111 1111 1111" }] },
          { type: 2, tagName: "style", attributes: {}, childNodes: [{ type: 3, textContent: ".a{}", isStyle: true }] },
        ],
      },
    },
  };
  scrubEvent(snap, rules, (u) => u);
  const json = JSON.stringify(snap);
  for (const secret of ["S3CRET", "ada@example.com", "4111"]) assert.ok(!json.includes(secret), secret);
  assert.ok(json.includes("width=device-width"));

  const mutation = {
    type: 3,
    data: {
      source: 0,
      texts: [{ id: 1, value: "card 4111111111111111" }],
      attributes: [{ id: 2, attributes: { "data-email": "a.b@c.example" } }],
      adds: [{ parentId: 1, node: { type: 3, textContent: "5500 0000 0000 0004" } }],
      removes: [],
    },
  };
  scrubEvent(mutation, rules, (u) => u);
  assert.deepEqual(mutation.data.texts[0].value, `card ${CARD_MASK}`);
  assert.deepEqual(mutation.data.attributes[0].attributes["data-email"], EMAIL_MASK);
  assert.deepEqual(mutation.data.adds[0].node.textContent, CARD_MASK);

  const meta = { type: 4, data: { href: "https://shop.example/?token=x#y", width: 1, height: 1 } };
  scrubEvent(meta, rules, (u) => stripURL(u, u, { allowParams: [], maskPaths: [] }));
  assert.equal(meta.data.href, "https://shop.example/");
});

test("a bucket allows its burst, then its rate", () => {
  let now = 0;
  const b = new Bucket(3, 2, () => now);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
  now += 499;
  assert.equal(b.take(), false);
  now += 1;
  assert.equal(b.take(), true);
  now += 10_000;
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
});

test("sampling decides alike for one session id and keeps about the rate", () => {
  assert.equal(sampled("abc", 1), true);
  assert.equal(sampled("abc", 0), false);
  assert.equal(sampled("some-session", 0.5), sampled("some-session", 0.5));
  let kept = 0;
  for (let i = 0; i < 10_000; i++) if (sampled("session-" + i, 0.25)) kept++;
  assert.ok(kept > 2200 && kept < 2800, `${kept} of 10000 kept at 0.25`);
});

test("an attribute or text over MAX_VALUE is recorded empty; style sheets stay whole", () => {
  const huge = "data:image/png;base64," + "A".repeat(MAX_VALUE);
  const css = "b{color:red}".repeat(MAX_VALUE / 6);
  const text = "x".repeat(MAX_VALUE + 1);
  const img = { type: 2, tagName: "img", attributes: { src: huge, alt: "ok" }, childNodes: [] };
  const style = { type: 2, tagName: "style", attributes: {}, childNodes: [{ type: 3, textContent: css, isStyle: true }] };
  const link = { type: 2, tagName: "link", attributes: { _cssText: css }, childNodes: [] };
  const p = { type: 2, tagName: "p", attributes: {}, childNodes: [{ type: 3, textContent: text }] };
  const snap = { type: 2, timestamp: 1, data: { node: { type: 0, childNodes: [img, style, link, p] } } };
  scrubEvent(snap, { cards: true, emails: false }, (u) => u);
  assert.equal(img.attributes.src, "");
  assert.equal(img.attributes.alt, "ok");
  assert.equal(style.childNodes[0].textContent, css);
  assert.equal(link.attributes._cssText, css);
  assert.equal(p.childNodes[0].textContent, "");
  const fits = "y".repeat(MAX_VALUE);
  const mutation = {
    type: 3,
    timestamp: 2,
    data: { source: 0, texts: [{ id: 1, value: text }, { id: 2, value: fits }], attributes: [{ id: 3, attributes: { src: huge } }], adds: [], removes: [] },
  };
  scrubEvent(mutation, { cards: true, emails: false }, (u) => u);
  assert.deepEqual(mutation.data.texts.map((t) => t.value.length), [0, MAX_VALUE]);
  assert.equal(mutation.data.attributes[0].attributes.src, "");
});
