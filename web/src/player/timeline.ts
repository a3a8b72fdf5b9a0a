import type { Session, Signal } from "./api";
import type { Item } from "./feed";
import { formatTime } from "./format";

// What a marker on the timeline stands for; each kind has its colour.
export type MarkKind = "page" | "click" | "signal" | "error" | "request" | "custom" | "goal" | "note" | "tab";

export interface Mark {
  at: number; // ms from the start of the replay
  kind: MarkKind;
  label: string;
}

// A stretch of the replay without input, which the player shades and
// may skip: [from, to) in ms from the start of the replay.
export interface Stretch {
  from: number;
  to: number;
}

const SIGNAL_NAMES: Record<string, string> = {
  rage_click: "Rage click",
  dead_click: "Dead click",
  error_click: "Error click",
  js_error: "JS error",
  failed_request: "Failed request",
  slow_request: "Slow request",
  slow_page: "Slow page",
  thrashing_cursor: "Thrashing cursor",
  excessive_scroll: "Excessive scrolling",
  quick_back: "Quick back",
  form_abandon: "Form abandoned",
  slow_form: "Slow form",
  inactivity: "Inactivity",
};

export function signalName(kind: string): string {
  return SIGNAL_NAMES[kind] ?? kind.replace(/_/g, " ");
}

export function describeSignal(s: Signal): string {
  let out = signalName(s.kind);
  if (s.count > 1) out += ` ×${s.count}`;
  if (s.selector) out += ` ${s.selector}`;
  if (s.text) out += ` “${s.text}”`;
  if (s.detail) out += ` — ${s.detail}`;
  return out;
}

// Replay times: the index dates the session's times with its clock
// offset; the replay counts from its first event, in the recording's time.
// What the player shows reads from the session's start, as the tab labels
// and the session page do: a tab opened later shows later times.
export class Clock {
  // The session's time at the replay's start, in ms.
  readonly base: number;

  constructor(
    readonly start: number,
    private readonly offset: number,
    sessionStart?: string,
  ) {
    const from = sessionStart ? Date.parse(sessionStart) - offset : NaN;
    this.base = Number.isFinite(from) ? Math.max(0, start - from) : 0;
  }

  at(iso: string | null | undefined): number {
    return iso ? Date.parse(iso) - this.offset - this.start : NaN;
  }

  // label writes a moment of the replay as the session's time, m:ss.
  label(at: number): string {
    return formatTime(at + this.base);
  }
}

const inWindow = (w: string | undefined, windowId: string | undefined) => windowId === undefined || !w || w === windowId;

// sessionMarks are the marks the session's index knows of: pages, signals,
// custom events and goals reached.
export function sessionMarks(s: Session, clock: Clock, windowId: string | undefined): Mark[] {
  const out: Mark[] = [];
  for (const v of s.visits ?? s.page_views ?? []) {
    if (!inWindow(v.window, windowId)) continue;
    const title = "title" in v && v.title ? `${v.title} · ` : "";
    out.push({ at: clock.at(v.start), kind: "page", label: `Page: ${title}${v.url}` });
  }
  for (const g of s.signals ?? []) {
    if (g.kind === "inactivity" || !inWindow(g.window, windowId)) continue;
    out.push({ at: clock.at(g.time), kind: "signal", label: describeSignal(g) });
  }
  for (const c of s.custom_events ?? []) out.push({ at: clock.at(c.time), kind: "custom", label: `Event: ${c.name}` });
  for (const g of s.goals ?? []) {
    if (g.reached) out.push({ at: clock.at(g.at), kind: "goal", label: `Goal reached: ${g.name}` });
  }
  return out.filter((m) => Number.isFinite(m.at));
}

// feedMarks are the marks read from the recording itself: clicks, errors
// and failed requests.
export function feedMarks(items: Item[]): Mark[] {
  const out: Mark[] = [];
  for (const it of items) {
    if (it.kind === "click") out.push({ at: it.at, kind: "click", label: `Click${it.text ? `: ${it.text}` : ""}` });
    else if (it.kind === "console" && it.level === "error") out.push({ at: it.at, kind: "error", label: `Error: ${it.message}` });
    else if (it.kind === "request" && failed(it)) {
      out.push({ at: it.at, kind: "request", label: `Failed request: ${it.method} ${it.url} ${it.status || it.failure}` });
    }
  }
  return out;
}

export function failed(r: { status: number; failure: string }): boolean {
  return r.failure !== "" || r.status === 0 || r.status >= 400;
}

// stretches are the session's long inactivity signals: a signal's time is
// the last input before the gap and its value the gap's length.
export function stretches(s: Session, clock: Clock, windowId: string | undefined): Stretch[] {
  return (s.signals ?? [])
    .filter((g) => g.kind === "inactivity" && inWindow(g.window, windowId) && g.value > 0)
    .map((g) => ({ from: clock.at(g.time), to: clock.at(g.time) + g.value }))
    .filter((r) => Number.isFinite(r.from))
    .sort((a, b) => a.from - b.from);
}

// Where a skip leaves the replay: a moment before input resumes, so the
// viewer sees what the visitor came back to.
export const SKIP_LEAD_MS = 500;

// skipTarget is where playing at ms jumps to when skipping inactivity, or
// undefined when ms is not inside a stretch.
export function skipTarget(list: Stretch[], ms: number): number | undefined {
  for (const r of list) {
    const to = r.to - SKIP_LEAD_MS;
    if (ms >= r.from && ms < to) return to;
  }
  return undefined;
}

export function markTitle(m: Mark, clock: Clock): string {
  return `${clock.label(m.at)} · ${m.label}`;
}
