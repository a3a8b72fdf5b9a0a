import type { SessionWindow } from "./api";

// Tabs open at the same time each have their own DOM, so a merged stream of
// overlapping windows cannot be replayed by one Replayer: the player then
// plays one window at a time (docs/api.md).
export function windowsOverlap(windows: SessionWindow[]): boolean {
  const spans = windows
    .map((w) => ({ start: Date.parse(w.start), end: Date.parse(w.end) }))
    .sort((a, b) => a.start - b.start);
  let end = -Infinity;
  for (const span of spans) {
    if (span.start < end) return true;
    end = Math.max(end, span.end);
  }
  return false;
}
