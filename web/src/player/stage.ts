import { el } from "./dom";

// The phone frame's bezel, in recorded pixels (it is scaled with the page).
const BEZEL = 14;

// Stage is the box the replay is shown in, under a bar with the page's
// address and the recorded viewport's size. The Replayer draws the recorded
// page at its recorded viewport size; the stage scales that down (never up,
// which would only blur it) and centres it, in a phone's frame for a
// session on a phone.
export class Stage {
  readonly element: HTMLDivElement;
  readonly bar: HTMLDivElement;
  private readonly address: HTMLSpanElement;
  private readonly size: HTMLSpanElement;
  private wrapper: HTMLElement | null = null;
  private width = 1024;
  private height = 768;
  private phone = false;
  // The stage's size, as last laid out: reading it from the element would
  // lay the page out again in the middle of a seek.
  private box = { width: 0, height: 0 };

  constructor() {
    this.element = el("div", "ph-stage");
    this.bar = el("div", "ph-addressbar");
    this.address = el("span", "ph-address", { title: "The page at this moment" });
    this.size = el("span", "ph-viewport", { title: "The recorded viewport" });
    this.bar.append(this.address, this.size);
    new ResizeObserver(([entry]) => {
      this.box = { width: entry.contentRect.width, height: entry.contentRect.height };
      this.fit();
    }).observe(this.element);
  }

  // Shows the Replayer's wrapper element (it holds the iframe and the mouse).
  attach(wrapper: HTMLElement): void {
    this.wrapper = wrapper;
    this.fit();
  }

  setURL(url: string): void {
    if (this.address.textContent !== url) {
      this.address.textContent = url;
      this.address.title = url;
    }
  }

  setPhone(on: boolean): void {
    this.phone = on;
    this.element.classList.toggle("is-phone", on);
    this.shape();
    this.fit();
  }

  // The recorded viewport: from Meta events and ViewportResize events.
  setViewport(width: number, height: number): void {
    if (!(width > 0 && height > 0)) return;
    this.width = width;
    this.height = height;
    this.size.textContent = `${width}×${height}`;
    this.shape();
    this.fit();
  }

  // The phone frame's room around the page, in recorded pixels.
  private pad(): number {
    return this.phone ? 2 * BEZEL + 16 : 0;
  }

  // A narrow screen's stage takes the recording's shape (player.css).
  private shape(): void {
    const pad = this.pad();
    this.element.style.setProperty("--ph-aspect", `${this.width + pad} / ${this.height + pad}`);
  }

  private fit(): void {
    if (!this.wrapper) return;
    const { width: boxW, height: boxH } = this.box;
    if (boxW === 0 || boxH === 0) return;
    const pad = this.pad();
    const scale = Math.min(1, boxW / (this.width + pad), boxH / (this.height + pad));
    const x = (boxW - this.width * scale) / 2;
    const y = (boxH - this.height * scale) / 2;
    this.wrapper.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    this.element.style.setProperty("--ph-scale", String(scale));
  }
}
