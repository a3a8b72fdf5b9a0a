import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTime } from "../src/player/format.ts";
import { windowsOverlap } from "../src/player/windows.ts";
import { firstFrame } from "../src/player/events.ts";

const win = (id, start, end) => ({ id, start: new Date(start).toISOString(), end: new Date(end).toISOString(), events: 1 });

test("formatTime shows m:ss", () => {
  assert.equal(formatTime(0), "0:00");
  assert.equal(formatTime(999), "0:00");
  assert.equal(formatTime(61_000), "1:01");
  assert.equal(formatTime(75 * 60_000 + 3_000), "75:03");
  assert.equal(formatTime(-5), "0:00");
});

test("windows one after the other do not overlap", () => {
  assert.equal(windowsOverlap([win("b", 2000, 3000), win("a", 0, 1000)]), false);
  assert.equal(windowsOverlap([win("a", 0, 1000)]), false);
});

test("windows open at the same time overlap, also past a short one", () => {
  assert.equal(windowsOverlap([win("a", 0, 1000), win("b", 500, 1500)]), true);
  assert.equal(windowsOverlap([win("a", 0, 10_000), win("b", 100, 200), win("c", 5000, 6000)]), true);
});

test("the first frame is just past the first full snapshot", () => {
  const ev = (type, timestamp) => ({ type, timestamp, data: {} });
  // DOMContentLoaded and load come before rrweb snapshots the page.
  assert.equal(firstFrame([ev(0, 1000), ev(1, 1080), ev(4, 1090), ev(2, 1090), ev(3, 1500)]), 91);
  assert.equal(firstFrame([ev(4, 1000), ev(2, 1000)]), 1);
  assert.equal(firstFrame([ev(3, 1000), ev(3, 1200)]), 0);
});

test("segments follow one another by time and start at full snapshots", async () => {
  const { segments, startFor } = await import("../src/player/segments.ts");
  const chunk = (window, start_ms, end_ms, full) => ({ window, start_ms, end_ms, full, pending: false });
  const segs = segments([chunk("a", 0, 90, true), chunk("a", 100, 190, false), chunk("b", 200, 290, true), chunk("b", 300, 350, false)]);
  assert.deepEqual(segs, [
    { from: 0, to: 100, full: true },
    { from: 100, to: 200, full: false },
    { from: 200, to: 300, full: true },
    { from: 300, to: 351, full: false },
  ]);
  assert.deepEqual(startFor(segs, 0), { at: 0, from: 0 });
  assert.deepEqual(startFor(segs, 150), { at: 1, from: 0 });
  assert.deepEqual(startFor(segs, 200), { at: 2, from: 2 });
  assert.deepEqual(startFor(segs, 340), { at: 3, from: 2 });
  assert.deepEqual(startFor(segs, 9999), { at: 3, from: 2 });
});
