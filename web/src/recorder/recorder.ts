import { record } from "@rrweb/record";
import type { eventWithTime } from "@rrweb/types";
import { Batcher } from "./batcher";
import { device, errors, longTasks, pages, type Nav } from "./capture";
import type { Capture } from "./context";
import { Identity } from "./identity";
import { network } from "./network";
import type { Config } from "./options";
import { maskFixed, scrubText, SECRET_FIELDS, stripURL, type TextRules, type UrlRules } from "./privacy";
import { scrubEvent } from "./scrub";
import { openStore, type Store } from "./storage";
import { vitals } from "./vitals";

const EDITABLE = "[contenteditable]:not([contenteditable=false])";

// Privacy by default (docs/recorder.md): inputs get a fixed mask, secret
// fields are not recorded at all, contenteditable text is masked like an
// input; besides rrweb's own rr-block / rr-mask / rr-ignore classes,
// Playhead's documented class names and data attributes work too. The
// block and mask selectors name rrweb's classes themselves: the build makes
// rrweb test the selectors alone (web/build.mjs). Each selector tests the
// element alone (its tag and attributes, no combinators, no state): the
// build keeps an element's answer until one of its attributes changes.
const PRIVACY = {
  maskAllInputs: true,
  maskInputFn: maskFixed,
  maskTextFn: (text: string, el: HTMLElement | null) =>
    el && el.closest(EDITABLE) ? maskFixed(text.trim()) : text.replace(/\S/g, "*"),
  blockSelector: ".rr-block,.playhead-block,[data-playhead-block]," + SECRET_FIELDS,
  maskTextSelector: ".rr-mask,.playhead-mask,[data-playhead-mask]," + EDITABLE,
  ignoreSelector: ".playhead-ignore,[data-playhead-ignore]",
  // What the replay never shows: scripts, comments, favicons, and the
  // <meta> tags of search engines, social sites and http-equiv
  // (verification tokens among them; scrub.ts drops the content of the
  // other secret ones); title changes are in playhead/page events.
  slimDOMOptions: "all",

} as const;

// Fewer events than rrweb's defaults, with replays that look the same:
// the pointer at 10 moves a second, scrolls at 6, an input's last value.
const SAMPLING = { mousemove: 100, scroll: 150, media: 800, input: "last" } as const;

const PROJECT_KEY = "playhead:project";

// Recorder is one recording of this page: rrweb's record and the capture
// of page views, errors, requests and vitals feeding a Batcher, plus the
// page lifecycle hooks that keep the data flowing.
export class Recorder {
  readonly identity: Identity;
  project: number | null = null;
  private readonly batcher: Batcher;
  private readonly tab: Store;
  private stopRecording: (() => void) | undefined;
  // Undone by pause (the recording) and by stop (the page lifecycle).
  private readonly recording: Array<() => void> = [];
  private readonly lifecycle: Array<() => void> = [];
  // Custom events wait for rrweb's first Meta event, so that the page's
  // recording starts with it.
  private waiting: object[] | null = [];
  private page: ((nav: Nav, ts?: number) => void) | undefined;
  private hideVitals: (() => void) | undefined;
  private readonly text: TextRules;
  private readonly urls: UrlRules;
  private readonly c: Capture;

  constructor(
    private readonly cfg: Config,
    refused: () => void,
  ) {
    this.tab = openStore("sessionStorage");
    this.identity = new Identity(openStore("localStorage"), this.tab, Date.now());
    this.text = { cards: cfg.scrubCards, emails: cfg.scrubEmails };
    this.urls = { allowParams: cfg.allowParams, maskPaths: cfg.maskPaths, maskURL: cfg.maskURL };
    const known = this.tab.get<{ key: string; id: number }>(PROJECT_KEY);
    if (known && known.key === cfg.key && typeof known.id === "number") this.project = known.id;
    this.batcher = new Batcher(cfg.server + "/api/v1/ingest", cfg.key, this.identity, this.tab, {
      project: (id) => {
        if (id === this.project) return;
        this.project = id;
        this.tab.set(PROJECT_KEY, { key: cfg.key, id });
      },
      refused,
    });
    this.batcher.hold(this.identity.start + cfg.minDurationMs);
    this.c = {
      emit: (tag, payload, ts) => this.custom(tag, payload, ts),
      url: (raw) => this.url(raw),
      text: (s, page) => (page && cfg.maskAllText ? s.replace(/\S/g, "*") : scrubText(s, this.text)),
      own: (u) => {
        try {
          return new URL(u, location.href).href.startsWith(cfg.server + "/api/v1/");
        } catch {
          return false;
        }
      },
      on: (t, type, h, capture) => this.listen(this.recording, t, type, h, capture),
      undo: (fn) => this.recording.push(fn),
    };
  }

  url(raw: string): string {
    return stripURL(raw, location.href, this.urls);
  }

  start(): void {
    if (this.stopRecording) return;
    if (!this.lifecycle.length) this.watchLifecycle();
    const c = this.c;
    const guard = (fn: () => void) => {
      try {
        fn();
      } catch {
        // A browser without one of the APIs: record the rest.
      }
    };
    guard(() => (this.page = pages(c)));
    guard(() => errors(c, this.cfg.console));
    if (this.cfg.network) guard(() => network(c));
    guard(() => (this.hideVitals = vitals(c)));
    guard(() => longTasks(c));

    // rrweb's first full snapshot in a task of its own rather than in the
    // one that ran this script: the page's longest task gets shorter.
    let stop: (() => void) | undefined;
    const later = setTimeout(() => {
      try {
        stop = this.begin();
      } catch {
        // Outside the API's guard now: never throw into the host page.
      }
    });
    this.stopRecording = () => {
      clearTimeout(later);
      stop?.();
    };
  }

  private begin(): (() => void) | undefined {
    const cfg = this.cfg;
    return record<eventWithTime>({
      ...PRIVACY,
      ...(cfg.maskAllText ? { maskTextSelector: "*" } : {}),
      emit: (event) => this.onEvent(event),
      sampling: cfg.recordCanvas ? { ...SAMPLING, canvas: 2 } : SAMPLING,
      // A defer script runs once the DOM is parsed; without defer, start
      // as soon as it is rather than waiting for every image (rrweb's
      // default is the load event).
      recordAfter: "DOMContentLoaded",
      // Canvas is replayed from snapshots, which need no script in the
      // replay frame; cross-origin iframes need the recorder inside them.
      recordCanvas: cfg.recordCanvas,
      dataURLOptions: { type: "image/webp", quality: 0.6 },
      recordCrossOriginIframes: cfg.recordCrossOriginIframes,
      collectFonts: cfg.collectFonts,
      ...(cfg.snapshotMs ? { checkoutEveryNms: cfg.snapshotMs } : {}),
      // Errors inside rrweb's observers must never reach the host page.
      errorHandler: () => true,
    });
  }

  // Stops recording; what was recorded still goes out.
  pause(): void {
    this.stopRecording?.();
    this.stopRecording = undefined;
    for (const undo of this.recording.splice(0).reverse()) undo();
  }

  // Stops recording and forgets what was not yet sent.
  stop(): void {
    this.pause();
    for (const undo of this.lifecycle.splice(0)) undo();
    this.batcher.stop();
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  custom(tag: string, payload: object, ts = Date.now()): void {
    const e = { type: 5, timestamp: ts, data: { tag: "playhead/" + tag, payload } };
    if (this.waiting) this.waiting.push(e);
    else this.onEvent(e);
  }

  private watchLifecycle(): void {
    const hidden = (leaving: boolean) => {
      try {
        this.hideVitals?.();
      } finally {
        this.batcher.hide(leaving);
      }
    };
    this.batcher.adoptPending();
    this.listen(this.lifecycle, document, "visibilitychange", () => {
      // Which tab the visitor looks at, for the player to follow; sent
      // ahead of the flush that hiding makes.
      const visible = document.visibilityState === "visible";
      if (this.stopRecording) this.custom("visibility", { visible });
      if (!visible) hidden(false);
    });
    this.listen(this.lifecycle, window, "pagehide", () => {
      hidden(true);
      this.identity.markOpen(false);
    });
    this.listen(this.lifecycle, window, "pageshow", (e) => {
      if (!(e as PageTransitionEvent).persisted) return;
      // Back from the back/forward cache. Other pages of this tab may have
      // been recorded in between, so the replay needs this page's DOM again.
      this.identity.markOpen(true);
      this.batcher.adoptPending();
      if (this.stopRecording) record.takeFullSnapshot(true);
    });
  }

  private onEvent(event: { type: number; timestamp: number }): void {
    try {
      scrubEvent(event, this.text, (u) => this.url(u));
      const now = Date.now();
      if (this.identity.stale(now)) {
        // Send what belongs to the old session, then start the new one with
        // a full snapshot; that snapshot also shows the change that the
        // current event records, so the event itself is not needed.
        this.batcher.cut();
        this.identity.renew(now);
        this.batcher.hold(this.identity.start + this.cfg.minDurationMs);
        record.takeFullSnapshot(true);
        if (event.type !== 5) return;
      }
      this.batcher.add(event);
      if (event.type === 4 && this.waiting) {
        // The page's first Meta event: the page view right after it, then
        // whatever was captured before rrweb started, and the device.
        const waiting = this.waiting;
        this.waiting = null;
        this.page?.("load", event.timestamp);
        for (const e of waiting) this.batcher.add(e);
        device(this.c);
      }
    } catch {
      // Recording is best effort; the host page must never see our errors.
    }
  }

  private listen(list: Array<() => void>, target: EventTarget, type: string, handler: (e: Event) => void, capture = true): void {
    const safe = (e: Event) => {
      try {
        handler(e);
      } catch {
        // Same as onEvent: never throw into the host page.
      }
    };
    target.addEventListener(type, safe, { capture });
    list.push(() => target.removeEventListener(type, safe, { capture }));
  }
}
