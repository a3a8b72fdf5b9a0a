import type { SessionWindow } from "./api";
import { el } from "./dom";
import { formatTime } from "./format";

// Tabs lets the viewer pick one window (browser tab) of a session whose
// windows overlap in time.
export class Tabs {
  readonly element: HTMLDivElement;
  private readonly buttons: HTMLButtonElement[] = [];

  constructor(windows: SessionWindow[], sessionStart: number, onSelect: (id: string) => void) {
    this.element = el("div", "ph-tabs", { role: "tablist", "aria-label": "Browser tabs" });
    windows.forEach((w, i) => {
      const from = formatTime(Date.parse(w.start) - sessionStart);
      const to = formatTime(Date.parse(w.end) - sessionStart);
      const b = el(
        "button",
        "ph-tab",
        { type: "button", role: "tab", "data-window": w.id, title: `${w.events} events` },
        `Tab ${i + 1} · ${from}–${to}`,
      );
      b.addEventListener("click", () => onSelect(w.id));
      this.buttons.push(b);
      this.element.append(b);
    });
  }

  select(id: string): void {
    for (const b of this.buttons) {
      const selected = b.dataset.window === id;
      b.classList.toggle("is-active", selected);
      b.setAttribute("aria-selected", String(selected));
    }
  }
}
