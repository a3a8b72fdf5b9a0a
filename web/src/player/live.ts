import type { eventWithTime } from "@rrweb/types";
import type { Chunk, Session } from "./api";

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
