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
