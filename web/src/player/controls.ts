import { el } from "./dom";
import { formatTime } from "./format";

export const SPEEDS = [1, 2, 4, 8];
const KEY_STEP_MS = 5000;

export interface ControlActions {
  toggle(): void;
  seek(ms: number): void;
  speed(n: number): void;
}

export interface Marker {
  offset: number;
  label: string;
}

// The control bar under the replay: play/pause, a seekable progress bar
// with page markers, the time, and the speed buttons. It only shows state
// and reports what the user asks for; the Player decides.
export class Controls {
  readonly element: HTMLDivElement;
  private readonly playButton: HTMLButtonElement;
  private readonly bar: HTMLDivElement;
  private readonly fill: HTMLDivElement;
  private readonly handle: HTMLDivElement;
  private readonly markers: HTMLDivElement;
  private readonly time: HTMLSpanElement;
  private readonly speedButtons: HTMLButtonElement[];
  private total = 0;
  private current = 0;
  // While the user drags the handle the bar shows the drag position, not
  // the playing time; the seek happens on release.
  private dragging = false;

  constructor(private readonly actions: ControlActions) {
    this.element = el("div", "ph-controls");
    this.playButton = el("button", "ph-play", { type: "button", "aria-label": "Play" });
    this.playButton.addEventListener("click", () => actions.toggle());

    this.bar = el("div", "ph-progress", {
      role: "slider",
      tabindex: "0",
      "aria-label": "Seek",
      "aria-valuemin": "0",
    });
    const track = el("div", "ph-track");
    this.fill = el("div", "ph-fill");
    this.markers = el("div", "ph-markers");
    this.handle = el("div", "ph-handle");
    track.append(this.fill, this.markers);
    this.bar.append(track, this.handle);
    this.bindBar();

    this.time = el("span", "ph-time", { "aria-live": "off" });

    const speeds = el("div", "ph-speeds", { role: "group", "aria-label": "Playback speed" });
    this.speedButtons = SPEEDS.map((n) => {
      const b = el("button", "ph-speed", { type: "button", "data-speed": String(n) }, `${n}x`);
      b.addEventListener("click", () => actions.speed(n));
      speeds.append(b);
      return b;
    });

    this.element.append(this.playButton, this.bar, this.time, speeds);
    this.setSpeed(1);
    this.render();
  }

  setEnabled(enabled: boolean): void {
    this.element.classList.toggle("is-disabled", !enabled);
    this.playButton.disabled = !enabled;
    for (const b of this.speedButtons) b.disabled = !enabled;
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
  }

  setSpeed(n: number): void {
    for (const b of this.speedButtons) {
      const active = Number(b.dataset.speed) === n;
      b.classList.toggle("is-active", active);
      b.setAttribute("aria-pressed", String(active));
    }
  }

  setMarkers(markers: Marker[]): void {
    this.markers.textContent = "";
    for (const m of markers) {
      if (this.total <= 0 || m.offset < 0 || m.offset > this.total) continue;
      const node = el("div", "ph-marker", { title: m.label });
      node.style.left = `${(m.offset / this.total) * 100}%`;
      this.markers.append(node);
    }
  }

  private render(at = this.current): void {
    const ratio = this.total > 0 ? Math.min(1, Math.max(0, at / this.total)) : 0;
    this.fill.style.width = `${ratio * 100}%`;
    this.handle.style.left = `${ratio * 100}%`;
    this.time.textContent = `${formatTime(at)} / ${formatTime(this.total)}`;
    this.bar.setAttribute("aria-valuenow", String(Math.round(at)));
    this.bar.setAttribute("aria-valuetext", formatTime(at));
  }

  private offsetAt(clientX: number): number {
    const box = this.bar.getBoundingClientRect();
    const ratio = box.width > 0 ? (clientX - box.left) / box.width : 0;
    return Math.min(1, Math.max(0, ratio)) * this.total;
  }

  private bindBar(): void {
    this.bar.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || this.element.classList.contains("is-disabled")) return;
      e.preventDefault();
      this.bar.focus();
      this.bar.setPointerCapture(e.pointerId);
      this.dragging = true;
      this.render(this.offsetAt(e.clientX));
    });
    this.bar.addEventListener("pointermove", (e) => {
      if (this.dragging) this.render(this.offsetAt(e.clientX));
    });
    this.bar.addEventListener("pointerup", (e) => {
      if (!this.dragging) return;
      this.dragging = false;
      this.actions.seek(this.offsetAt(e.clientX));
    });
    this.bar.addEventListener("pointercancel", () => {
      this.dragging = false;
      this.render();
    });
    this.bar.addEventListener("keydown", (e) => {
      let to: number;
      if (e.key === "ArrowLeft") to = this.current - KEY_STEP_MS;
      else if (e.key === "ArrowRight") to = this.current + KEY_STEP_MS;
      else if (e.key === "Home") to = 0;
      else if (e.key === "End") to = this.total;
      else return;
      e.preventDefault();
      this.actions.seek(Math.min(this.total, Math.max(0, to)));
    });
  }
}
