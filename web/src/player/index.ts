// Session player for the dashboard page /projects/{project}/sessions/{id}.
// The server renders <div id="player" data-project="{project}"
// data-session="{id}"></div> and loads this script.
import "@rrweb/replay/dist/style.css";
import "./player.css";
import { localTimes } from "../local-time";
import { parseMoment } from "./format";
import { Player } from "./player";
import type { Replayer } from "@rrweb/replay";

export interface PlayheadPlayerApi {
  readonly replayer: Replayer | null;
  play(): void;
  pause(): void;
  seek(ms: number): void;
  setSpeed(n: number): void;
  setSkip(on: boolean): void;
}

declare global {
  interface Window {
    playheadPlayer?: PlayheadPlayerApi;
  }
}

// The session's times on its page, in the viewer's time zone.
const moment = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "long" });
localTimes(document, "h1 time[datetime], .goals time[datetime]", (at) => [moment.format(at)]);

const root = document.getElementById("player");
const id = root?.dataset.session;
const project = root?.dataset.project;
if (root && id && project) {
  const player = new Player(root, { project, id, api: root.dataset.api });
  window.playheadPlayer = {
    get replayer() {
      return player.replayer;
    },
    play: () => player.play(),
    pause: () => player.pause(),
    seek: (ms) => player.seek(ms),
    setSpeed: (n) => player.setSpeed(n),
    setSkip: (on) => player.setSkip(on),
  };
  // A link may open the replay at a moment: ?t=90 or ?t=1m30s, or a share
  // link's own moment.
  const start = parseMoment(new URLSearchParams(location.search).get("t")) ?? Number(root.dataset.start ?? 0);
  void player.load(start > 0 ? start : undefined);
  // The session page's moments (signals, pages) seek the replay; pressed,
  // they aim there, as the timeline does.
  const moment = (e: Event) => {
    const link = (e.target as Element | null)?.closest?.("a[data-seek]");
    return link instanceof HTMLElement ? Number(link.dataset.seek) : undefined;
  };
  document.addEventListener("pointerdown", (e) => {
    const ms = e.button === 0 ? moment(e) : undefined;
    if (ms !== undefined) player.aimSession(ms);
  });
  document.addEventListener("click", (e) => {
    const ms = moment(e);
    if (ms === undefined) return;
    e.preventDefault();
    player.seekSession(ms);
    root.scrollIntoView({ block: "nearest" });
  });
}
