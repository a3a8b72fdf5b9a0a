import { test } from "node:test";
import assert from "node:assert/strict";
import { Identity, IDLE_MS, MAX_SESSION_MS } from "../src/recorder/identity.ts";
import { memoryStore } from "./memory-store.mjs";

const ID = /^[A-Za-z0-9_-]{22}$/;
const T0 = 1_800_000_000_000;

// A page of one tab: pagehide clears the open flag before the next load.
function reload(shared, tab, now) {
  return new Identity(shared, tab, now);
}

test("a first visit starts a session and a window with seq 0", () => {
  const shared = memoryStore();
  const tab = memoryStore();
  const id = new Identity(shared, tab, T0);
  assert.match(id.sessionId, ID);
  assert.match(id.windowId, ID);
  assert.notEqual(id.sessionId, id.windowId);
  assert.equal(id.nextSeq(), 0);
  assert.equal(id.nextSeq(), 1);
  assert.deepEqual(shared.get("playhead:session"), { id: id.sessionId, start: T0, last: T0 });
});

test("a reload of the tab keeps session, window and seq numbering", () => {
  const shared = memoryStore();
  const tab = memoryStore();
  const first = new Identity(shared, tab, T0);
  first.nextSeq();
  first.nextSeq();
  first.markOpen(false); // pagehide
  const second = reload(shared, tab, T0 + 1000);
  assert.equal(second.sessionId, first.sessionId);
  assert.equal(second.windowId, first.windowId);
  assert.equal(second.nextSeq(), 2);
});

test("another tab shares the session but gets its own window", () => {
  const shared = memoryStore();
  const a = new Identity(shared, memoryStore(), T0);
  const b = new Identity(shared, memoryStore(), T0 + 5000);
  assert.equal(b.sessionId, a.sessionId);
  assert.notEqual(b.windowId, a.windowId);
  assert.equal(b.nextSeq(), 0);
});

test("a duplicated tab (sessionStorage copied while open) gets a new window", () => {
  const shared = memoryStore();
  const tab = memoryStore();
  const original = new Identity(shared, tab, T0);
  const copy = memoryStore();
  for (const [k, v] of tab.map) copy.map.set(k, v);
  const duplicate = new Identity(shared, copy, T0 + 10);
  assert.equal(duplicate.sessionId, original.sessionId);
  assert.notEqual(duplicate.windowId, original.windowId);
});

test("30 minutes without activity start a new session and window", () => {
  const shared = memoryStore();
  const tab = memoryStore();
  const first = new Identity(shared, tab, T0);
  first.touch(T0 + 1000);
  first.markOpen(false);
  const within = reload(shared, tab, T0 + 1000 + IDLE_MS);
  assert.equal(within.sessionId, first.sessionId);
  within.markOpen(false);
  const after = reload(shared, tab, T0 + 1000 + 2 * IDLE_MS + 1);
  assert.notEqual(after.sessionId, first.sessionId);
  assert.notEqual(after.windowId, first.windowId);
  assert.equal(after.nextSeq(), 0);
});

test("a session ends after 24 hours even while active", () => {
  const shared = memoryStore();
  const id = new Identity(shared, memoryStore(), T0);
  let now = T0;
  for (;;) {
    now += IDLE_MS / 2;
    if (id.stale(now)) break;
    id.touch(now);
  }
  assert.ok(now > T0 + MAX_SESSION_MS && now <= T0 + MAX_SESSION_MS + IDLE_MS / 2);
  const old = id.sessionId;
  id.renew(now);
  assert.notEqual(id.sessionId, old);
  assert.equal(id.stale(now + 1000), false);
});

test("a quiet tab adopts the session another tab has moved on to", () => {
  const shared = memoryStore();
  const a = new Identity(shared, memoryStore(), T0);
  const later = T0 + IDLE_MS + 60_000;
  const b = new Identity(shared, memoryStore(), later); // a's session expired: b starts anew
  assert.notEqual(b.sessionId, a.sessionId);
  assert.equal(a.stale(later + 10), true);
  a.renew(later + 10);
  assert.equal(a.sessionId, b.sessionId);
  assert.notEqual(a.windowId, b.windowId);
});

test("a quiet tab keeps the session that another tab kept alive", () => {
  const shared = memoryStore();
  const a = new Identity(shared, memoryStore(), T0);
  const b = new Identity(shared, memoryStore(), T0);
  for (let t = T0; t <= T0 + IDLE_MS + 120_000; t += 60_000) b.touch(t);
  assert.equal(a.stale(T0 + IDLE_MS + 120_000), false);
  assert.equal(a.sessionId, b.sessionId);
});
