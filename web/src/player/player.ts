import { Replayer } from "@rrweb/replay";
import { EventType, type eventWithTime } from "@rrweb/types";
import { type Chunk, eventsURL, type Fetched, fetchChunks, fetchEvents, fetchSession, type Session, type SessionRef, sessionURL } from "./api";
import { Controls } from "./controls";
import { afterFrame, el } from "./dom";
import { firstFrame } from "./events";
import { latest } from "./feed";
import { FeedReader, type Part } from "./feed-reader";
import { crossed, inView, nextSwitch, type Switch, Tracks } from "./follow";
import { formatMoment } from "./format";
import { bindKeys, Help } from "./keys";
import { cursorOf, inProgress, Live } from "./live";
import { NotesPane } from "./notes";
import { Panes } from "./panes";
import { seekTo } from "./seek";
import { type Segment, segments, startFor } from "./segments";
import { Stage } from "./stage";
import { TagBar } from "./tags";
import { Tabs } from "./tabs";
import { Clock, feedMarks, type Mark, sessionMarks, skipTarget, type Stretch, stretches } from "./timeline";
import { windowsOverlap } from "./windows";

const BLOCK_RULES = [
  ".rr-block, .playhead-block { position: relative; background: repeating-linear-gradient(45deg, #eceef2 0 8px, #f6f7f9 8px 16px) !important; outline: 1px dashed #98a2b3; outline-offset: -1px }",
  ".rr-block::after, .playhead-block::after { content: 'Blocked'; position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; font: 600 12px system-ui, sans-serif; color: #667085 }",
  'select[value="******"] { color: transparent !important; background: #f2f4f7 url("data:image/svg+xml,%3Csvg xmlns=\'http://www.w3.org/2000/svg\' width=\'80\' height=\'16\'%3E%3Ctext x=\'0\' y=\'12\' font-family=\'sans-serif\' font-size=\'12\' fill=\'%23667085\'%3EMasked%3C/text%3E%3C/svg%3E") no-repeat 6px center !important }',
];

// How far past the moment shown the player fetches, in recording time, and
// how much a Replayer may hold before playing on builds a new one from the
// next full snapshot: a long session's memory stays that of a stretch of
// it (docs/benchmarks.md, BenchmarkPlayerMemory).
const AHEAD_MS = 3 * 60_000;
const KEEP_MS = 10 * 60_000;
// SEEKS_PER_REPLAYER is how many seeks one Replayer takes (see goTo). A
// seek to a moment it does not hold has it replay the segments fetched for
// that moment only while it has taken fewer than REFILL_BEFORE: each page
// rrweb builds in a Replayer keeps memory until the Replayer goes, and
// with six, the 180-minute figure of BenchmarkPlayerMemory went from 14.0
// to 15.9 MiB.
const SEEKS_PER_REPLAYER = 6;
const REFILL_BEFORE = 2;
// A long session's segments are read for the panes one after another, tens
// of ms apart, and drawing the panes and the timeline again takes about
// 10 ms: they are drawn at most this often while segments arrive.
const FEED_DRAW_MS = 250;

export type PlayerState = "loading" | "ready" | "playing" | "paused" | "ended" | "error";

// Player replays one session inside the page's #player element. Its state
// is mirrored on the element as data-state and data-time (ms from the start
// of the replay) for tests and assistive tech, and data-panes: "filled"
// once the panes have read every segment.
//
// It reads the session's chunk index first and fetches the events a
// segment (a chunk) at a time: the one it needs to show a moment (the first
// for a fresh open) and then, in the background, the ones after it, which
// it appends to the running Replayer. A seek to a moment not fetched yet
// builds a new Replayer from the segment that starts with a full snapshot
// before it. The panes read every segment in a worker (feed-reader.ts):
// those the replay fetched, and the others, which the worker fetches.
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
  // The generation whose fetchRest is running, or -1.
  private fetching = -1;
  // Offset of the first thing to see: rrweb snapshots a page once it has
  // loaded, so the events before (DOMContentLoaded, load) show nothing.
  private firstFrame = 0;
  private speed = 1;
  private frame = 0;
  // Bumped on every window switch and far seek (next), so that a slow
  // fetch for a window or moment the viewer has already left is ignored.
  private generation = 0;
  // Aborts the segments fetched for the generation before.
  private left = new AbortController();
  private session: Session | null = null;
  private tabs: Tabs | null = null;
  private readonly stage = new Stage();
  private readonly controls: Controls;
  private readonly message: HTMLDivElement;
  // Said over the stage at a moment before any snapshot of the page the
  // Replayer in hand holds: rrweb has nothing to draw there.
  private readonly blank: HTMLDivElement;
  // The recording's time of that Replayer's first full snapshot.
  private snapshotAt = Infinity;
  private readonly main: HTMLDivElement;
  private readonly panes: Panes;
  private readonly help = new Help();
  private feed: FeedReader | null = null;
  private clock = new Clock(0, 0);
  private marks: Mark[] = [];
  private idle: Stretch[] = [];
  private pages: { at: number; url: string }[] = [];
  private skip = true;
  // A session in progress: its live mode (live.ts).
  private live: Live | null = null;
  private seeks = 0; // by the Replayer in hand
  // What a seek to where the pointer is pressed (the seek bar, a marker, a
  // row) would fetch (see aim). Once fetched, a Replayer is built there,
  // hidden, for the release to show (ready, at offset at).
  private aimed: {
    key: string;
    events: Promise<Fetched>;
    abort: AbortController;
    ready?: { r: Replayer; at: number; got: Fetched };
  } | null = null;
  // A moment the Replayer in hand holds, built out of sight in a copy of
  // it (r, of its count events) while the pointer is pressed there.
  private here: { at: number; count: number; r?: Replayer } | null = null;
  // The Replayer being built is to play once built.
  private resume = false;
  // When the visitor turned to which tab (follow.ts), and the recording's
  // time the clock was at on the last frame, to see a switch pass.
  private readonly tracks = new Tracks();
  private switches: Switch[] = [];
  private lastAbs = 0;
  private readonly notes: NotesPane | null = null;
  private readonly tagBar: TagBar | null = null;
  // Replayers a far seek let go, on screen until the next is shown.
  private retired: Replayer[] = [];
  // The moment the panes are to show once the next frame is drawn.
  private panesAt: number | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly ref: SessionRef,
  ) {
    this.controls = new Controls({
      toggle: () => this.toggle(),
      seek: (ms) => this.seek(ms),
      aim: (ms) => this.aim(ms),
      seekBy: (ms) => this.seekBy(ms),
      speed: (n) => this.setSpeed(n),
      skip: (on) => this.setSkip(on),
      fullscreen: () => this.fullscreen(),
      help: () => this.help.toggle(),
      copyLink: () => void this.copyLink(),
      goLive: () => this.goLive(),
    });
    this.panes = new Panes(
      (ms) => this.seek(ms),
      (ms) => this.aim(ms),
    );
    this.message = el("div", "ph-message", { role: "status" });
    this.blank = el("div", "ph-blank", { role: "status", hidden: "" },
      "No snapshot of the page was recorded before this moment, so there is nothing to show until one comes.");
    this.stage.element.append(this.message, this.blank);
    root.classList.add("ph-player");
    root.textContent = "";
    this.main = el("div", "ph-main");
    this.main.append(this.stage.bar, this.stage.element, this.controls.element, this.help.element);
    // Tags and notes are the project's people's: not on a share link.
    if (!ref.api) {
      const csrf = root.dataset.csrf ?? "";
      this.tagBar = new TagBar(ref, csrf);
      this.main.insertBefore(this.tagBar.element, this.main.firstChild);
      this.notes = new NotesPane(ref, csrf, () => ({ at: this.time, time: this.start + this.time, window: this.windowId }), () => this.feedChanged());
      this.panes.notes.append(this.notes.element);
    }
    root.append(this.main, this.panes.element);
    bindKeys({
      toggle: () => this.toggle(),
      seekBy: (ms) => this.seekBy(ms),
      speed: (n) => this.setSpeed(n),
      fullscreen: () => this.fullscreen(),
      help: () => this.help.toggle(),
      closeHelp: () => this.help.close(),
    });
  }

  // load opens the session at its first frame, or at moment ms from its
  // start (a link's): there, not at the start and then there.
  async load(ms?: number): Promise<void> {
    this.setState("loading");
    try {
      [this.session, this.chunks] = await Promise.all([fetchSession(this.ref), fetchChunks(this.ref)]);
      this.tagBar?.set(this.session.tags);
      void this.notes?.load();
      // The recording's time of the moment (see Clock).
      const abs = ms === undefined ? undefined : Date.parse(this.session.start) - (this.session.clock_offset_ms ?? 0) + ms;
      const windows = this.sortedWindows();
      if (this.makeTabs()) {
        this.readShown(this.session);
        // A link opens on the tab the visitor was looking at then.
        await this.show((abs === undefined ? undefined : inView(this.switches, abs)) ?? windows[0].id, abs);
      } else {
        await this.show(undefined, abs);
      }
      const device = this.session.device ?? "";
      this.stage.setPhone(device === "mobile" || device === "tablet");
      // ?live=0 replays what was recorded so far, without following.
      const follow = new URLSearchParams(location.search).get("live") !== "0";
      if (!this.ref.api && follow && inProgress(this.session)) this.startLive();
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
    if (this.live && at >= this.total) {
      this.goLive();
      return;
    }
    // Play after the end starts over.
    this.goTo(this.state === "ended" || at >= this.total ? 0 : at, true);
  }

  pause(): void {
    const r = this.replayer;
    if (!r || this.state !== "playing") return;
    r.pause();
    this.waiting = false;
    this.setFollowing(false);
    this.setState("paused");
    this.setTime(this.now());
  }

  // A seek while a Replayer is being built for another moment builds one
  // for this moment instead: the last seek is the one shown.
  seek(ms: number): void {
    if (this.state === "error" || (!this.replayer && this.state !== "loading") || this.segs.length === 0) return;
    const at = this.within(ms);
    this.setFollowing(at >= this.total);
    this.goTo(at, this.state === "playing" || (this.state === "loading" && this.resume));
  }

  seekBy(ms: number): void {
    this.seek(this.now() + ms);
  }

  // seekSession seeks to ms from the session's start, the clock the player
  // shows and links and the session page use.
  seekSession(ms: number): void {
    this.seek(ms - this.clock.base);
  }

  // aimSession aims at ms from the session's start (see aim).
  aimSession(ms: number): void {
    this.aim(ms - this.clock.base);
  }

  // The moment shown, in ms from the start of the replay.
  get time(): number {
    return Number(this.root.dataset.time ?? 0);
  }

  setSkip(on: boolean): void {
    this.skip = on;
    this.controls.setSkip(on);
    this.root.dataset.skip = String(on);
  }

  fullscreen(): void {
    if (document.fullscreenElement) void document.exitFullscreen();
    else this.root.requestFullscreen?.().catch(() => {});
  }

  // copyLink copies the page's address at the moment shown (?t=seconds
  // from the session's start) and says so; where the clipboard is refused
  // it shows the link instead.
  async copyLink(): Promise<void> {
    const url = new URL(location.href);
    url.searchParams.set("t", formatMoment(this.time + this.clock.base));
    url.hash = "";
    const link = url.toString();
    this.root.dataset.link = link;
    try {
      await navigator.clipboard.writeText(link);
      this.notify("Link to this moment copied");
    } catch {
      this.notify(link);
    }
  }

  private notify(text: string): void {
    let toast = this.main.querySelector<HTMLDivElement>(".ph-toast");
    if (!toast) {
      toast = el("div", "ph-toast", { role: "status" });
      this.main.append(toast);
    }
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(Number(toast.dataset.timer));
    const t = toast;
    toast.dataset.timer = String(setTimeout(() => (t.hidden = true), 4000));
  }

  // The replay's time: the Replayer's clock moved to the replay's, or the
  // moment being fetched.
  private now(): number {
    if (this.state === "loading") return this.time;
    return (this.replayer?.getCurrentTime() ?? 0) + this.shift;
  }

  // goTo shows the replay at offset at, playing or paused, from the
  // Replayer in hand when it holds that moment, else from the stretch
  // fetched for it (see open).
  private goTo(at: number, play: boolean): void {
    const r = this.replayer;
    if (this.segs.length === 0) return;
    const t = this.start + at;
    this.lastAbs = t;
    // Each seek rebuilds the page inside the Replayer, and rrweb keeps
    // some of every page it built until the Replayer goes: past a few, a
    // new one is made.
    const room = this.seeks < SEEKS_PER_REPLAYER;
    if (r && room && this.state !== "loading" && this.holds(t)) {
      this.seeks++;
      this.waiting = false;
      const here = this.takeHere(r, at, play);
      if (here) {
        // Built while the seek bar was pressed here.
        this.present(here, r.service.state.context.events);
        this.setState("paused");
      } else if (play) {
        seekTo(r, at - this.shift, true);
        this.setState("playing");
        this.tick();
      } else {
        // rrweb applies the events strictly before the offset, so a seek
        // to the end goes 1 ms past it to show the final state too; that
        // reaches the last event, which ends the replay (see finish).
        seekTo(r, at >= this.total ? this.total + 1 - this.shift : at - this.shift, false);
        this.setState("paused");
      }
      this.setTime(at);
      this.feed?.go();
      return;
    }
    const { at: seg, from } = startFor(this.segs, t);
    const generation = this.next();
    const ready = this.aimed?.key === this.rangeKey(this.span(from, seg)) ? this.aimed.ready : undefined;
    if (ready?.at === at && !play) {
      // Built at this moment while the seek bar was pressed: shown now,
      // with no wait for the fetch's promise, which a frame could pass.
      this.aimed = null;
      this.settle(generation, from, seg, ready.got, ready.r);
      this.setState("paused");
      this.setTime(at);
      return;
    }
    this.feed?.hold();
    this.resume = play;
    // The fetch starts first. Until it is answered, the Replayer in hand
    // stays on screen, stopped, and only the seek bar moves: the panes
    // follow once the moment is shown. Unless it has taken its share of
    // seeks, it then replays what was fetched (see open).
    const opened = this.open(generation, from, seg, at, play, this.seeks < REFILL_BEFORE);
    this.stop();
    this.setState("loading");
    this.root.dataset.time = String(Math.round(at));
    this.controls.setTime(at);
    opened.catch((err) => {
      if (generation === this.generation) this.fail(err);
    });
  }

  // holds tells whether the Replayer in hand has the events up to t (the
  // recording's time).
  private holds(t: number): boolean {
    const all = this.loadedTo === this.segs.length;
    return this.replayer !== null && t >= this.segs[this.loadedFrom].from && (all || t < this.segs[this.loadedTo - 1].to);
  }

  // aim starts fetching what a seek to ms would fetch: the seek bar, a
  // marker or a pane's row is pressed there, and seeks on release, a tenth
  // of a second or more later for a click, which is about what the request
  // and its parsing take. Once fetched, the moment is built, hidden, so
  // that the release only shows it. One such fetch is kept, for one place.
  aim(ms: number): void {
    if (this.segs.length === 0 || this.state === "loading" || this.state === "error") return;
    const offset = this.within(ms);
    const t = this.start + offset;
    // The end is shown by reaching the last event, which ends the replay
    // (see goTo): nothing is built ahead for it.
    if (offset >= this.total) return;
    const r = this.replayer;
    this.feed?.hold();
    if (r && this.holds(t) && this.seeks < SEEKS_PER_REPLAYER) {
      this.aimHere(r, offset);
      return;
    }
    const { at, from } = startFor(this.segs, t);
    const range = this.span(from, at);
    const key = this.rangeKey(range);
    if (this.aimed?.key === key) return;
    this.dropAim();
    const abort = new AbortController();
    const events = fetchEvents(this.ref, this.windowId, range, abort.signal);
    const aimed: NonNullable<Player["aimed"]> = { key, events, abort };
    this.aimed = aimed;
    events
      .then((got) => {
        if (this.aimed !== aimed || this.state === "loading" || got.events.length === 0) return;
        aimed.ready = { r: this.makeAt(got.events, offset), at: offset, got };
      })
      .catch(() => {}); // a seek that takes it sees the failure
  }

  // aimHere builds the moment at offset of the Replayer in hand r, in a
  // copy of it, after the press is drawn, unless the replay is playing
  // (it would have moved on by the release).
  private aimHere(r: Replayer, offset: number): void {
    if (this.state === "playing" || this.here?.at === offset) return;
    this.dropAim();
    const events = r.service.state.context.events;
    const here: NonNullable<Player["here"]> = { at: offset, count: events.length };
    this.here = here;
    afterFrame(() => {
      if (this.here !== here || this.replayer !== r || events.length !== here.count) return;
      here.r = this.makeAt([...events], offset);
    });
  }

  // within is the replay offset a seek to ms goes to: the first frame at
  // the earliest, the end at the latest.
  private within(ms: number): number {
    return Math.min(this.total, Math.max(this.firstFrame, Number(ms) || 0));
  }

  // span is the time range of segments from to at.
  private span(from: number, at: number): { from: number; to: number } {
    return { from: this.segs[from].from, to: this.segs[at].to };
  }

  private rangeKey(range: { from: number; to: number }): string {
    return `${this.windowId ?? ""} ${range.from} ${range.to}`;
  }

  setSpeed(n: number): void {
    if (!(n > 0)) return;
    this.speed = n;
    this.replayer?.setConfig({ speed: n });
    this.controls.setSpeed(n);
  }

  // Shows one window, or the whole session when windowId is undefined,
  // from its start.
  private async show(windowId: string | undefined, abs?: number, play = false): Promise<void> {
    const generation = this.next();
    this.resume = play;
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
      this.clock = new Clock(this.start, this.session?.clock_offset_ms ?? 0, this.session?.start);
      this.controls.setClock(this.clock);
      this.feed = this.readFeed(generation);
      this.idle = this.session ? stretches(this.session, this.clock, windowId) : [];
      this.controls.setStretches(this.idle);
      this.pages = this.session ? this.pagesOf(this.session, windowId) : [];
      this.notes?.setClock(this.clock);
      this.feedChanged();
      if (abs === undefined) {
        await this.open(generation, 0, 0, undefined, false);
      } else {
        const { at, from } = startFor(this.segs, abs);
        await this.open(generation, from, at, Math.min(this.total, Math.max(0, abs - this.start)), play);
      }
    } catch (err) {
      if (generation === this.generation) this.fail(err);
    }
  }

  // open fetches segments from to at and has a Replayer of them show
  // offset at (the first frame when undefined), then fetches the segments
  // after them in the background. The Replayer is the one built while the
  // seek bar was pressed, if any; else, when refill, the one in hand, as a
  // seek in what it holds would (a new one's page, an iframe, takes tens
  // of ms to set up); else a new one.
  private async open(generation: number, from: number, at: number, offset: number | undefined, play: boolean, refill = false): Promise<void> {
    const range = this.span(from, at);
    const aimed = this.aimed?.key === this.rangeKey(range) ? this.aimed : undefined;
    if (aimed) this.aimed = null;
    else this.dropAim();
    const got = await (aimed?.events ?? fetchEvents(this.ref, this.windowId, range, this.left.signal));
    const ready = aimed?.ready;
    if (generation !== this.generation) {
      if (ready) destroy(ready.r);
      return;
    }
    if (got.events.length === 0) throw new Error("This session has no recorded events to replay yet.");
    let r = ready?.r;
    if (!r && refill && this.replayer) {
      r = this.replayer;
      replace(r, got.events);
    }
    r ??= this.make(got.events);
    this.settle(generation, from, at, got, r);
    if (offset === undefined) {
      // Draws the first frame; a new Replayer shows nothing until asked.
      seekTo(r, this.firstFrame - this.shift, false);
      this.setTime(Math.min(this.total, this.firstFrame));
      this.setState("ready");
      performance.mark("playhead:first-frame");
    } else {
      this.setState("paused");
      this.goTo(Math.max(this.firstFrame, offset), play);
    }
  }

  // settle makes r, built of segments from to at (got), the Replayer in
  // hand, and fetches the segments after them in the background.
  private settle(generation: number, from: number, at: number, got: Fetched, r: Replayer): void {
    this.took(from, at, got);
    this.present(r, got.events);
    this.loadedFrom = from;
    this.loadedTo = at + 1;
    void this.fetchRest(generation)
      .then(() => this.fillFeed(generation))
      .catch((err) => {
        if (generation === this.generation) this.fail(err);
      });
  }

  // wants tells whether segment k is to be appended to the Replayer now: it
  // starts within AHEAD_MS of the moment shown, and the Replayer would not
  // hold more than KEEP_MS with it while a new one could start there.
  private wants(k: number): boolean {
    return this.segs[k].from <= this.start + this.now() + AHEAD_MS && !this.full(k);
  }

  private full(k: number): boolean {
    return this.segs[k].to - this.segs[this.loadedFrom].from > KEEP_MS && startFor(this.segs, this.segs[k].from).from > this.loadedFrom;
  }

  // fetchRest appends the segments after those loaded, one at a time, as
  // far as wants allows; setTime calls it again as the replay moves on. It
  // starts once the next frame is drawn: starting a request takes the best
  // part of a millisecond, which a seek's frame would wait for.
  private async fetchRest(generation: number): Promise<void> {
    if (this.fetching === generation) return;
    this.fetching = generation;
    try {
      await new Promise<void>((drawn) => afterFrame(drawn));
      while (generation === this.generation && this.loadedTo < this.segs.length && (this.waiting || this.wants(this.loadedTo))) {
        const got = await fetchEvents(this.ref, this.windowId, this.span(this.loadedTo, this.loadedTo), this.left.signal);
        const r = this.replayer;
        if (generation !== this.generation || !r) return;
        this.took(this.loadedTo, this.loadedTo, got);
        this.addEvents(r, got.events);
        this.loadedTo++;
        if (this.waiting) {
          // rrweb takes added events in a microtask.
          await Promise.resolve();
          if (generation !== this.generation || !this.waiting) return;
          this.waiting = false;
          seekTo(r, r.getCurrentTime(), true);
        }
      }
    } catch (err) {
      if (generation === this.generation) this.fail(err);
    } finally {
      if (this.fetching === generation) this.fetching = -1;
    }
  }

  // next starts a generation: the fetches of segments under way for the
  // one before are given up, so that neither the server nor the page
  // spends time on what the viewer has left (a segment ahead of a moment
  // sought away from is about 600 KB of JSON to send and parse).
  private next(): number {
    this.left.abort();
    this.left = new AbortController();
    return ++this.generation;
  }

  // readFeed starts reading the segments for the panes and the timeline,
  // in a worker.
  private readFeed(generation: number): FeedReader {
    const redraw = atMostEvery(FEED_DRAW_MS, () => this.feedChanged());
    const feed: FeedReader = new FeedReader(this.start, this.segs.length, {
      changed: () => {
        if (this.feed === feed) redraw();
      },
      first: (offset, at) => {
        if (this.feed === feed) this.setFirstFrame(offset, at);
      },
      failed: (err) => {
        if (this.feed === feed && generation === this.generation) this.fail(err);
      },
    });
    return feed;
  }

  // fillFeed has the worker fetch, for the panes and the timeline, the
  // segments the replay has not fetched: those before the one a replay
  // was built at, and those after what it holds.
  private fillFeed(generation: number): void {
    if (generation !== this.generation || !this.feed) return;
    for (let k = 0; k < this.segs.length; k++) {
      if (!this.feed.has(k)) this.feed.fetch(k, eventsURL(this.ref, this.windowId, this.span(k, k)));
    }
    this.feed.go();
  }

  // took gives segments from to to (of the replay's events got) to the
  // feed; the first segment's also tell where the first frame is, before
  // which there is nothing to show.
  private took(from: number, to: number, got: Fetched): void {
    if (from === 0 && got.events.length > 0) {
      const seg = this.segs[0];
      const first = got.events.filter((e) => e.timestamp >= seg.from && e.timestamp < seg.to);
      if (first.length > 0) this.setFirstFrame(firstFrame(first), first[0].timestamp);
    }
    const parts: Part[] = [];
    for (let k = from; k <= to; k++) parts.push({ k, ...this.span(k, k) });
    this.feed?.text(parts, got.text);
  }

  // setFirstFrame places the first frame offset ms after the first
  // segment's first event, at (the recording's time).
  private setFirstFrame(offset: number, at: number): void {
    // Not bounded by the length: a session in progress may hold no more
    // than its snapshot yet, and a first frame at the end of that would
    // stay at the snapshot itself, which a seek there leaves out.
    this.firstFrame = offset + at - this.start;
  }

  private feedChanged(): void {
    const items = this.feed?.items ?? [];
    this.root.dataset.panes = this.feed?.filled ? "filled" : "filling";
    const fromSession = this.session ? sessionMarks(this.session, this.clock, this.windowId) : [];
    this.marks = [...fromSession, ...feedMarks(items), ...(this.notes?.marks() ?? []), ...this.tabMarks()];
    this.panes.setNoteCount(this.notes?.count ?? 0);
    this.controls.setMarks(this.marks);
    this.panes.update(this.session, this.clock, this.windowId, items, !this.feed?.filled);
    // The recording's own page events date pages to the millisecond.
    const recorded = items.flatMap((i) => (i.kind === "page" ? [{ at: i.at, url: i.url }] : []));
    if (recorded.length > 0) this.pages = recorded;
    this.showURL(this.time);
  }

  private sortedWindows() {
    return [...(this.session?.windows ?? [])].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  }

  // makeTabs shows the tab picker when the session's windows overlap in
  // time (or brings it up to date), and tells whether it is shown.
  private makeTabs(): boolean {
    const windows = this.sortedWindows();
    for (const c of this.chunks) this.tracks.start(c.window, c.start_ms);
    if (!this.session || windows.length < 2 || !windowsOverlap(windows)) return this.tabs !== null;
    const tabs = new Tabs(windows, Date.parse(this.session.start), (id) => void this.pick(id));
    if (this.tabs) this.tabs.element.replaceWith(tabs.element);
    else this.main.insertBefore(tabs.element, this.tagBar ? this.tagBar.element.nextSibling : this.main.firstChild);
    this.tabs = tabs;
    tabs.select(this.windowId ?? "");
    return true;
  }

  // readShown reads when the visitor turned to which tab, as the index
  // read it from the recorder's visibility events.
  private readShown(session: Session): void {
    for (const w of session.windows) {
      const shown = w.shown ?? [];
      this.tracks.show(w.id, shown.map((s) => ({ at: Date.parse(s.time) - (session.clock_offset_ms ?? 0), visible: s.visible })));
    }
    this.switches = this.tracks.switches();
  }

  private tabMarks(): Mark[] {
    if (!this.tabs) return [];
    const number = new Map(this.sortedWindows().map((w, i) => [w.id, i + 1]));
    return this.switches
      .filter((s) => !(s.window === this.windowId && s.at <= this.start))
      .map((s) => ({
        at: s.at - this.start,
        kind: "tab" as const,
        label: s.window === this.windowId ? "The visitor turned to this tab" : `The visitor turned to tab ${number.get(s.window) ?? "?"}`,
      }));
  }

  // pick shows the tab the viewer chose; in a session in progress, with
  // what it recorded up to now.
  private async pick(id: string): Promise<void> {
    if (this.live) this.chunks = await fetchChunks(this.ref);
    const following = this.live?.following ?? false;
    await this.show(id, following ? Infinity : undefined, following);
  }

  // turnTo follows the visitor to window at the recording's time abs
  // (Infinity: the newest moment).
  private async turnTo(id: string, abs: number, play: boolean): Promise<void> {
    if (this.live) this.chunks = await fetchChunks(this.ref);
    this.makeTabs();
    await this.show(id, abs, play);
  }

  private startLive(): void {
    const url = `${sessionURL(this.ref)}/live?cursor=${cursorOf(this.chunks)}`;
    this.live = new Live(url, {
      knows: (w) => this.session?.windows.some((x) => x.id === w) ?? false,
      track: (w, events, isNew) => {
        if (isNew) this.tracks.start(w, events[0].timestamp);
        this.tracks.add(w, events);
        const before = this.switches;
        this.switches = this.tracks.switches();
        return this.switches.length > before.length ? this.switches[this.switches.length - 1] : undefined;
      },
      refresh: () => this.refresh(),
      retab: () => this.makeTabs(),
      shown: () => this.windowId,
      firstWindow: () => this.sortedWindows()[0].id,
      turnTo: (w, abs, play) => void this.turnTo(w, abs, play),
      append: (events) => this.append(events),
      ended: () => this.liveEnded(),
    });
    this.root.dataset.live = "true";
    this.goLive();
  }

  // goLive plays the newest moment of a session in progress, and what
  // comes after as it comes: a few seconds behind the visitor (the
  // recorder sends a batch every 2 s, the stream polls every second).
  goLive(): void {
    if (!this.live || !this.replayer || this.state === "loading" || this.state === "error") return;
    this.setFollowing(true);
    this.goTo(this.total, true);
  }

  private setFollowing(on: boolean): void {
    if (this.live) this.live.following = on;
    this.controls.setLive(this.live ? (on ? "edge" : "behind") : "off");
    this.root.dataset.following = String(on && this.live !== null);
  }

  // append adds events of a session in progress as a segment of its own,
  // extending the timeline, the panes and, when it holds everything
  // before, the running Replayer.
  private append(events: eventWithTime[]): void {
    const last = this.segs[this.segs.length - 1];
    if (!last) return;
    const fresh = events.filter((e) => e.timestamp >= last.to);
    if (fresh.length === 0) return;
    const all = this.loadedTo === this.segs.length;
    const first = fresh[0].type;
    this.segs.push({ from: last.to, to: fresh[fresh.length - 1].timestamp + 1, full: first === EventType.Meta || first === EventType.FullSnapshot });
    this.total = this.segs[this.segs.length - 1].to - 1 - this.start;
    this.controls.setTotal(this.total);
    this.controls.setStretches(this.idle);
    this.feed?.grow(this.segs.length);
    const r = this.state === "loading" ? null : this.replayer;
    if (r && all) {
      this.addEvents(r, fresh);
      this.loadedTo++;
    }
    this.feed?.events(this.segs.length - 1, fresh);
    this.controls.setMarks(this.marks);
    if (r && all && this.waiting) {
      // rrweb takes added events in a microtask. Caught up with the
      // visitor, the replay skips the time they did nothing.
      void Promise.resolve().then(() => {
        if (this.replayer !== r || !this.waiting) return;
        this.waiting = false;
        seekTo(r, Math.max(r.getCurrentTime(), fresh[0].timestamp - this.start - this.shift - 100), true);
      });
    }
  }

  // refresh reads the session's index again: signals, pages and windows
  // found since it was opened.
  private async refresh(): Promise<void> {
    try {
      const s = await fetchSession(this.ref);
      this.session = s;
      this.idle = stretches(s, this.clock, this.windowId);
      this.controls.setStretches(this.idle);
      this.feedChanged();
    } catch {
      // The replay goes on with what it has.
    }
  }

  private liveEnded(): void {
    this.live = null;
    this.root.dataset.live = "false";
    this.setFollowing(false);
    if (this.waiting) {
      this.waiting = false;
      this.setTime(this.total);
      this.setState("ended");
    }
    void this.refresh();
  }

  private pagesOf(s: Session, windowId: string | undefined): { at: number; url: string }[] {
    return (s.page_views ?? [])
      .filter((v) => windowId === undefined || v.window === windowId)
      .map((v) => ({ at: this.clock.at(v.start), url: v.url }))
      .sort((a, b) => a.at - b.at);
  }

  private showURL(ms: number): void {
    const i = latest(this.pages, ms);
    this.stage.setURL(this.pages[Math.max(0, i)]?.url ?? "");
  }

  // make builds a Replayer of events in the stage, hidden until shown.
  private make(events: eventWithTime[]): Replayer {
    const r = new Replayer(events, {
      root: this.stage.element,
      speed: this.speed,
      // The default sandboxed iframe (sandbox="allow-same-origin", no
      // scripts) is what keeps the recorded page from running script in the
      // dashboard's origin: never enable canvas replay, which needs scripts.
      UNSAFE_replayCanvas: false,
      // The pointer's trail, and rrweb's ripple on each click.
      mouseTail: { duration: 600, lineCap: "round", lineWidth: 3, strokeStyle: "rgba(91, 140, 255, 0.7)" },
      // Focusing replayed inputs would move keyboard focus into the iframe
      // and take the player's keyboard shortcuts with it.
      triggerFocus: false,
      showWarning: false,
      // Blocked elements are replayed as labelled boxes of their size; a
      // masked <select> (its value is the fixed mask) shows a placeholder.
      insertStyleRules: BLOCK_RULES,
    });
    r.wrapper.dataset.hidden = "";
    r.on("resize", (d) => {
      const { width, height } = d as { width: number; height: number };
      viewports.set(r, { width, height });
      if (this.replayer === r) this.stage.setViewport(width, height);
    });
    r.on("finish", () => this.finished(r));
    return r;
  }

  // makeAt makes a Replayer of events, hidden, showing replay offset at.
  private makeAt(events: eventWithTime[], at: number): Replayer {
    const r = this.make(events);
    seekTo(r, at - (events[0].timestamp - this.start), false);
    return r;
  }

  // present makes r, built of events, the Replayer in hand and shows it,
  // in place of the one before, if another.
  private present(r: Replayer, events: eventWithTime[]): void {
    if (r !== this.replayer) {
      this.retire();
      this.seeks = 0;
      this.replayer = r;
      const viewport = viewports.get(r);
      if (viewport) this.stage.setViewport(viewport.width, viewport.height);
      delete r.wrapper.dataset.hidden;
      this.stage.attach(r.wrapper);
      this.destroyRetired();
    }
    this.shift = events[0].timestamp - this.start;
    this.snapshotAt = Infinity;
    this.sawSnapshot(events);
  }

  // addEvents appends events to the Replayer in hand r.
  private addEvents(r: Replayer, events: eventWithTime[]): void {
    for (const e of events) r.addEvent(e);
    this.sawSnapshot(events);
  }

  // sawSnapshot notes the first full snapshot among events the Replayer in
  // hand now holds.
  private sawSnapshot(events: eventWithTime[]): void {
    if (this.snapshotAt !== Infinity) return;
    const e = events.find((e) => e.type === EventType.FullSnapshot);
    if (e) this.snapshotAt = e.timestamp;
  }

  // finished is r's end: of the replay, or of what is fetched so far.
  private finished(r: Replayer): void {
    if (this.replayer !== r) return;
    if (this.loadedTo < this.segs.length || this.live) {
      // The end of what is fetched, or of what has happened so far in
      // a session in progress: go on once more is in.
      if (this.state === "playing" && this.loadedTo < this.segs.length && this.full(this.loadedTo)) {
        // Play on from a new Replayer, built from the next full
        // snapshot, and let this one and all it holds go.
        this.goTo(this.segs[this.loadedTo].from - this.start, true);
      } else if (this.state === "playing") {
        this.waiting = true;
        if (this.loadedTo < this.segs.length) void this.fetchRest(this.generation);
      }
      return;
    }
    // The tab's recording ends where the visitor turned to another tab
    // (or soon after): follow them there.
    const next = this.tabs && this.state === "playing" ? nextSwitch(this.switches, this.lastAbs, this.windowId) : undefined;
    if (next) {
      void this.turnTo(next.window, next.at, true);
      return;
    }
    // finish also fires shortly after a seek has applied the last event;
    // by then the viewer may have seeked elsewhere.
    if (this.state === "playing" || this.now() >= this.total) {
      this.setTime(this.total);
      this.setState("ended");
    }
  }

  // takeHere is the copy of the Replayer in hand r built at offset at, if
  // there is one and it is what the seek shows: paused, with every event
  // r holds.
  private takeHere(r: Replayer, at: number, play: boolean): Replayer | null {
    const here = this.here;
    this.here = null;
    if (!here?.r) return null;
    if (here.at === at && !play && here.count === r.service.state.context.events.length) return here.r;
    destroy(here.r);
    return null;
  }

  private dropAim(): void {
    this.aimed?.abort.abort();
    if (this.aimed?.ready) destroy(this.aimed.ready.r);
    this.aimed = null;
    if (this.here?.r) destroy(this.here.r);
    this.here = null;
  }

  private dropReplayer(): void {
    this.retire();
    for (const r of this.retired.splice(0)) destroy(r);
  }

  // destroyRetired hides the Replayers a far seek let go, now that the
  // next one is built (a recorded page may have no background of its
  // own), and destroys them once it has drawn its first frame: taking an
  // iframe out of the page takes tens of ms that would otherwise come
  // before it. Until then they stay in the stage, marked data-leaving.
  // It is a method of its own so that the handlers make gives the new
  // Replayer do not share a scope with the old ones: V8 would keep them,
  // and each the one before it, alive.
  private destroyRetired(): void {
    const gone = this.retired.splice(0);
    if (gone.length === 0) return;
    for (const old of gone) old.wrapper.dataset.leaving = "";
    afterFrame(() => gone.forEach(destroy));
  }

  // retire stops the Replayer in hand and keeps it, as it stands, until
  // the next one is built (see destroyRetired).
  private retire(): void {
    this.stop();
    if (this.replayer) this.retired.push(this.replayer);
    this.replayer = null;
  }

  // stop stops the Replayer in hand where it is.
  private stop(): void {
    cancelAnimationFrame(this.frame);
    this.waiting = false;
    this.replayer?.pause();
  }

  private teardown(): void {
    this.feed?.close();
    this.feed = null;
    this.dropReplayer();
    this.dropAim();
    this.total = 0;
    this.firstFrame = 0;
    this.loadedFrom = this.loadedTo = 0;
    this.controls.setTotal(0);
    this.controls.setMarks([]);
    this.controls.setStretches([]);
    this.setTime(0);
  }

  // Follows the replay clock while playing.
  private tick(): void {
    cancelAnimationFrame(this.frame);
    const step = () => {
      const r = this.replayer;
      if (!r || this.state !== "playing") return;
      const now = this.now();
      const to = this.skip ? skipTarget(this.idle, now) : undefined;
      if (to !== undefined && to < this.total) {
        this.goTo(to, true);
        return;
      }
      this.setTime(Math.min(this.total, now));
      // Follow the visitor to the tab they turned to.
      const abs = this.start + now;
      const turn = this.tabs ? crossed(this.switches, this.lastAbs, abs, this.windowId) : undefined;
      this.lastAbs = abs;
      if (turn) {
        void this.turnTo(turn.window, turn.at, true);
        return;
      }
      this.frame = requestAnimationFrame(step);
    };
    step();
  }

  private setTime(ms: number): void {
    if (this.replayer && this.loadedTo < this.segs.length && this.fetching !== this.generation && this.wants(this.loadedTo)) {
      void this.fetchRest(this.generation);
    }
    this.root.dataset.time = String(Math.round(ms));
    this.controls.setTime(ms);
    // The panes follow once the frame is drawn: laying out their lists
    // would hold up a seek's.
    if (this.panesAt === null) afterFrame(() => this.syncPanes());
    this.panesAt = ms;
    this.notes?.sync(ms);
    this.showURL(ms);
    this.blank.hidden = !this.replayer || this.start + ms >= this.snapshotAt;
  }

  private syncPanes(): void {
    if (this.panesAt !== null) this.panes.sync(this.panesAt);
    this.panesAt = null;
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
}

// atMostEvery calls f now, or, when it was called less than ms ago, then:
// calls in between are one.
function atMostEvery(ms: number, f: () => void): () => void {
  let last = -Infinity;
  let timer = 0;
  const call = () => {
    timer = 0;
    last = performance.now();
    f();
  };
  return () => {
    if (timer !== 0) return;
    const wait = last + ms - performance.now();
    if (wait <= 0) call();
    else timer = window.setTimeout(call, wait);
  };
}

// The recorded viewport each Replayer last told (its resize event), to
// show once it is the one in hand.
const viewports = new WeakMap<Replayer, { width: number; height: number }>();

// replace has r replay events instead of those it holds, from the next
// seek on (seekTo), which rebuilds the page from the last full snapshot
// before its moment.
function replace(r: Replayer, events: eventWithTime[]): void {
  const held = r.service.state.context.events;
  held.length = 0;
  for (const e of events) held.push(e);
}

function destroy(r: Replayer): void {
  try {
    r.destroy();
  } catch {
    // Already gone; nothing to free.
  }
}
