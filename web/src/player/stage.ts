import { el } from "./dom";

// Stage is the box the replay is shown in. The Replayer draws the recorded
// page at its recorded viewport size; the stage scales that down (never up,
// which would only blur it) and centres it.
export class Stage {
  readonly element: HTMLDivElement;
  private wrapper: HTMLElement | null = null;
  private width = 1024;
  private height = 768;

  constructor() {
    this.element = el("div", "ph-stage");
    const refit = () => this.fit();
    if (typeof ResizeObserver === "function") new ResizeObserver(refit).observe(this.element);
    else window.addEventListener("resize", refit);
  }

  // Shows the Replayer's wrapper element (it holds the iframe and the mouse).
  attach(wrapper: HTMLElement): void {
    this.wrapper = wrapper;
    this.fit();
  }

  // The recorded viewport: from Meta events and ViewportResize events.
  setViewport(width: number, height: number): void {
    if (!(width > 0 && height > 0)) return;
    this.width = width;
    this.height = height;
    this.fit();
  }

  private fit(): void {
    if (!this.wrapper) return;
    const boxW = this.element.clientWidth;
    const boxH = this.element.clientHeight;
    if (boxW === 0 || boxH === 0) return;
    const scale = Math.min(1, boxW / this.width, boxH / this.height);
    const x = (boxW - this.width * scale) / 2;
    const y = (boxH - this.height * scale) / 2;
    this.wrapper.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
  }
}
