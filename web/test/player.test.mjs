import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { formatTime } from "../src/player/format.ts";
import { windowsOverlap } from "../src/player/windows.ts";
import { firstFrame } from "../src/player/events.ts";
import { virtualDomPays } from "../src/player/seek.ts";

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

test("a link's moment reads seconds, 1m30s and m:ss", async () => {
  const { parseMoment, formatMoment } = await import("../src/player/format.ts");
  // The server reads the same cases (internal/api TestParseMoment), to
  // preload what the player will ask for at a link's moment; npm test runs
  // in web/.
  const cases = JSON.parse(readFileSync("../internal/api/testdata/moments.json", "utf8"));
  for (const [t, want] of [...cases, [null, null]]) assert.equal(parseMoment(t), want ?? undefined, `t=${t}`);
  assert.equal(formatMoment(90_999), "90");
});

test("skipping inactivity jumps to just before input resumes", async () => {
  const { skipTarget, SKIP_LEAD_MS } = await import("../src/player/timeline.ts");
  const idle = [{ from: 10_000, to: 130_000 }, { from: 200_000, to: 240_000 }];
  assert.equal(skipTarget(idle, 9_999), undefined);
  assert.equal(skipTarget(idle, 10_000), 130_000 - SKIP_LEAD_MS);
  assert.equal(skipTarget(idle, 129_600), undefined);
  assert.equal(skipTarget(idle, 210_000), 240_000 - SKIP_LEAD_MS);
});

test("the feed reads segments in order and labels clicks by their element's text", async () => {
  const { Feed, latest } = await import("../src/player/feed.ts");
  let changes = 0;
  const feed = new Feed(1000, 2, () => changes++);
  const snapshot = {
    type: 2,
    timestamp: 1000,
    data: {
      node: { type: 0, id: 1, childNodes: [{ type: 2, id: 2, tagName: "button", attributes: {}, childNodes: [{ type: 3, id: 3, textContent: " Buy  now " }] }] },
    },
  };
  const click = (id, timestamp) => ({ type: 3, timestamp, data: { source: 2, type: 2, id, x: 0, y: 0 } });
  const error = { type: 5, timestamp: 2500, data: { tag: "playhead/error", payload: { kind: "error", message: "boom", stack: "at x" } } };
  const request = { type: 5, timestamp: 2600, data: { tag: "playhead/request", payload: { initiator: "fetch", method: "POST", url: "/api/pay", status: 500, duration: 120, failure: "http" } } };
  // The second segment first: nothing is read until the first comes.
  feed.put(1, [click(2, 3000), error, request]);
  assert.equal(feed.items.length, 0);
  assert.ok(feed.has(1) && !feed.has(0) && !feed.filled());
  feed.put(0, [snapshot, click(2, 1500)]);
  assert.equal(changes, 1);
  assert.ok(feed.filled());
  assert.deepEqual(
    feed.items.map((i) => [i.kind, i.at]),
    [["click", 500], ["click", 2000], ["console", 1500], ["request", 1600]],
  );
  assert.equal(feed.items[0].text, "Buy now");
  assert.equal(feed.items[2].message, "boom");
  assert.equal(feed.items[3].status, 500);
  assert.equal(latest([{ at: 0 }, { at: 10 }, { at: 20 }], 15), 1);
  assert.equal(latest([{ at: 10 }], 5), -1);
});

test("a tab open for under a second still spans a second", async () => {
  const { tabSpan } = await import("../src/player/tabs.ts");
  assert.equal(tabSpan(600, 1000), "0:00–0:01");
  assert.equal(tabSpan(0, 2100), "0:00–0:03");
  assert.equal(tabSpan(61_000, 61_000), "1:01–1:02");
});

test("a tab's replay reads the session's clock", async () => {
  const { Clock, markTitle } = await import("../src/player/timeline.ts");
  const session = "2026-01-01T00:00:00.000Z";
  const start = Date.parse(session);
  // A second tab opened 65.5 s into the session, on a clock 2 s ahead.
  const tab = new Clock(start + 65_500, 2000, new Date(start + 2000).toISOString());
  assert.equal(tab.base, 65_500);
  assert.equal(tab.label(0), "1:05");
  assert.equal(tab.label(4_600), "1:10");
  assert.equal(markTitle({ at: 10_000, kind: "click", label: "Click: Buy" }, tab), "1:15 · Click: Buy");
  // The index's times still count from the tab's own start.
  assert.equal(tab.at(new Date(start + 2000 + 70_000).toISOString()), 4_500);
  // The session's first tab, and a session not known yet, read from 0.
  assert.equal(new Clock(start, 0, session).label(61_000), "1:01");
  assert.equal(new Clock(start, 0).label(61_000), "1:01");
});

test("a seek goes through rrweb's virtual DOM only when the page churns", () => {
  const node = (id, children = []) => ({ type: 2, tagName: "div", attributes: {}, childNodes: children, id });
  const page = (t, nodes) => [
    { type: 4, timestamp: t, data: { href: "https://shop.test/", width: 800, height: 600 } },
    { type: 2, timestamp: t, data: { node: node(1, Array.from({ length: nodes - 1 }, (_, i) => node(i + 2))), initialOffset: { top: 0, left: 0 } } },
  ];
  const change = (t, n) => ({ type: 3, timestamp: t, data: { source: 0, texts: [], attributes: [], removes: [], adds: Array.from({ length: n }, (_, i) => ({ parentId: 1, nextId: null, node: node(1000 + i) })) } });
  // 100 nodes: 2,000 changes are 20 per node, 2,001 more.
  const calm = [...page(0, 100), change(10, 1000), change(20, 1000)];
  assert.equal(virtualDomPays(calm, 30), false);
  const churning = [...calm, change(25, 1)];
  assert.equal(virtualDomPays(churning, 30), true);
  // Only the changes before the moment count...
  assert.equal(virtualDomPays(churning, 25), false);
  // ...and since the last page load before it.
  assert.equal(virtualDomPays([...churning, ...page(40, 100), change(50, 10)], 60), false);
  assert.equal(virtualDomPays([...churning, ...page(40, 100), change(50, 10)], 40), true);
  assert.equal(virtualDomPays([], 10), false);
});
