// Formats a duration in milliseconds as m:ss (minutes are not capped).
export function formatTime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${seconds < 10 ? "0" : ""}${seconds}`;
}

// parseMoment reads the t parameter of a player link: seconds ("90",
// "12.5"), or hours, minutes and seconds ("1m30s", "1h2m", "45s"), or
// m:ss ("1:30"). It returns milliseconds, or undefined when t is not a
// moment.
export function parseMoment(t: string | null | undefined): number | undefined {
  const s = (t ?? "").trim().toLowerCase();
  if (s === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const clock = /^(?:(\d+):)?(\d+):(\d{2})$/.exec(s);
  if (clock) return ((Number(clock[1] ?? 0) * 60 + Number(clock[2])) * 60 + Number(clock[3])) * 1000;
  const parts = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (!parts || (parts[1] ?? parts[2] ?? parts[3]) === undefined) return undefined;
  return Math.round(((Number(parts[1] ?? 0) * 60 + Number(parts[2] ?? 0)) * 60 + Number(parts[3] ?? 0)) * 1000);
}

// formatMoment writes a moment as a t parameter: whole seconds.
export function formatMoment(ms: number): string {
  return String(Math.max(0, Math.floor(ms / 1000)));
}
