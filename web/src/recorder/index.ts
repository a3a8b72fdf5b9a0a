// Playhead recorder. Sites load it with
//   <script src="https://playhead.example/playhead.js?key=KEY" defer></script>
// (or data-key="KEY" on the tag)
// and it posts the page's events to the server it was loaded from.
// docs/recorder.md describes the options (data- attributes) and the API.
import { fromScript, type Settings } from "./options";
import { createPlayhead } from "./playhead";

// The server replaces this string by the project's settings as JSON when
// it serves playhead.js?key=KEY (internal/server/script.go), so that they
// hold from the first event; served without a key it stays as it is.
const SETTINGS = "/*playhead:settings*/";


// The tag that loaded us, whose src tells which server to send to.
// currentScript is null where the script was injected as a module or after
// the fact, hence the fallback query.
function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  return document.querySelector<HTMLScriptElement>('script[src*="playhead"]');
}

try {
  // Loaded twice on one page: the first copy records.
  if (!window.playhead) {
    let p: Settings = {};
    try {
      p = JSON.parse(SETTINGS);
    } catch {
      // Served without a key.
    }
    const script = findScript();
    const cfg = script && script.src ? fromScript(script, p) : null;
    if (!cfg || cfg.key === "undefined") console.warn("playhead: no key; not recording");
    else window.playhead = createPlayhead(cfg);
  }
} catch {
  // Never throw into the host page.
}
