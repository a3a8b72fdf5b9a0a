import { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { type Chunk, fetchChunks, fetchEvents, fetchSession, type Session, type SessionRef } from "./api";
import { Controls, type Marker } from "./controls";
import { el } from "./dom";
import { firstFrame } from "./events";
import { type Segment, segments, startFor } from "./segments";
import { Stage } from "./stage";
import { Tabs } from "./tabs";
import { windowsOverlap } from "./windows";

export type PlayerState = "loading" | "ready" | "playing" | "paused" | "ended" | "error";

// Player replays one session inside the page's #player element. Its state
// is mirrored on the element as data-state and data-time (ms from the start
// of the replay) for tests and assistive tech.
//
// It reads the session's chunk index first and fetches the events a
// segment (a chunk) at a time: the one it needs to show a moment (the first
// for a fresh open) and then, in the background, the ones after it, which
// it appends to the running Replayer. A seek to a moment not fetched yet
// builds a new Replayer from the segment that starts with a full snapshot
// before it.
export class Player {
  replayer: Replayer | null = null;
  private state: PlayerState = "loading";
  private total = 0;
  private chunks: Chunk[] = [];
  private segs: Segment[] = [];
  private windowId: string | undefined;
  // The replay's first event (ms since the epoch, the recording's time);
  // offsets of the replay count from it.
  private start = 0;
  // Where the current Replayer's own clock starts, as a replay offset.
  private shift = 0;
  // Segments loaded into the current Replayer: [loadedFrom, loadedTo).
  private loadedFrom = 0;
  private loadedTo = 0;
  // Playing reached the end of what is loaded: play on once more comes.
  private waiting = false;
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
      [this.session, this.chunks] = await Promise.all([fetchSession(this.ref), fetchChunks(this.ref)]);
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
    const at = this.now();
    // Play after the end starts over.
    this.goTo(this.state === "ended" || at >= this.total ? 0 : at, true);
  }

  pause(): void {
    const r = this.replayer;
    if (!r || this.state !== "playing") return;
    r.pause();
    this.waiting = false;
    this.setState("paused");
    this.setTime(this.now());
  }

  seek(ms: number): void {
    if (!this.replayer || this.state === "loading" || this.state === "error") return;
    const at = Math.min(this.total, Math.max(this.firstFrame, Number(ms) || 0));
    this.goTo(at, this.state === "playing");
  }

  // The replay's time: the Replayer's clock moved to the replay's.
  private now(): number {
    return (this.replayer?.getCurrentTime() ?? 0) + this.shift;
  }

  // goTo shows the replay at offset at, playing or paused, from the
  // Replayer in hand when it holds that moment, else from a new one.
  private goTo(at: number, play: boolean): void {
    const r = this.replayer;
    if (!r) return;
    const t = this.start + at;
    const all = this.loadedTo === this.segs.length;
    if (t >= this.segs[this.loadedFrom].from && (all || t < this.segs[this.loadedTo - 1].to)) {
      this.waiting = false;
      if (play) {
        r.play(at - this.shift);
        this.setState("playing");
        this.tick();
      } else {
        // rrweb applies the events strictly before the offset, so a seek
        // to the end goes 1 ms past it to show the final state too; that
        // reaches the last event, which ends the replay (see finish).
        r.pause(at >= this.total ? this.total + 1 - this.shift : at - this.shift);
        this.setState("paused");
      }
      this.setTime(at);
      return;
    }
    const { at: seg, from } = startFor(this.segs, t);
    const generation = ++this.generation;
    this.dropReplayer();
    this.setState("loading");
    this.setTime(at);
    this.open(generation, from, seg, at, play).catch((err) => {
      if (generation === this.generation) this.fail(err);
    });
  }

  setSpeed(n: number): void {
    if (!(n > 0)) return;
    this.speed = n;
    this.replayer?.setConfig({ speed: n });
    this.controls.setSpeed(n);
  }

  // Shows one window, or the whole session when windowId is undefined,
  // from its start.
  private async show(windowId: string | undefined): Promise<void> {
    const generation = ++this.generation;
    this.teardown();
    this.tabs?.select(windowId ?? "");
    this.setState("loading");
    try {
      const chunks = windowId === undefined ? this.chunks : this.chunks.filter((c) => c.window === windowId);
      if (chunks.reduce((n, c) => n + c.events, 0) < 2) {
        throw new Error("This session has no recorded events to replay yet.");
      }
      this.windowId = windowId;
      this.segs = segments(chunks);
      this.start = this.segs[0].from;
      this.total = this.segs[this.segs.length - 1].to - 1 - this.start;
      this.controls.setTotal(this.total);
      this.controls.setMarkers(this.markers(this.start, windowId));
      await this.open(generation, 0, 0, undefined, false);
    } catch (err) {
      if (generation === this.generation) this.fail(err);
    }
  }

  // open fetches segments from to at and builds a Replayer of them that
  // shows offset at (the first frame when undefined), then fetches the
  // segments after them in the background.
  private async open(generation: number, from: number, at: number, offset: number | undefined, play: boolean): Promise<void> {
    const events = await fetchEvents(this.ref, this.windowId, { from: this.segs[from].from, to: this.segs[at].to });
    if (generation !== this.generation) return;
    if (events.length === 0) throw new Error("This session has no recorded events to replay yet.");
    this.build(events);
    this.loadedFrom = from;
    this.loadedTo = at + 1;
    const r = this.replayer!;
    if (offset === undefined) {
      // Draws the first frame; a new Replayer shows nothing until asked.
      r.pause(this.firstFrame - this.shift);
      this.setTime(this.firstFrame);
      this.setState("ready");
      performance.mark("playhead:first-frame");
    } else {
      this.setState("paused");
      this.goTo(offset, play);
    }
    void this.fetchRest(generation);
  }

  // fetchRest appends the segments after those loaded, one at a time.
  private async fetchRest(generation: number): Promise<void> {
    try {
      while (this.loadedTo < this.segs.length) {
        const seg = this.segs[this.loadedTo];
        const events = await fetchEvents(this.ref, this.windowId, { from: seg.from, to: seg.to });
        const r = this.replayer;
        if (generation !== this.generation || !r) return;
        for (const e of events) r.addEvent(e);
        this.loadedTo++;
        if (this.waiting) {
          // rrweb takes added events in a microtask.
          await Promise.resolve();
          if (generation !== this.generation || !this.waiting) return;
          this.waiting = false;
          r.play(r.getCurrentTime());
        }
      }
    } catch (err) {
      if (generation === this.generation) this.fail(err);
    }
  }

  private build(events: eventWithTime[]): void {
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
    this.shift = events[0].timestamp - this.start;
    r.on("resize", (d) => {
      const { width, height } = d as { width: number; height: number };
      this.stage.setViewport(width, height);
    });
    r.on("finish", () => {
      if (this.replayer !== r) return;
      if (this.loadedTo < this.segs.length) {
        // The end of what is fetched, not of the replay: go on once the
        // next segment is in.
        if (this.state === "playing") this.waiting = true;
        return;
      }
      // finish also fires shortly after a seek has applied the last event;
      // by then the viewer may have seeked elsewhere.
      if (this.state === "playing" || this.now() >= this.total) {
        this.setTime(this.total);
        this.setState("ended");
      }
    });
    this.stage.attach(r.wrapper);
    if (this.loadedTo === 0 || this.firstFrame === 0) {
      this.firstFrame = Math.min(this.total, firstFrame(events) + this.shift);
    }
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

  private dropReplayer(): void {
    cancelAnimationFrame(this.frame);
    this.waiting = false;
    const r = this.replayer;
    this.replayer = null;
    if (r) {
      try {
        r.destroy();
      } catch {
        // Already gone; nothing to free.
      }
    }
  }

  private teardown(): void {
    this.dropReplayer();
    this.total = 0;
    this.firstFrame = 0;
    this.loadedFrom = this.loadedTo = 0;
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
      this.setTime(Math.min(this.total, this.now()));
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
