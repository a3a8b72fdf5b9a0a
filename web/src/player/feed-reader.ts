import type { eventWithTime } from "@rrweb/types";
import { afterFrame } from "./dom";
import type { Item } from "./feed";

// What the player and the feed's worker (feed-worker.ts) tell each other.
export type ToFeed =
  | { kind: "open"; start: number; segments: number }
  // Segments' events as the server sent them (the player fetched them for
  // the replay), segment k being those from ≤ timestamp < to; or as a
  // session in progress sends them.
  | { kind: "text"; parts: Part[]; text: string }
  | { kind: "events"; k: number; events: eventWithTime[] }
  // A segment only the feed needs: the worker fetches it.
  | { kind: "fetch"; k: number; url: string }
  | { kind: "grow"; segments: number }
  // The worker stops fetching until let go.
  | { kind: "hold" }
  | { kind: "go" };

export interface Part {
  k: number;
  from: number;
  to: number;
}

export type FromFeed =
  // Items read since the last, and whether every segment has been read.
  | { kind: "items"; items: Item[]; filled: boolean }
  // The first segment's first frame (events.ts), and its first event's time.
  | { kind: "first"; offset: number; at: number }
  | { kind: "error"; message: string };

// How long a hold lasts at most: a moment the viewer waits for is shown
// well within it.
const HOLD_MS = 3000;

// The worker's script, beside the player's own.
const WORKER_URL = new URL("feed.js", (document.currentScript as HTMLScriptElement | null)?.src ?? location.href).href;

// FeedReader reads a replay's segments into what the panes list, in a
// worker: each segment is given to it once, either as the events the
// player fetched for the replay or as an address it fetches itself. The
// worker starts, and reads what the replay fetched, once the frame that
// shows it is drawn: on a machine of few cores it would otherwise hold
// that frame up.
export class FeedReader {
  readonly items: Item[] = [];
  // Every segment has been read.
  filled = false;
  private readonly given = new Set<number>();
  private worker: Worker | null = null;
  private closed = false;
  // Held: items that came meanwhile are drawn on go.
  private held = false;
  private missed = false;
  private release = 0;

  constructor(
    private readonly start: number,
    private segments: number,
    private readonly handlers: {
      changed: () => void;
      first: (offset: number, at: number) => void;
      failed: (err: Error) => void;
    },
  ) {}

  // Whether segment k has been given to the worker.
  has(k: number): boolean {
    return this.given.has(k);
  }

  // text gives the parts of the events the server sent as text that are
  // not given already.
  text(parts: Part[], text: string): void {
    const fresh = parts.filter((p) => this.take(p.k));
    if (fresh.length > 0) afterFrame(() => this.post({ kind: "text", parts: fresh, text }));
  }

  events(k: number, events: eventWithTime[]): void {
    if (this.take(k)) this.post({ kind: "events", k, events });
  }

  fetch(k: number, url: string): void {
    if (this.take(k)) this.post({ kind: "fetch", k, url });
  }

  // hold has the worker fetch nothing until go, or for a few seconds at
  // most, and the page draw nothing of what it sends meanwhile: the replay
  // is fetching or building a moment the viewer is about to wait for, and
  // on a machine of few cores the worker's reading would hold that up, as
  // drawing its rows would the frame that shows the moment.
  hold(): void {
    if (!this.worker) return;
    this.post({ kind: "hold" });
    clearTimeout(this.release);
    this.held = true;
    this.release = setTimeout(() => this.go(), HOLD_MS);
  }

  go(): void {
    if (!this.worker) return;
    this.post({ kind: "go" });
    clearTimeout(this.release);
    this.held = false;
    // What came meanwhile is drawn after the frame that shows the moment.
    if (this.missed) {
      afterFrame(() => {
        if (!this.missed || this.held) return;
        this.missed = false;
        this.handlers.changed();
      });
    }
  }

  grow(segments: number): void {
    this.segments = Math.max(this.segments, segments);
    if (this.worker) this.post({ kind: "grow", segments });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.release);
    this.worker?.terminate();
  }

  private take(k: number): boolean {
    if (this.given.has(k)) return false;
    this.given.add(k);
    return true;
  }

  private post(m: ToFeed): void {
    if (this.closed) return;
    this.worker ??= this.open();
    this.worker.postMessage(m);
  }

  private open(): Worker {
    const worker = new Worker(WORKER_URL);
    const { handlers } = this;
    worker.onmessage = (e: MessageEvent<FromFeed>) => {
      const m = e.data;
      if (m.kind === "items") {
        for (const it of m.items) this.items.push(it);
        this.filled = m.filled;
        if (this.held) this.missed = true;
        else handlers.changed();
      } else if (m.kind === "first") {
        handlers.first(m.offset, m.at);
      } else {
        handlers.failed(new Error(m.message));
      }
    };
    worker.onerror = () => handlers.failed(new Error("the panes could not be read"));
    worker.postMessage({ kind: "open", start: this.start, segments: this.segments } satisfies ToFeed);
    return worker;
  }
}
