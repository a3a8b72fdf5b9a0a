import { test } from "node:test";
import assert from "node:assert/strict";
import { fromScript } from "../src/recorder/options.ts";

// configure resolves the server against the page's address.
globalThis.location = new URL("https://shop.example/");

const tag = (dataset) => ({ dataset, src: "https://playhead.example/playhead.js?key=ph_k" });

test("the project's settings hold when the tag says nothing", () => {
  const c = fromScript(tag({}), {
    key: "ph_k", sampleRate: 0.25, maskAllText: true, scrubEmails: true,
    allowParams: ["ref", "utm_*"], maskPaths: ["/reset/:token"], network: false, console: false,
  });
  assert.equal(c.key, "ph_k");
  assert.equal(c.server, "https://playhead.example");
  assert.equal(c.sampleRate, 0.25);
  assert.equal(c.maskAllText, true);
  assert.equal(c.scrubEmails, true);
  assert.deepEqual(c.allowParams, ["ref", "utm_*"]);
  assert.deepEqual(c.maskPaths, ["/reset/:token"]);
  assert.equal(c.network, false);
  assert.equal(c.console, false);
});

test("the tag tightens the project's settings but never loosens them", () => {
  const project = { key: "ph_k", sampleRate: 0.5, allowParams: ["utm_*", "ref"], maskPaths: ["/reset/:token"], network: false };
  const loose = fromScript(tag({ sampleRate: "1", maskAllText: "false", allowParams: "*,q,utm_*,utm_source,ref", network: "true" }), project);
  assert.equal(loose.sampleRate, 0.5);
  assert.equal(loose.maskAllText, false);
  assert.deepEqual(loose.allowParams, ["utm_*", "utm_source", "ref"]);
  assert.equal(loose.network, false);

  const tight = fromScript(tag({ sampleRate: "0.1", maskAllText: "", scrubEmails: "true", maskPaths: "/u/:id", console: "false" }), project);
  assert.equal(tight.sampleRate, 0.1);
  assert.equal(tight.maskAllText, true);
  assert.equal(tight.scrubEmails, true);
  assert.deepEqual(tight.maskPaths, ["/u/:id", "/reset/:token"]);
  assert.equal(tight.console, false);
});

test("without settings the tag's options apply as written", () => {
  const c = fromScript(tag({ key: "ph_tag", allowParams: "q", sampleRate: "0.3" }));
  assert.equal(c.key, "ph_tag");
  assert.deepEqual(c.allowParams, ["q"]);
  assert.equal(c.sampleRate, 0.3);
  assert.equal(c.maskAllText, false);
  assert.equal(c.network, true);
});
