import type { Identity } from "./identity";
import type { Store } from "./storage";
import { post } from "./transport";

const warn = (msg: string) => console.warn(msg);

const FLUSH_INTERVAL_MS = 2000;
const MAX_BATCH_EVENTS = 500;
const MAX_BATCH_BYTES = 512 * 1024;
const MAX_ATTEMPTS = 5;
const MAX_RETRY_DELAY_MS = 60_000;
// Browsers allow 64 KB of keepalive bodies in flight per page, shared with
// the host page's own beacons, so stay a little below.
const KEEPALIVE_BUDGET = 60 * 1024;
// Bounds memory while the server cannot be reached.
const MAX_QUEUE_BYTES = 8 * 1024 * 1024;
// Batches that a closing page could not send; the next page of the tab
// sends them (same bodies, so the same seqs: the server stores them once).
export const PENDING_KEY = "playhead:pending";

// What the batcher tells its owner.
export interface BatcherEvents {
  // The server named the project of the key.
  project?(id: number): void;
  // The server refuses the key itself (401, 403): nothing will get through.
  refused?(): void;
}

interface Batch {
  body: string;
  // Characters: what bounds the queue's memory (see hide for keepalive).
  bytes: number;
  attempts: number;
  // The server has it, through the normal path or a keepalive copy.
  acked: boolean;
  // The answer to a keepalive copy in flight.
  beacon: Promise<void> | null;
  settle: (delivered: boolean) => void;
  done: Promise<boolean>;
}

// UTF-8 size of a string, without allocating the encoded bytes. A surrogate
// pair counts 2 + 2 = 4. Only keepalive bodies need it: batches are
// otherwise measured in characters, which for JSON of page text is the
// byte count or near it, and a loop over every event cost a busy page a
// few per cent of the recorder's time (docs/benchmarks.md).
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function retryDelay(attempts: number, retryAfter: number | undefined): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, MAX_RETRY_DELAY_MS);
  // 1 s, 2 s, 4 s, 8 s, with jitter so that many pages do not retry in step.
  return 1000 * 2 ** (attempts - 1) * (0.75 + Math.random() / 2);
}

// Batcher turns recorded events into numbered batches and delivers them in
// seq order, one request at a time.
export class Batcher {
  private events: string[] = [];
  private bufferBytes = 0;
  private queue: Batch[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pumping = false;
  private keepaliveBytes = 0;
  private stopped = false;
  // Nothing is sent before this time (the minimum session duration).
  private holdUntil = 0;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  // Error codes already reported on the console, each reported once.
  private readonly warned: Record<string, boolean> = {};

  constructor(
    private readonly url: string,
    private readonly key: string,
    private readonly identity: Identity,
    private readonly tab: Store,
    private readonly on: BatcherEvents = {},
  ) {}

  // Keeps everything queued until time t: a session shorter than the
  // minimum duration is never sent.
  hold(t: number): void {
    this.holdUntil = t;
  }

  private held(): boolean {
    const wait = this.holdUntil - Date.now();
    if (wait <= 0) return false;
    if (this.holdTimer === undefined)
      this.holdTimer = setTimeout(() => {
        this.holdTimer = undefined;
        void this.pump();
      }, wait);
    return true;
  }

  add(event: unknown): void {
    if (this.stopped) return;
    const json = JSON.stringify(event);
    this.events.push(json);
    this.bufferBytes += json.length + 1;
    if (this.events.length >= MAX_BATCH_EVENTS || this.bufferBytes >= MAX_BATCH_BYTES) {
      this.cut(MAX_BATCH_BYTES);
      void this.pump();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.cut(MAX_BATCH_BYTES);
        void this.pump();
      }, FLUSH_INTERVAL_MS);
    }
  }

  // Sends everything recorded so far; resolves once the server has
  // acknowledged it all, rejects if some of it had to be dropped.
  flush(): Promise<void> {
    this.cut(MAX_BATCH_BYTES);
    const pending = this.queue.map((b) => b.done);
    void this.pump();
    return Promise.all(pending).then((delivered) => {
      if (delivered.indexOf(false) >= 0) throw new Error("playhead: some events could not be delivered");
    });
  }

  // Moves the buffered events into batches under the current identity. Each
  // batch body stays within maxBytes unless a single event is larger:
  // UTF-8 bytes for keepalive batches, characters otherwise.
  cut(maxBytes = MAX_BATCH_BYTES): void {
    const size = maxBytes === KEEPALIVE_BUDGET ? utf8Length : (s: string) => s.length;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.events.length === 0) return;
    this.identity.touch(Date.now());

    let start = 0;
    while (start < this.events.length) {
      const head =
        `{"key":${JSON.stringify(this.key)},"session":${JSON.stringify(this.identity.sessionId)}` +
        `,"window":${JSON.stringify(this.identity.windowId)},"seq":${this.identity.nextSeq()},"events":[`;
      let bytes = size(head) + 2; // plus the closing "]}"
      let end = start;
      while (end < this.events.length && end - start < MAX_BATCH_EVENTS) {
        const n = size(this.events[end]) + (end > start ? 1 : 0);
        if (end > start && bytes + n > maxBytes) break;
        bytes += n;
        end++;
      }
      this.enqueue(head + this.events.slice(start, end).join(",") + "]}", bytes);
      start = end;
    }
    this.events = [];
    this.bufferBytes = 0;
  }

  // The page is being hidden, and maybe unloaded: normal requests may never
  // finish, so send keepalive copies of everything not yet acknowledged, in
  // batches small enough for keepalive. Batches stay queued until some copy
  // is acknowledged; if the page lives on, the normal path carries on.
  // When the page is going away (pagehide), whatever did not fit into the
  // keepalive budget is handed to the next page of this tab.
  hide(leaving: boolean): void {
    if (this.stopped) return;
    this.cut(KEEPALIVE_BUDGET);
    for (const b of this.held() ? [] : this.queue) {
      if (b.acked || b.beacon) continue;
      // Browsers count keepalive bodies in bytes.
      const bytes = utf8Length(b.body);
      if (this.keepaliveBytes + bytes > KEEPALIVE_BUDGET) continue;
      this.keepaliveBytes += bytes;
      b.beacon = post(this.url, b.body, true)
        .then(
          (outcome) => {
            if (outcome.ok) this.ack(b, outcome.project);
          },
          () => undefined,
        )
        .then(() => {
          b.beacon = null;
          this.keepaliveBytes -= bytes;
        });
    }
    if (!leaving) return;

    const left = this.queue.filter((b) => !b.acked && !b.beacon);
    if (left.length === 0) return;
    const stored = this.tab.get<string[]>(PENDING_KEY);
    this.tab.set(PENDING_KEY, (Array.isArray(stored) ? stored : []).concat(left.map((b) => b.body)));
    this.queue = this.queue.filter((b) => left.indexOf(b) < 0);
    // Handed on: the next page of the tab delivers them.
    for (const b of left) b.settle(true);
  }

  // Takes over the batches that an earlier page of this tab could not send
  // (see hide). Called when recording starts and when the page comes back
  // from the back/forward cache.
  adoptPending(): void {
    const stored = this.tab.get<unknown[]>(PENDING_KEY);
    this.tab.remove(PENDING_KEY);
    if (!Array.isArray(stored)) return;
    for (const body of stored) {
      if (typeof body === "string") this.enqueue(body, body.length);
    }
    void this.pump();
  }

  // Consent was withdrawn: forget everything not yet sent and send nothing
  // more.
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.events = [];
    for (const b of this.queue) b.settle(false);
    this.queue = [];
    this.tab.remove(PENDING_KEY);
  }

  private enqueue(body: string, bytes: number): void {
    let settle: (delivered: boolean) => void = () => undefined;
    const done = new Promise<boolean>((resolve) => (settle = resolve));
    this.queue.push({ body, bytes, attempts: 0, acked: false, beacon: null, settle, done });

    // While the server is unreachable, drop the oldest waiting batches
    // rather than grow without bound. The head may be in flight: keep it.
    let total = 0;
    for (const b of this.queue) total += b.bytes;
    let dropped = 0;
    while (total > MAX_QUEUE_BYTES && this.queue.length > 2) {
      const [old] = this.queue.splice(1, 1);
      total -= old.bytes;
      old.settle(false);
      dropped++;
    }
    if (dropped > 0) warn(`playhead: server unreachable, dropped ${dropped} batch(es) of events`);
  }

  private ack(b: Batch, project: number | undefined): void {
    b.acked = true;
    b.settle(true);
    if (project !== undefined) this.on.project?.(project);
  }

  // Delivers queued batches in order, one request at a time.
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.stopped && !this.held()) {
        const b = this.queue[0];
        if (b.beacon) {
          // A keepalive copy is on its way; its answer decides whether this
          // batch still needs sending.
          await b.beacon;
          continue;
        }
        if (!b.acked) {
          const outcome = await post(this.url, b.body, false);
          // Handed on or stopped meanwhile: the batch is no longer ours.
          if (this.queue[0] !== b) continue;
          if (outcome.ok) {
            this.ack(b, outcome.project);
          } else if (!b.acked) {
            b.attempts++;
            if (outcome.retry && b.attempts < MAX_ATTEMPTS) {
              await sleep(retryDelay(b.attempts, outcome.retryAfter));
              continue;
            }
            const code = outcome.retry ? "retries" : outcome.code;
            if (!this.warned[code]) {
              this.warned[code] = true;
              warn(
                outcome.retry
                  ? `playhead: dropped a batch of events after ${b.attempts} failed attempts`
                  : `playhead: the server refused a batch of events (HTTP ${outcome.status} ${code}: ${outcome.message})`,
              );
            }
            b.settle(false);
            // The project refuses this key: every batch would get the same
            // answer, so recording stops for this page.
            if (!outcome.retry && (outcome.status === 401 || outcome.status === 403)) {
              this.stop();
              this.on.refused?.();
              return;
            }
          }
        }
        if (this.queue[0] === b) this.queue.shift();
      }
    } finally {
      this.pumping = false;
    }
  }
}
