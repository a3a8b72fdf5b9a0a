import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { Batcher } from "../src/recorder/batcher.ts";
import { Identity } from "../src/recorder/identity.ts";
import { memoryStore } from "./memory-store.mjs";

const URL = "http://playhead.test/api/v1/ingest";
let requests;
let answers;
let warnings;
const realFetch = globalThis.fetch;
const realWarn = console.warn;

// fetch stand-in: records each request and answers from the answers list
// (then 202).
beforeEach(() => {
  requests = [];
  answers = [];
  warnings = [];
  console.warn = (msg) => warnings.push(msg);
  globalThis.fetch = async (url, init) => {
    let raw = init.body instanceof Blob ? Buffer.from(await init.body.arrayBuffer()) : Buffer.from(init.body);
    const gzip = init.headers["Content-Encoding"] === "gzip";
    if (gzip) raw = gunzipSync(raw);
    const text = raw.toString("utf8");
    requests.push({ url, init, gzip, text, body: JSON.parse(text) });
    const answer = answers.shift() ?? { status: 202 };
    if (answer.error) throw new TypeError("network");
    return new Response(JSON.stringify(answer.body ?? {}), { status: answer.status, headers: answer.headers ?? {} });
  };
});

afterEach(() => {
  globalThis.fetch = realFetch;
  console.warn = realWarn;
});

function setup(tab = memoryStore(), on = {}) {
  const identity = new Identity(memoryStore(), tab, Date.now());
  return { identity, tab, batcher: new Batcher(URL, "KEY", identity, tab, on) };
}

const event = (i, pad = 0) => ({ type: 3, timestamp: 1_800_000_000_000 + i, data: { source: 1, i, pad: "x".repeat(pad) } });

test("flush sends one gzipped batch with the exact envelope", async () => {
  const { batcher, identity } = setup();
  batcher.add(event(1));
  batcher.add(event(2));
  await batcher.flush();
  assert.equal(requests.length, 1);
  const r = requests[0];
  assert.equal(r.url, URL);
  assert.equal(r.gzip, true);
  assert.equal(r.init.headers["Content-Type"], "application/json");
  assert.equal(r.init.keepalive, false);
  assert.deepEqual(Object.keys(r.body), ["key", "session", "window", "seq", "events"]);
  assert.equal(r.body.key, "KEY");
  assert.equal(r.body.session, identity.sessionId);
  assert.equal(r.body.window, identity.windowId);
  assert.equal(r.body.seq, 0);
  assert.deepEqual(r.body.events, [event(1), event(2)]);
});

test("batches are numbered and delivered in order, one at a time", async () => {
  const { batcher } = setup();
  for (let i = 0; i < 1200; i++) batcher.add(event(i)); // 500-event batches are cut as they fill
  await batcher.flush();
  assert.deepEqual(requests.map((r) => [r.body.seq, r.body.events.length]), [[0, 500], [1, 500], [2, 200]]);
  assert.deepEqual(requests.flatMap((r) => r.body.events.map((e) => e.data.i)), [...Array(1200).keys()]);
});

test("a failed batch is retried with the same seq, honouring Retry-After", async () => {
  const { batcher } = setup();
  answers.push({ status: 503, headers: { "Retry-After": "0" } }, { error: true }, { status: 429, headers: { "Retry-After": "0" } });
  batcher.add(event(1));
  const flushed = batcher.flush();
  await flushed;
  assert.deepEqual(requests.map((r) => r.body.seq), [0, 0, 0, 0]);
  assert.equal(warnings.length, 0);
});

test("a refused batch is dropped with a warning and flush rejects", async () => {
  const { batcher } = setup();
  answers.push({ status: 400 });
  batcher.add(event(1));
  await assert.rejects(batcher.flush());
  assert.equal(requests.length, 1);
  assert.equal(warnings.length, 1);
  batcher.add(event(2));
  await batcher.flush();
  assert.deepEqual(requests.map((r) => r.body.seq), [0, 1]);
});

test("a batch over a server limit (413) is dropped, not retried; 408 is retried", async () => {
  const { batcher } = setup();
  answers.push({ status: 413 });
  batcher.add(event(1));
  await assert.rejects(batcher.flush());
  assert.equal(requests.length, 1);
  assert.match(warnings[0], /HTTP 413/);
  answers.push({ status: 408, headers: { "Retry-After": "0" } });
  batcher.add(event(2));
  await batcher.flush();
  assert.deepEqual(requests.map((r) => r.body.seq), [0, 1, 1]);
});

test("hiding the page sends keepalive batches of at most 60 KB, uncompressed", async () => {
  const { batcher } = setup();
  for (let i = 0; i < 40; i++) batcher.add(event(i, 4000)); // ~160 KB
  batcher.hide(false);
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(requests.length >= 1);
  let total = 0;
  for (const r of requests) {
    assert.equal(r.init.keepalive, true);
    assert.equal(r.gzip, false);
    assert.ok(Buffer.byteLength(r.text) <= 60 * 1024, `${Buffer.byteLength(r.text)} bytes`);
    total += Buffer.byteLength(r.text);
  }
  // Keepalive bodies in flight stay within the budget; the rest waits for
  // the normal path.
  assert.ok(total <= 60 * 1024);
  await batcher.flush();
  assert.ok(requests.length >= 3);
  const seqs = [...new Set(requests.map((r) => r.body.seq))].sort((a, b) => a - b);
  assert.deepEqual(requests.flatMap((r) => r.body.events).length, 40);
  assert.deepEqual(seqs, [...Array(seqs.length).keys()]);
});

test("keepalive batches count bytes, not characters, of text outside ASCII", async () => {
  const { batcher } = setup();
  // 40 events of 4,000 two-byte characters: ~320 KB as UTF-8, ~160 K characters.
  for (let i = 0; i < 40; i++) batcher.add({ type: 3, timestamp: 1_800_000_000_000 + i, data: { source: 1, i, pad: "é".repeat(4000) } });
  batcher.hide(false);
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(requests.length >= 1);
  let total = 0;
  for (const r of requests) {
    assert.equal(r.init.keepalive, true);
    assert.ok(Buffer.byteLength(r.text) <= 60 * 1024, `${Buffer.byteLength(r.text)} bytes`);
    total += Buffer.byteLength(r.text);
  }
  assert.ok(total <= 60 * 1024, `${total} bytes in flight`);
  await batcher.flush();
  assert.equal(requests.flatMap((r) => r.body.events).filter((e) => e.data.pad.length === 4000).length, 40);
});

test("what a leaving page cannot send is handed to the next page of the tab", async () => {
  const first = setup();
  first.batcher.add(event(1, 100_000)); // larger than any keepalive request
  first.batcher.add(event(2));
  first.batcher.hide(true);
  await new Promise((r) => setTimeout(r, 10));
  const sent = requests.map((r) => r.body.seq);
  assert.deepEqual(first.tab.get("playhead:pending").length, 1);

  const next = setup(first.tab);
  next.batcher.adoptPending();
  await next.batcher.flush();
  assert.equal(first.tab.get("playhead:pending"), null);
  const all = requests.map((r) => r.body.seq);
  assert.deepEqual(all.slice(0, sent.length), sent);
  assert.deepEqual(requests.flatMap((r) => r.body.events.map((e) => e.data.i)).sort(), [1, 2]);
});

test("stop forgets unsent events and sends nothing more", async () => {
  const { batcher, tab } = setup();
  tab.set("playhead:pending", ["{}"]);
  batcher.add(event(1));
  batcher.stop();
  batcher.add(event(2));
  await batcher.flush();
  assert.equal(requests.length, 0);
  assert.equal(tab.get("playhead:pending"), null);
});

const refusal = (status, code) => ({ status, body: { error: { code, message: `the ${code} message` } } });

test("a refused batch is reported once per error code, with the server's code and message", async () => {
  const { batcher } = setup();
  answers.push(refusal(400, "invalid_events"), refusal(400, "invalid_events"), refusal(413, "body_too_large"));
  for (let i = 0; i < 3; i++) {
    batcher.add(event(i));
    await assert.rejects(batcher.flush());
  }
  assert.deepEqual(warnings, [
    "playhead: the server refused a batch of events (HTTP 400 invalid_events: the invalid_events message)",
    "playhead: the server refused a batch of events (HTTP 413 body_too_large: the body_too_large message)",
  ]);
});

for (const [status, code] of [[401, "unknown_key"], [403, "project_disabled"], [403, "origin_not_allowed"]]) {
  test(`a ${status} ${code} stops the recording for the page`, async () => {
    let refused = 0;
    const { batcher, tab } = setup(memoryStore(), { refused: () => refused++ });
    answers.push(refusal(status, code));
    for (let i = 0; i < 1200; i++) batcher.add(event(i)); // three batches
    await assert.rejects(batcher.flush());
    batcher.add(event(2000));
    batcher.hide(true);
    await batcher.flush();
    assert.equal(requests.length, 1, "one request, not one per batch");
    assert.equal(refused, 1);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].includes(code));
    assert.equal(tab.get("playhead:pending"), null);
  });
}

test("the project named in the server's answer is handed on", async () => {
  const ids = [];
  const { batcher } = setup(memoryStore(), { project: (id) => ids.push(id) });
  answers.push({ status: 202, body: { stored: true, duplicate: false, project: 7 } });
  batcher.add(event(1));
  await batcher.flush();
  assert.deepEqual(ids, [7]);
});

test("nothing is sent before the minimum duration; then everything is", async () => {
  const { batcher } = setup();
  batcher.hold(Date.now() + 150);
  batcher.add(event(1));
  batcher.cut();
  batcher.hide(false); // not even keepalive copies
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(requests.length, 0);
  await batcher.flush();
  assert.equal(requests.length, 1);
});

test("a page's worth of large events is split into batches under the server's limits", async () => {
  const { batcher } = setup();
  // 10,000 nodes rewritten at once, as 10,000 events of 300 bytes.
  for (let i = 0; i < 10_000; i++) batcher.add(event(i, 300));
  await batcher.flush();
  for (const r of requests) {
    assert.ok(r.body.events.length <= 500);
    assert.ok(Buffer.byteLength(r.text) <= 512 * 1024);
  }
  assert.equal(requests.flatMap((r) => r.body.events).length, 10_000);
});
