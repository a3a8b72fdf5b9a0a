// Playhead recorder. Sites load it with
//   <script src="https://playhead.example/playhead.js" data-key="KEY" defer></script>
// and it posts the page's events to the server it was loaded from.
// docs/recorder.md describes the options (data- attributes) and the API.
import { fromScript } from "./options";
import { createPlayhead } from "./playhead";

// The tag that loaded us carries the project key, and its src tells which
// server to send to. currentScript is null where the script was injected as
// a module or after the fact, hence the fallback query.
function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.key) return current;
  return document.querySelector<HTMLScriptElement>('script[data-key][src*="playhead"]');
}

try {
  // Loaded twice on one page: the first copy records.
  if (!window.playhead) {
    const script = findScript();
    if (!script || !script.dataset.key || !script.src) console.warn("playhead: no data-key; not recording");
    else window.playhead = createPlayhead(fromScript(script));
  }
} catch {
  // Never throw into the host page.
}
