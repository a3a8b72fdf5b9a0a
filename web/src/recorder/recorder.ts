import { record } from "@rrweb/record";
import type { eventWithTime } from "@rrweb/types";
import { Batcher } from "./batcher";
import { Identity } from "./identity";
import { openStore } from "./storage";

// Privacy by default (DESIGN.md): every input is masked, and besides rrweb's
// own rr-block / rr-mask / rr-ignore classes (its defaults, kept) Playhead's
// documented class names and data attributes work too.
const PRIVACY = {
  maskAllInputs: true,
  blockSelector: ".playhead-block,[data-playhead-block]",
  maskTextSelector: ".playhead-mask,[data-playhead-mask]",
  ignoreSelector: ".playhead-ignore,[data-playhead-ignore]",
} as const;

// Recorder is one recording of this page: rrweb's record feeding a Batcher,
// plus the page lifecycle hooks that keep the data flowing.
export class Recorder {
  readonly identity: Identity;
  private readonly batcher: Batcher;
  private stopRecording: (() => void) | undefined;
  private readonly cleanups: Array<() => void> = [];

  constructor(url: string, key: string) {
    const tab = openStore("sessionStorage");
    this.identity = new Identity(openStore("localStorage"), tab, Date.now());
    this.batcher = new Batcher(url, key, this.identity, tab);
  }

  start(): void {
    this.batcher.adoptPending();
    this.listen(document, "visibilitychange", () => {
      if (document.visibilityState === "hidden") this.batcher.hide(false);
    });
    this.listen(window, "pagehide", () => {
      this.batcher.hide(true);
      this.identity.markOpen(false);
    });
    this.listen(window, "pageshow", (e) => {
      if (!(e as PageTransitionEvent).persisted) return;
      // Back from the back/forward cache. Other pages of this tab may have
      // been recorded in between, so the replay needs this page's DOM again.
      this.identity.markOpen(true);
      this.batcher.adoptPending();
      record.takeFullSnapshot(true);
    });

    this.stopRecording = record<eventWithTime>({
      ...PRIVACY,
      emit: (event) => this.onEvent(event),
      // A defer script runs once the DOM is parsed; without defer, start
      // as soon as it is rather than waiting for every image (rrweb's
      // default is the load event).
      recordAfter: "DOMContentLoaded",
      // Replaying canvas needs scripts in the replay frame, which the player
      // never allows, so do not record it.
      recordCanvas: false,
      // Errors inside rrweb's observers must never reach the host page.
      errorHandler: () => true,
    });
  }

  stop(): void {
    this.stopRecording?.();
    this.stopRecording = undefined;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.batcher.stop();
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  private onEvent(event: eventWithTime): void {
    try {
      const now = Date.now();
      if (this.identity.stale(now)) {
        // Send what belongs to the old session, then start the new one with
        // a full snapshot; that snapshot also shows the change that the
        // current event records, so the event itself is not needed.
        this.batcher.cut();
        this.identity.renew(now);
        record.takeFullSnapshot(true);
        return;
      }
      this.batcher.add(event);
    } catch {
      // Recording is best effort; the host page must never see our errors.
    }
  }

  private listen(target: EventTarget, type: string, handler: (e: Event) => void): void {
    const safe = (e: Event) => {
      try {
        handler(e);
      } catch {
        // Same as onEvent: never throw into the host page.
      }
    };
    target.addEventListener(type, safe, { capture: true });
    this.cleanups.push(() => target.removeEventListener(type, safe, { capture: true }));
  }
}
