import { test } from "node:test";
import assert from "node:assert/strict";
import { crossed, inView, nextSwitch, Tracks } from "../src/player/follow.ts";
import { cursorOf } from "../src/player/live.ts";

const vis = (timestamp, visible) => ({ type: 5, timestamp, data: { tag: "playhead/visibility", payload: { visible } } });

test("a tab that starts in view is turned to at its start, and at each return", () => {
  const t = new Tracks();
  t.start("a", 1000);
  t.start("b", 5000);
  t.add("a", [vis(4990, false), vis(9000, true)]);
  t.add("b", [vis(8990, false)]);
  assert.deepEqual(t.switches(), [
    { at: 1000, window: "a" },
    { at: 5000, window: "b" },
    { at: 9000, window: "a" },
  ]);
});

test("a tab opened in the background is turned to only when shown", () => {
  const t = new Tracks();
  t.start("a", 1000);
  t.start("b", 2000);
  t.add("b", [vis(7000, true), vis(7000, true)]); // the same event twice
  assert.deepEqual(t.switches(), [
    { at: 1000, window: "a" },
    { at: 7000, window: "b" },
  ]);
});

test("the index's times shown count as the events do, once each", () => {
  const t = new Tracks();
  t.start("a", 1000);
  t.start("b", 2000);
  t.show("a", [{ at: 1990, visible: false }, { at: 6000, visible: true }]);
  t.add("a", [vis(6000, true)]); // seen again as it comes live
  assert.deepEqual(t.switches(), [
    { at: 1000, window: "a" },
    { at: 2000, window: "b" },
    { at: 6000, window: "a" },
  ]);
});

test("inView is the tab the visitor was looking at", () => {
  const list = [
    { at: 1000, window: "a" },
    { at: 5000, window: "b" },
    { at: 9000, window: "a" },
  ];
  assert.equal(inView(list, 500), undefined); // before any
  assert.equal(inView(list, 1000), "a");
  assert.equal(inView(list, 7000), "b");
  assert.equal(inView(list, 9000), "a");
});

test("crossed finds a switch to another tab passed by the clock", () => {
  const list = [
    { at: 1000, window: "a" },
    { at: 5000, window: "b" },
  ];
  assert.deepEqual(crossed(list, 4000, 5000, "a"), { at: 5000, window: "b" });
  assert.equal(crossed(list, 5000, 6000, "a"), undefined); // already past
  assert.equal(crossed(list, 4000, 6000, "b"), undefined); // already there
});

test("nextSwitch finds where the visitor went when a tab's recording ends", () => {
  const list = [
    { at: 1000, window: "a" },
    { at: 5000, window: "b" },
    { at: 9000, window: "a" },
  ];
  assert.deepEqual(nextSwitch(list, 8999, "b"), { at: 9000, window: "a" });
  assert.equal(nextSwitch(list, 9000, "b"), undefined); // nothing after
  assert.equal(nextSwitch(list, 9500, "a"), undefined);
});

test("the live cursor names each window's last batch and newest event", () => {
  const c = (window, last_seq, end_ms) => ({ window, last_seq, end_ms, first_seq: 0, start_ms: 0, pending: false, events: 1, bytes: 1, full: true });
  const cursor = cursorOf([c("w_1", 3, 1795000001000), c("w_1", 7, 1795000009000), c("w_2", 0, 1795000002000)]);
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  const json = JSON.parse(Buffer.from(cursor, "base64url").toString());
  assert.deepEqual(json, { w_1: { s: 7, t: 1795000009000 }, w_2: { s: 0, t: 1795000002000 } });
});
