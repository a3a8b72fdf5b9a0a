// Playhead recorder. Sites load it with
//   <script src="https://playhead.example/playhead.js" data-key="KEY" defer></script>
// and it posts the page's rrweb events to the server it was loaded from.
import { Recorder } from "./recorder";

export interface PlayheadApi {
  // Sends everything recorded so far and resolves once the server has
  // acknowledged it (rejects if some of it could not be delivered).
  flush(): Promise<void>;
  // For sites that load the script with data-consent="required": nothing is
  // recorded until consent(true); consent(false) stops and forgets what was
  // not yet sent. Consent is not remembered across pages; the site's
  // consent manager calls this on each page.
  consent(granted: boolean): void;
  readonly sessionId: string | null;
  readonly windowId: string | null;
}

declare global {
  interface Window {
    playhead?: PlayheadApi;
  }
}

// The tag that loaded us carries the project key, and its src tells which
// server to send to. currentScript is null where the script was injected as
// a module or after the fact, hence the fallback query.
function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.key) return current;
  return document.querySelector<HTMLScriptElement>('script[data-key][src*="playhead.js"]');
}

function doNotTrack(): boolean {
  return (navigator as Navigator & { doNotTrack?: string | null }).doNotTrack === "1";
}

function main(): void {
  // Loaded twice on one page: the first copy records.
  if (window.playhead) return;

  const script = findScript();
  const key = script?.dataset.key;
  if (!script || !key || !script.src) {
    console.warn("playhead: no <script data-key> tag found; not recording");
    return;
  }
  const url = new URL(script.src, location.href).origin + "/api/v1/ingest";
  let consented = script.dataset.consent !== "required";
  let recorder: Recorder | null = null;

  const update = () => {
    const wanted = consented && !doNotTrack();
    if (wanted && !recorder) {
      recorder = new Recorder(url, key);
      recorder.start();
    } else if (!wanted && recorder) {
      recorder.stop();
      recorder = null;
    }
  };

  window.playhead = {
    flush: () => (recorder ? recorder.flush() : Promise.resolve()),
    consent(granted: boolean) {
      try {
        consented = granted === true;
        update();
      } catch {
        // Never throw into the host page.
      }
    },
    get sessionId() {
      return recorder ? recorder.identity.sessionId : null;
    },
    get windowId() {
      return recorder ? recorder.identity.windowId : null;
    },
  };
  update();
}

try {
  main();
} catch {
  // Never throw into the host page.
}
