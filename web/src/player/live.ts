import type { eventWithTime } from "@rrweb/types";
import type { Chunk, Session } from "./api";
import type { Switch } from "./follow";

// A session is in progress while its last event is less than this old: the
// list's "live" (docs/api.md) uses the same. A visitor on the site sends a
// batch every few seconds while active.
export const LIVE_WITHIN_MS = 5 * 60 * 1000;

export function inProgress(s: Session, now = Date.now()): boolean {
  return now - Date.parse(s.end) < LIVE_WITHIN_MS;
}

// cursorOf is the /live cursor of what the chunk index names: per window,
// its last batch and newest event (docs/api.md).
export function cursorOf(chunks: Chunk[]): string {
  const c: Record<string, { s: number; t: number }> = {};
  for (const k of chunks) {
    const w = c[k.window];
    c[k.window] = w ? { s: Math.max(w.s, k.last_seq), t: Math.max(w.t, k.end_ms) } : { s: k.last_seq, t: k.end_ms };
  }
  // Window ids are ASCII, so btoa takes the JSON as it is.
  return btoa(JSON.stringify(c)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export interface LiveHandlers {
  events(window: string, events: eventWithTime[]): void;
  // The stream is over: the session ended, or the server refused it.
  end(): void;
}

// LiveStream follows a session in progress over server-sent events. The
// browser reconnects by itself with the last cursor when the server ends
// a stream after its few minutes; "end" is the session's end.
export class LiveStream {
  private readonly source: EventSource;
  private closed = false;

  constructor(url: string, private readonly on: LiveHandlers) {
    this.source = new EventSource(url);
    this.source.addEventListener("events", (e) => {
      try {
        const m = JSON.parse((e as MessageEvent<string>).data) as { window?: string; events?: eventWithTime[] };
        if (typeof m.window === "string" && Array.isArray(m.events) && m.events.length > 0) this.on.events(m.window, m.events);
      } catch {
        // A message cut short: the replay has it on reload.
      }
    });
    this.source.addEventListener("end", () => this.close());
    this.source.addEventListener("error", () => {
      // CLOSED: the server refused it (not a dropped connection, which
      // the browser retries).
      if (this.source.readyState === EventSource.CLOSED) this.close();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.source.close();
    this.on.end();
  }
}

// What following a session in progress asks of the player.
export interface LiveHost {
  // Whether the session's index knows the window.
  knows(window: string): boolean;
  // track notes a window's events for tab following (follow.ts), first
  // its start when the window is new, and returns the switch to another
  // tab they made, if any.
  track(window: string, events: eventWithTime[], isNew: boolean): Switch | undefined;
  // refresh reads the session's index again.
  refresh(): Promise<void>;
  // retab shows the tab picker when the windows now overlap, and tells
  // whether it is shown.
  retab(): boolean;
  // The window shown, or undefined for the whole session.
  shown(): string | undefined;
  firstWindow(): string;
  // turnTo shows a window at the recording's time abs (Infinity: its
  // newest moment).
  turnTo(window: string, abs: number, play: boolean): void;
  // append extends the replay shown with events of its window.
  append(events: eventWithTime[]): void;
  // ended: the stream is over.
  ended(): void;
}

// Live is the player's live mode: it takes a session's events as they
// come, passes those of the window shown on to the replay, follows the
// visitor to the tab they turn to while the viewer is at the newest
// moment, and reads the index again now and then for signals and pages
// found since.
export class Live {
  // Whether the viewer stays at the newest moment.
  following = false;
  private refreshed = Date.now();

  constructor(
    url: string,
    private readonly host: LiveHost,
  ) {
    // The stream runs until the session ends or the server refuses it.
    new LiveStream(url, { events: (w, evs) => this.receive(w, evs), end: () => host.ended() });
  }

  private receive(window: string, events: eventWithTime[]): void {
    const known = this.host.knows(window);
    const turned = this.host.track(window, events, !known);
    if (!known) {
      // A new tab: the index and the chunk index say what it overlaps.
      void this.refresh().then(() => {
        const follow = this.following && turned?.window === window;
        if (this.host.retab()) this.host.turnTo(follow ? window : (this.host.shown() ?? this.host.firstWindow()), Infinity, this.following);
        else this.host.append(events);
      });
      return;
    }
    if (Date.now() - this.refreshed > 10_000) void this.refresh();
    const shown = this.host.shown();
    if (shown !== undefined && window !== shown) {
      if (this.following && turned?.window === window) this.host.turnTo(window, Infinity, true);
      return;
    }
    this.host.append(events);
  }

  private refresh(): Promise<void> {
    this.refreshed = Date.now();
    return this.host.refresh();
  }
}
