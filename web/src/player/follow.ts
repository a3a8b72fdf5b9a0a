import { EventType, type eventWithTime } from "@rrweb/types";

// A moment the visitor turned to a tab: the recording's time (ms since the
// epoch) and the window.
export interface Switch {
  at: number;
  window: string;
}

// A tab shown or hidden at the recording's time at.
export interface Shown {
  at: number;
  visible: boolean;
}

// visibility reads the recorder's playhead/visibility events (docs/recorder.md).
export function visibility(events: eventWithTime[]): Shown[] {
  const out: Shown[] = [];
  for (const e of events) {
    if (e.type !== EventType.Custom || e.data.tag !== "playhead/visibility") continue;
    const p = e.data.payload as { visible?: unknown } | undefined;
    if (typeof p?.visible === "boolean") out.push({ at: e.timestamp, visible: p.visible });
  }
  return out;
}

// Tracks collects, per window, when it started and when it was shown or
// hidden, and tells when the visitor turned to which tab: a window that
// starts in view (its first visibility event is not "visible") is turned
// to at its start, and any window when it is shown again.
export class Tracks {
  private readonly starts = new Map<string, number>();
  private readonly shown = new Map<string, Shown[]>();

  start(window: string, at: number): void {
    const s = this.starts.get(window);
    if (s === undefined || at < s) this.starts.set(window, at);
  }

  // add takes the visibility events among a window's events.
  add(window: string, events: eventWithTime[]): void {
    this.show(window, visibility(events));
  }

  // show takes times a window was shown or hidden; those known are kept
  // once.
  show(window: string, v: Shown[]): void {
    if (v.length === 0) return;
    const list = this.shown.get(window) ?? [];
    const seen = new Set(list.map((x) => `${x.at}:${x.visible}`));
    for (const x of v) {
      const key = `${x.at}:${x.visible}`;
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(x);
    }
    list.sort((a, b) => a.at - b.at);
    this.shown.set(window, list);
  }

  switches(): Switch[] {
    const out: Switch[] = [];
    for (const [window, at] of this.starts) {
      const list = this.shown.get(window) ?? [];
      if (list.length === 0 || !list[0].visible) out.push({ at, window });
      for (const x of list) if (x.visible) out.push({ at: x.at, window });
    }
    return out.sort((a, b) => a.at - b.at);
  }
}

// crossed is the last switch to another window than current in (from, to].
export function crossed(list: Switch[], from: number, to: number, current: string | undefined): Switch | undefined {
  let found: Switch | undefined;
  for (const s of list) {
    if (s.at > to) break;
    if (s.at > from) found = s;
  }
  return found && found.window !== current ? found : undefined;
}

// inView is the window the visitor was looking at at abs: the last turned
// to at or before it.
export function inView(list: Switch[], abs: number): string | undefined {
  let found: string | undefined;
  for (const s of list) if (s.at <= abs) found = s.window;
  return found;
}

// nextSwitch is the first switch after from to another window than current.
export function nextSwitch(list: Switch[], from: number, current: string | undefined): Switch | undefined {
  return list.find((s) => s.at > from && s.window !== current);
}
