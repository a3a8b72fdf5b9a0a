import type { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";

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
  r.service.send({ type: "CAST_EVENT", payload: { event: null as unknown as eventWithTime } });
  if (play) r.play(offset);
  else r.pause(offset);
}
