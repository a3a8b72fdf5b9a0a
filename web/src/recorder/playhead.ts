// The recorder's API on window.playhead, shared by the script tag
// (index.ts) and the ES module (module.ts).
import { PENDING_KEY } from "./batcher";
import { Bucket, cut } from "./limits";
import { sampled, type Config } from "./options";
import { Recorder } from "./recorder";
import { openStore } from "./storage";

type Value = string | number | boolean;

export interface PlayheadApi {
  // Sends everything recorded so far and resolves once the server has
  // acknowledged it (rejects if some of it could not be delivered).
  flush(): Promise<void>;
  // With consent "required", nothing is recorded until consent(true);
  // consent(false) stops and forgets what was not yet sent, on this page
  // and in storage for the next. Not remembered across pages.
  consent(granted: boolean): void;
  // Names the visitor of this session (playhead/identify).
  identify(userId: string, traits?: Record<string, Value>): void;
  // Records an event of the site's own (playhead/track).
  track(name: string, props?: Record<string, unknown>): void;
  // Stops recording on this page (what was recorded still goes out), and
  // starts it again.
  stop(): void;
  start(): void;
  readonly sessionId: string | null;
  readonly windowId: string | null;
  // The replay's address on the server; null until the server has
  // answered a first batch.
  sessionURL(): string | null;
}

declare global {
  interface Window {
    playhead?: PlayheadApi;
  }
}

// Do Not Track and Global Privacy Control both mean: do not record.
function optedOut(): boolean {
  const n = navigator as Navigator & { doNotTrack?: string | null; globalPrivacyControl?: boolean };
  return n.doNotTrack === "1" || n.globalPrivacyControl === true;
}

// Traits and props: at most 50 keys; strings of 500 characters at most;
// other values (props only) as JSON.
function clean(o: unknown, any: boolean): Record<string, unknown> | undefined {
  if (!o || typeof o !== "object") return undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).slice(0, 50)) {
    const v = (o as Record<string, unknown>)[k];
    const t = typeof v;
    if (t === "number" || t === "boolean") out[cut(k, 100)] = v;
    else if (t === "string" || any) out[cut(k, 100)] = cut(t === "string" ? v : JSON.stringify(v), 500);
  }
  return out;
}

// What the API drives: the recording of this page.
export type Recording = Pick<Recorder, "identity" | "project" | "custom" | "start" | "pause" | "stop" | "flush">;

// make builds the recording; unit tests give their own.
export function createPlayhead(
  cfg: Config,
  make: (cfg: Config, refused: () => void) => Recording = (c, r) => new Recorder(c, r),
): PlayheadApi {
  let consented = !cfg.consentRequired;
  let paused = false;
  let refused = false;
  let recorder: Recording | null = null;
  let skipped = false;
  // identify() before recording started: sent when it does.
  let who: object | null = null;
  const tracks = new Bucket(50, 5);

  const update = () => {
    const wanted = consented && !optedOut() && !refused;
    if (!wanted) {
      recorder?.stop();
      recorder = null;
      // Batches a previous page left for this one are not to be sent.
      openStore("sessionStorage").remove(PENDING_KEY);
      return;
    }
    if (!recorder && !skipped) {
      recorder = make(cfg, () => {
        refused = true;
        update();
      });
      if (!sampled(recorder.identity.sessionId, cfg.sampleRate)) {
        recorder = null;
        skipped = true;
        return;
      }
      if (who) recorder.custom("identify", who);
    }
    if (paused) recorder?.pause();
    else recorder?.start();
  };
  const safe =
    <A extends unknown[]>(fn: (...a: A) => void) =>
    (...a: A) => {
      try {
        fn(...a);
      } catch {
        // Never throw into the host page.
      }
    };

  const api: PlayheadApi = {
    flush: () => (recorder ? recorder.flush() : Promise.resolve()),
    consent: safe((granted: boolean) => {
      consented = granted === true;
      update();
    }),
    identify: safe((userId: string, traits?: Record<string, Value>) => {
      const p: Record<string, unknown> = { user: cut(userId, 200) };
      const t = clean(traits, false);
      if (t) p.traits = t;
      who = p;
      recorder?.custom("identify", p);
    }),
    track: safe((name: string, props?: Record<string, unknown>) => {
      if (!recorder || !tracks.take()) return;
      const p: Record<string, unknown> = { name: cut(name, 200) };
      const c = clean(props, true);
      if (c) p.props = c;
      recorder.custom("track", p);
    }),
    stop: safe(() => {
      paused = true;
      update();
    }),
    start: safe(() => {
      paused = false;
      update();
    }),
    get sessionId() {
      return recorder ? recorder.identity.sessionId : null;
    },
    get windowId() {
      return recorder ? recorder.identity.windowId : null;
    },
    sessionURL() {
      return recorder && recorder.project !== null
        ? `${cfg.server}/projects/${recorder.project}/sessions/${recorder.identity.sessionId}`
        : null;
    },
  };
  update();
  return api;
}
