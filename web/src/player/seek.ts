import type { Replayer } from "@rrweb/replay";
import { EventType, type eventWithTime, IncrementalSource, type serializedNodeWithId } from "@rrweb/types";

// seekTo shows offset ms of r's own clock, playing or paused, built from
// the last full snapshot before it, as a Replayer made for that moment
// would build it.
//
// rrweb remembers the last event it applied, and a seek forward applies
// only the events after it, onto the page as it stands; that page is not
// always the one applying everything in one go gives. When the last event
// is a mouse move, rrweb dates it by its first position (up to half a
// second before its timestamp), as its timer plays moves, and applies the
// events of that half second a second time: a node added twice, a removal
// undone. And a step forward from a moment into a chunk appended after it
// was seen to leave elements out (e2e TestReplayCompactedSession). So the
// same moment showed a different page by the way it was reached. Without a
// last event, rrweb applies the events from the last full snapshot before
// the moment: what a seek across a snapshot does anyway, and at most one
// page's events.
export function seekTo(r: Replayer, offset: number, play: boolean): void {
  const events = r.service.state.context.events;
  // Set in place: setConfig would also end a skip of idle time.
  if (events.length > 0) r.config.useVirtualDom = virtualDomPays(events, events[0].timestamp + offset);
  r.service.send({ type: "CAST_EVENT", payload: { event: null as unknown as eventWithTime } });
  if (play) r.play(offset);
  else r.pause(offset);
}

// A seek applies the page's changes since its last full snapshot in one
// go, either to the page itself or to a copy of it in plain objects
// (rrweb's virtual DOM) that is then written back. The copy costs time in
// proportion to the page's size and saves a little on each change: in
// BenchmarkFastForward (docs/benchmarks.md), a minute of a generated shop
// page of 3,000 nodes is applied in 5 ms on the page and 35 ms through the
// copy, and 100 s of a 600-node page that replaces a list of 100 items ten
// times a second (330 changes per node) in 300 ms and 256 ms. So the copy
// is taken only for a page that churns.
const CHANGES_PER_NODE = 20;

// virtualDomPays tells whether the changes a seek to time t (ms since the
// epoch) applies, from the last page load before it, are many enough for
// rrweb's virtual DOM to be faster. events are in time order.
export function virtualDomPays(events: readonly eventWithTime[], t: number): boolean {
  let changes = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.timestamp >= t) continue;
    if (e.type === EventType.FullSnapshot) return changes > CHANGES_PER_NODE * countNodes(e.data.node);
    if (e.type === EventType.IncrementalSnapshot && e.data.source === IncrementalSource.Mutation) {
      changes += e.data.adds.length + e.data.removes.length;
    }
  }
  return false;
}

const nodeCounts = new WeakMap<serializedNodeWithId, number>();

function countNodes(root: serializedNodeWithId): number {
  let n = nodeCounts.get(root);
  if (n === undefined) {
    n = 0;
    const stack = [root];
    for (let node = stack.pop(); node; node = stack.pop()) {
      n++;
      if ("childNodes" in node) for (const child of node.childNodes) stack.push(child);
    }
    nodeCounts.set(root, n);
  }
  return n;
}
