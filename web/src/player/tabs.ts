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
      const b = el(
        "button",
        "ph-tab",
        { type: "button", role: "tab", "data-window": w.id, title: `${w.events} events` },
        `Tab ${i + 1} · ${tabSpan(Date.parse(w.start) - sessionStart, Date.parse(w.end) - sessionStart)}`,
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

// tabSpan writes a window's stretch of the session, its start rounded down
// and its end up to the second, so that a tab open for less than a second
// does not read 0:00–0:00.
export function tabSpan(from: number, to: number): string {
  const end = Math.max(Math.ceil(to / 1000), Math.floor(from / 1000) + 1) * 1000;
  return `${formatTime(from)}–${formatTime(end)}`;
}
