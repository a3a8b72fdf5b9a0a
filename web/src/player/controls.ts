import { el } from "./dom";
import { Clock, type Mark, markTitle, type Stretch } from "./timeline";

export const SPEEDS = [0.5, 1, 2, 3, 4, 5, 6, 7, 8];

// Places on the timeline a marker of each kind may take.
const MARK_SLOTS = 500;

export interface ControlActions {
  toggle(): void;
  seek(ms: number): void;
  // aim says where a seek is likely next: the bar is pressed there.
  aim(ms: number): void;
  seekBy(ms: number): void;
  speed(n: number): void;
  skip(on: boolean): void;
  fullscreen(): void;
  help(): void;
  copyLink(): void;
  goLive(): void;
}

// The control bar under the replay: the timeline (markers above a seekable
// progress bar with inactive stretches shaded), then play/pause, steps of
// 5 and 10 s, the time, skipping, speed, link, help and fullscreen. It only
// shows state and reports what the user asks for; the Player decides.
export class Controls {
  readonly element: HTMLDivElement;
  private readonly playButton: HTMLButtonElement;
  private readonly bar: HTMLDivElement;
  private readonly fill: HTMLDivElement;
  private readonly handle: HTMLDivElement;
  private readonly idle: HTMLDivElement;
  private readonly marks: HTMLDivElement;
  private markButtons = new Map<string, HTMLButtonElement>(); // by kind and place
  private readonly tip: HTMLDivElement;
  private readonly time: HTMLSpanElement;
  private readonly skipButton: HTMLButtonElement;
  private readonly speedSelect: HTMLSelectElement;
  private readonly liveButton: HTMLButtonElement;
  private readonly buttons: HTMLButtonElement[] = [];
  private total = 0;
  private current = 0;
  private clock = new Clock(0, 0);
  // While the user drags the handle the bar shows the drag position, not
  // the playing time; the seek happens on release.
  private dragging = false;
  private aimTimer = 0;

  constructor(private readonly actions: ControlActions) {
    this.element = el("div", "ph-controls");

    const timeline = el("div", "ph-timeline");
    this.marks = el("div", "ph-marks", { role: "group", "aria-label": "Moments" });
    this.tip = el("div", "ph-tip", { role: "tooltip" });
    this.tip.hidden = true;
    this.bar = el("div", "ph-progress", {
      role: "slider",
      tabindex: "0",
      "aria-label": "Seek",
      "aria-valuemin": "0",
    });
    const track = el("div", "ph-track");
    this.idle = el("div", "ph-idle");
    this.fill = el("div", "ph-fill");
    this.handle = el("div", "ph-handle");
    track.append(this.idle, this.fill);
    this.bar.append(track, this.handle);
    timeline.append(this.marks, this.bar, this.tip);
    this.bindMarks();
    this.bindBar();

    const row = el("div", "ph-row");
    this.playButton = this.button("ph-play", "Play (Space)", () => actions.toggle());
    this.playButton.setAttribute("aria-label", "Play");
    const steps = [-10, -5, 5, 10].map((s) =>
      this.button("ph-step", `${s < 0 ? "Back" : "Forward"} ${Math.abs(s)} s (${Math.abs(s) === 10 ? "Shift+" : ""}${s < 0 ? "←" : "→"})`, () => actions.seekBy(s * 1000), `${s < 0 ? "−" : "+"}${Math.abs(s)}`),
    );
    for (const [i, b] of steps.entries()) b.dataset.step = String([-10, -5, 5, 10][i]);
    this.time = el("span", "ph-time", { "aria-live": "off" });
    const spacer = el("span", "ph-spacer");
    // Shown while the session is in progress: "Live" at its edge, "Go
    // live" when the viewer went back.
    this.liveButton = this.button("ph-live", "Go to the live edge", () => actions.goLive(), "Live");
    this.liveButton.hidden = true;
    this.skipButton = this.button("ph-skip", "Skip inactivity", () => actions.skip(this.skipButton.getAttribute("aria-pressed") !== "true"), "Skip idle");
    this.speedSelect = el("select", "ph-speed", { "aria-label": "Playback speed (1–8)", title: "Playback speed (keys 1–8)" });
    for (const n of SPEEDS) this.speedSelect.append(el("option", "", { value: String(n) }, `${n}×`));
    this.speedSelect.addEventListener("change", () => actions.speed(Number(this.speedSelect.value)));
    const link = this.button("ph-link", "Copy a link to this moment", () => actions.copyLink(), "Link");
    const help = this.button("ph-help-button", "Keyboard shortcuts (?)", () => actions.help(), "?");
    const full = this.button("ph-full", "Fullscreen (F)", () => actions.fullscreen());
    full.append(el("span", "ph-full-icon"));
    row.append(this.playButton, ...steps, this.time, this.liveButton, spacer, this.skipButton, this.speedSelect, link, help, full);

    this.element.append(timeline, row);
    this.setSpeed(1);
    this.setSkip(true);
    this.render();
  }

  private button(cls: string, title: string, onClick: () => void, text?: string): HTMLButtonElement {
    const b = el("button", cls, { type: "button", title, "aria-label": title }, text);
    b.addEventListener("click", onClick);
    this.buttons.push(b);
    return b;
  }

  setEnabled(enabled: boolean): void {
    this.element.classList.toggle("is-disabled", !enabled);
    for (const b of this.buttons) b.disabled = !enabled;
    this.speedSelect.disabled = !enabled;
  }

  // setClock sets how the replay's moments read (timeline.ts).
  setClock(clock: Clock): void {
    this.clock = clock;
    this.render();
  }

  setTotal(ms: number): void {
    this.total = Math.max(0, ms);
    this.bar.setAttribute("aria-valuemax", String(Math.round(this.total)));
    this.render();
  }

  setTime(ms: number): void {
    this.current = ms;
    if (!this.dragging) this.render();
  }

  setPlaying(playing: boolean): void {
    this.playButton.classList.toggle("is-playing", playing);
    this.playButton.setAttribute("aria-label", playing ? "Pause" : "Play");
    this.playButton.title = playing ? "Pause (Space)" : "Play (Space)";
  }

  setSpeed(n: number): void {
    if (![...this.speedSelect.options].some((o) => Number(o.value) === n)) {
      this.speedSelect.append(el("option", "", { value: String(n) }, `${n}×`));
    }
    this.speedSelect.value = String(n);
  }

  // setLive shows where the viewer is in a session in progress: off (not
  // in progress), at its edge, or behind it.
  setLive(mode: "off" | "edge" | "behind"): void {
    this.liveButton.hidden = mode === "off";
    this.liveButton.dataset.live = mode;
    this.liveButton.classList.toggle("is-edge", mode === "edge");
    this.liveButton.textContent = mode === "behind" ? "Go live" : "Live";
  }

  setSkip(on: boolean): void {
    this.skipButton.setAttribute("aria-pressed", String(on));
    this.skipButton.classList.toggle("is-active", on);
  }

  // setMarks draws the markers. Those already drawn stay the same buttons:
  // the timeline is drawn again as a long session's events arrive, and a
  // button replaced while pressed would take its click with it.
  setMarks(marks: Mark[]): void {
    // Marks of a kind closer than a 500th of the timeline would draw over
    // one another: the first stands for the rest, and says how many. A long
    // session keeps a bounded number of them in the page.
    const drawn = new Map<string, { button: HTMLButtonElement; title: string; more: number }>();
    for (const m of [...marks].sort((a, b) => a.at - b.at)) {
      if (this.total <= 0 || !(m.at >= 0) || m.at > this.total) continue;
      const key = `${m.kind} ${Math.floor((m.at / this.total) * MARK_SLOTS)}`;
      const first = drawn.get(key);
      if (first) {
        first.more++;
        continue;
      }
      const b = this.markButtons.get(key) ?? el("button", `ph-mark is-${m.kind}`, { type: "button", "data-kind": m.kind });
      b.dataset.at = String(Math.round(m.at));
      b.style.left = `${(m.at / this.total) * 100}%`;
      drawn.set(key, { button: b, title: markTitle(m, this.clock), more: 0 });
    }
    for (const { button, title, more } of drawn.values()) {
      const label = more > 0 ? `${title} (and ${more} more)` : title;
      if (button.getAttribute("aria-label") !== label) button.setAttribute("aria-label", label);
    }
    this.markButtons = new Map([...drawn].map(([key, d]) => [key, d.button]));
    const order = [...this.markButtons.values()];
    const now = this.marks.children;
    if (now.length !== order.length || order.some((b, i) => now[i] !== b)) this.marks.replaceChildren(...order);
  }

  setStretches(list: Stretch[]): void {
    this.idle.textContent = "";
    if (this.total <= 0) return;
    for (const r of list) {
      const from = Math.max(0, r.from);
      const to = Math.min(this.total, r.to);
      if (to <= from) continue;
      const node = el("div", "ph-idle-stretch", { title: `Inactive ${this.clock.label(from)}–${this.clock.label(to)}` });
      node.style.left = `${(from / this.total) * 100}%`;
      node.style.width = `${((to - from) / this.total) * 100}%`;
      this.idle.append(node);
    }
  }

  // bindMarks listens once for every marker, present and to come: the
  // timeline of a long session is drawn again as its events arrive.
  private bindMarks(): void {
    const mark = (e: Event) => (e.target instanceof HTMLElement ? e.target.closest<HTMLButtonElement>(".ph-mark") : null);
    // Pressed, a marker aims where its click will seek, as the bar does.
    this.marks.addEventListener("pointerdown", (e) => {
      const b = e.button === 0 ? mark(e) : null;
      if (b) this.actions.aim(Number(b.dataset.at));
    });
    this.marks.addEventListener("click", (e) => {
      const b = mark(e);
      if (b) this.actions.seek(Number(b.dataset.at));
    });
    const show = (e: Event) => {
      const b = mark(e);
      if (b) this.showTip(b, b.getAttribute("aria-label") ?? "");
    };
    const hide = () => (this.tip.hidden = true);
    this.marks.addEventListener("pointerover", show);
    this.marks.addEventListener("focusin", show);
    this.marks.addEventListener("pointerout", hide);
    this.marks.addEventListener("focusout", hide);
  }

  private showTip(anchor: HTMLElement, text: string): void {
    this.tip.textContent = text;
    this.tip.hidden = false;
    const box = this.tip.parentElement!.getBoundingClientRect();
    const a = anchor.getBoundingClientRect();
    const x = a.left + a.width / 2 - box.left;
    // Keep the tip inside the timeline at either end.
    const half = this.tip.offsetWidth / 2;
    this.tip.style.left = `${Math.min(box.width - half, Math.max(half, x))}px`;
  }

  private render(at = this.current): void {
    const ratio = this.total > 0 ? Math.min(1, Math.max(0, at / this.total)) : 0;
    this.fill.style.width = `${ratio * 100}%`;
    this.handle.style.left = `${ratio * 100}%`;
    this.time.textContent = `${this.clock.label(at)} / ${this.clock.label(this.total)}`;
    this.bar.setAttribute("aria-valuenow", String(Math.round(at)));
    this.bar.setAttribute("aria-valuetext", this.clock.label(at));
  }

  private offsetAt(clientX: number): number {
    const box = this.bar.getBoundingClientRect();
    const ratio = box.width > 0 ? (clientX - box.left) / box.width : 0;
    return Math.min(1, Math.max(0, ratio)) * this.total;
  }

  // press shows where the held bar points and tells the player, which
  // can start fetching that moment before the release seeks to it: at
  // once when pressed, and while dragging where the pointer rests, not at
  // every place it passes.
  private press(clientX: number, resting: boolean): void {
    const ms = this.offsetAt(clientX);
    this.render(ms);
    clearTimeout(this.aimTimer);
    if (resting) this.actions.aim(ms);
    else this.aimTimer = window.setTimeout(() => this.actions.aim(ms), 100);
  }

  private bindBar(): void {
    this.bar.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || this.element.classList.contains("is-disabled")) return;
      e.preventDefault();
      this.bar.focus();
      this.bar.setPointerCapture(e.pointerId);
      this.dragging = true;
      this.press(e.clientX, true);
    });
    this.bar.addEventListener("pointermove", (e) => {
      if (this.dragging) this.press(e.clientX, false);
    });
    this.bar.addEventListener("pointerup", (e) => {
      if (!this.dragging) return;
      this.dragging = false;
      clearTimeout(this.aimTimer);
      this.actions.seek(this.offsetAt(e.clientX));
    });
    this.bar.addEventListener("pointercancel", () => {
      this.dragging = false;
      clearTimeout(this.aimTimer);
      this.render();
    });
    // Arrows are the player's shortcuts (keys.ts), wherever focus is.
    this.bar.addEventListener("keydown", (e) => {
      if (e.key !== "Home" && e.key !== "End") return;
      e.preventDefault();
      this.actions.seek(e.key === "Home" ? 0 : this.total);
    });
  }
}
