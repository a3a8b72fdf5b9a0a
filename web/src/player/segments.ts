import type { Chunk } from "./api";

// A segment is a stretch of the replay that one request fetches: the
// events of a chunk of the chunk index (docs/api.md), cut by time so that
// segments follow one another without gap or overlap whatever windows the
// chunks come from. Times are ms since the epoch, the recording's.
export interface Segment {
  from: number;
  to: number; // exclusive; the last segment's is past the last event
  // A replay can start here: the chunk starts with a full snapshot.
  full: boolean;
}

// segments orders the chunks of the windows being replayed by time.
export function segments(chunks: Chunk[]): Segment[] {
  const sorted = [...chunks].sort((a, b) => a.start_ms - b.start_ms);
  const end = Math.max(...sorted.map((c) => c.end_ms)) + 1;
  const out: Segment[] = [];
  for (const c of sorted) {
    const last = out[out.length - 1];
    if (last && last.from === c.start_ms) {
      last.full ||= c.full;
      continue;
    }
    if (last) last.to = c.start_ms;
    out.push({ from: c.start_ms, to: end, full: c.full });
  }
  return out;
}

// startFor says which segment holds time t, and from which one a replay
// must start to show it: the nearest one before it that starts with a full
// snapshot, or the first.
export function startFor(segs: Segment[], t: number): { at: number; from: number } {
  let at = 0;
  while (at + 1 < segs.length && segs[at + 1].from <= t) at++;
  let from = at;
  while (from > 0 && !segs[from].full) from--;
  return { at, from };
}
