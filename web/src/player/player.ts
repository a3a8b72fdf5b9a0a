import { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { fetchEvents, fetchSession, type Session, type SessionRef } from "./api";
import { Controls, type Marker } from "./controls";
import { el } from "./dom";
import { firstFrame } from "./events";
import { Stage } from "./stage";
import { Tabs } from "./tabs";
import { windowsOverlap } from "./windows";

export type PlayerState = "loading" | "ready" | "playing" | "paused" | "ended" | "error";

// Player replays one session inside the page's #player element. Its state
// is mirrored on the element as data-state and data-time (ms from the start
// of the replay) for tests and assistive tech.
export class Player {
  replayer: Replayer | null = null;
  private state: PlayerState = "loading";
  private total = 0;
  // Offset of the first thing to see: rrweb snapshots a page once it has
  // loaded, so the events before (DOMContentLoaded, load) show nothing.
  private firstFrame = 0;
  private speed = 1;
  private frame = 0;
  // Bumped on every window switch, so that a slow fetch for a window the
  // viewer has already left is ignored.
  private generation = 0;
  private session: Session | null = null;
  private tabs: Tabs | null = null;
  private readonly stage = new Stage();
  private readonly controls: Controls;
  private readonly message: HTMLDivElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly ref: SessionRef,
  ) {
    this.controls = new Controls({
      toggle: () => this.toggle(),
      seek: (ms) => this.seek(ms),
      speed: (n) => this.setSpeed(n),
    });
    this.message = el("div", "ph-message", { role: "status" });
    this.stage.element.append(this.message);
    root.classList.add("ph-player");
    root.textContent = "";
    root.append(this.stage.element, this.controls.element);
    document.addEventListener("keydown", (e) => this.onKey(e));
  }

  async load(): Promise<void> {
    this.setState("loading");
    try {
      this.session = await fetchSession(this.ref);
      const windows = [...this.session.windows].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      if (windows.length > 1 && windowsOverlap(windows)) {
        this.tabs = new Tabs(windows, Date.parse(this.session.start), (id) => void this.show(id));
        this.root.insertBefore(this.tabs.element, this.stage.element);
        await this.show(windows[0].id);
      } else {
        await this.show(undefined);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  toggle(): void {
    if (this.state === "playing") this.pause();
    else this.play();
  }

  play(): void {
    const r = this.replayer;
    if (!r || this.state === "loading" || this.state === "error" || this.state === "playing") return;
    const at = r.getCurrentTime();
    // Play after the end starts over.
    r.play(this.state === "ended" || at >= this.total ? 0 : at);
    this.setState("playing");
    this.tick();
  }

  pause(): void {
    const r = this.replayer;
    if (!r || this.state !== "playing") return;
    r.pause();
    this.setState("paused");
    this.setTime(r.getCurrentTime());
  }

  seek(ms: number): void {
    const r = this.replayer;
    if (!r || this.state === "loading" || this.state === "error") return;
    const at = Math.min(this.total, Math.max(this.firstFrame, Number(ms) || 0));
    if (this.state === "playing") {
      r.play(at);
    } else {
      // rrweb applies the events strictly before the offset, so a seek to
      // the end goes 1 ms past it to show the final state too; that
      // reaches the last event, which ends the replay (see finish).
      r.pause(at >= this.total ? this.total + 1 : at);
      this.setState("paused");
    }
    this.setTime(at);
  }

  setSpeed(n: number): void {
    if (!(n > 0)) return;
    this.speed = n;
    this.replayer?.setConfig({ speed: n });
    this.controls.setSpeed(n);
  }

  // Builds a Replayer for one window, or for the whole session when
  // windowId is undefined.
  private async show(windowId: string | undefined): Promise<void> {
    const generation = ++this.generation;
    this.teardown();
    this.tabs?.select(windowId ?? "");
    this.setState("loading");
    try {
      const events = await fetchEvents(this.ref, windowId);
      if (generation !== this.generation) return;
      if (events.length < 2) throw new Error("This session has no recorded events to replay yet.");
      this.build(events, windowId);
    } catch (err) {
      if (generation === this.generation) this.fail(err);
    }
  }

  private build(events: eventWithTime[], windowId: string | undefined): void {
    const r = new Replayer(events, {
      root: this.stage.element,
      speed: this.speed,
      // The default sandboxed iframe (sandbox="allow-same-origin", no
      // scripts) is what keeps the recorded page from running script in the
      // dashboard's origin: never enable canvas replay, which needs scripts.
      UNSAFE_replayCanvas: false,
      mouseTail: false,
      // Focusing replayed inputs would move keyboard focus into the iframe
      // and take the player's keyboard shortcuts with it.
      triggerFocus: false,
      showWarning: false,
      // Elements blocked with our class are replayed as solid boxes, like
      // rrweb's own rr-block.
      insertStyleRules: [".playhead-block { background: currentColor }"],
    });
    this.replayer = r;
    r.on("resize", (d) => {
      const { width, height } = d as { width: number; height: number };
      this.stage.setViewport(width, height);
    });
    r.on("finish", () => {
      if (this.replayer !== r) return;
      // finish also fires shortly after a seek has applied the last event;
      // by then the viewer may have seeked elsewhere.
      if (this.state === "playing" || r.getCurrentTime() >= this.total) {
        this.setTime(this.total);
        this.setState("ended");
      }
    });
    this.stage.attach(r.wrapper);

    const meta = r.getMetaData();
    this.total = meta.totalTime;
    this.firstFrame = Math.min(this.total, firstFrame(events));
    this.controls.setTotal(this.total);
    this.controls.setMarkers(this.markers(meta.startTime, windowId));
    // Draws the first frame; a new Replayer shows nothing until asked.
    r.pause(this.firstFrame);
    this.setTime(this.firstFrame);
    this.setState("ready");
  }

  // start is the replay's first event, in the recording's time; page views
  // are dated as the index dates them, clock offset included.
  private markers(start: number, windowId: string | undefined): Marker[] {
    const views = this.session?.page_views ?? [];
    const shift = this.session?.clock_offset_ms ?? 0;
    return views
      .filter((v) => windowId === undefined || v.window === windowId)
      .map((v) => ({ offset: Date.parse(v.start) - shift - start, label: v.url }));
  }

  private teardown(): void {
    cancelAnimationFrame(this.frame);
    const r = this.replayer;
    this.replayer = null;
    if (r) {
      try {
        r.destroy();
      } catch {
        // Already gone; nothing to free.
      }
    }
    this.total = 0;
    this.firstFrame = 0;
    this.controls.setTotal(0);
    this.controls.setMarkers([]);
    this.setTime(0);
  }

  // Follows the replay clock while playing.
  private tick(): void {
    cancelAnimationFrame(this.frame);
    const step = () => {
      const r = this.replayer;
      if (!r || this.state !== "playing") return;
      this.setTime(Math.min(this.total, r.getCurrentTime()));
      this.frame = requestAnimationFrame(step);
    };
    step();
  }

  private setTime(ms: number): void {
    this.root.dataset.time = String(Math.round(ms));
    this.controls.setTime(ms);
  }

  private setState(state: PlayerState, message = ""): void {
    this.state = state;
    this.root.dataset.state = state;
    this.root.setAttribute("aria-busy", String(state === "loading"));
    this.controls.setEnabled(state !== "loading" && state !== "error");
    this.controls.setPlaying(state === "playing");
    const text = state === "loading" ? "Loading session…" : message;
    this.message.textContent = text;
    this.message.hidden = text === "";
    this.message.classList.toggle("is-error", state === "error");
    this.message.setAttribute("role", state === "error" ? "alert" : "status");
  }

  private fail(err: unknown): void {
    this.teardown();
    const reason = err instanceof Error ? err.message : String(err);
    this.setState("error", `Could not play this session: ${reason}`);
  }

  // Space toggles playback, except where it already means something: in a
  // form field or on a button or link.
  private onKey(e: KeyboardEvent): void {
    if (e.key !== " " || e.repeat || e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as Element | null;
    if (target?.closest?.("input, textarea, select, button, a[href], [contenteditable]")) return;
    e.preventDefault();
    this.toggle();
  }
}
