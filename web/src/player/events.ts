import { EventType, type eventWithTime } from "@rrweb/types";

// firstFrame is the offset of the first thing there is to see: just past
// the first full snapshot, since rrweb's Replayer applies the events
// strictly before the offset it pauses at. rrweb snapshots a page once it
// has loaded, so the events before (DOMContentLoaded, load) show nothing.
export function firstFrame(events: eventWithTime[]): number {
  const full = events.find((e) => e.type === EventType.FullSnapshot);
  return full ? full.timestamp - events[0].timestamp + 1 : 0;
}
