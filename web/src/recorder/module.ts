// Playhead recorder as an ES module, for sites that bundle it:
//   import { init } from "./playhead.mjs";
//   const playhead = init({ key: "KEY", server: "https://playhead.example" });
// docs/recorder.md describes the options and the API.
import { configure, type Options } from "./options";
import { createPlayhead, type PlayheadApi } from "./playhead";

export type { Options, PlayheadApi };

// init starts the recorder once per page and returns its API, also set on
// window.playhead; a second call returns the first recorder.
export function init(options: Options): PlayheadApi {
  if (window.playhead) return window.playhead;
  const api = createPlayhead(configure(options as Options & Record<string, unknown>));
  window.playhead = api;
  return api;
}
