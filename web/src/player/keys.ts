import { el } from "./dom";

export interface KeyActions {
  toggle(): void;
  seekBy(ms: number): void;
  speed(n: number): void;
  fullscreen(): void;
  help(): void;
  closeHelp(): boolean;
}

export const SHORTCUTS: [string, string][] = [
  ["Space", "Play or pause"],
  ["← / →", "Back or forward 5 seconds"],
  ["Shift + ← / →", "Back or forward 10 seconds"],
  ["1 – 8", "Speed 1× to 8×"],
  ["F", "Fullscreen"],
  ["?", "Show or hide these shortcuts"],
];

// Fields where keys type text: the player leaves their keys alone.
const TYPING = "input:not([type=button]):not([type=checkbox]):not([type=radio]):not([type=range]), textarea, [contenteditable]:not([contenteditable=false])";

// bindKeys makes the player's shortcuts work whatever has focus on the page
// but a text field. They win over a focused control's own meaning: Space
// on the focused speed menu or a button still plays or pauses.
export function bindKeys(actions: KeyActions): () => void {
  let spaceTaken = false;
  const down = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const target = e.target as Element | null;
    if (target?.closest?.(TYPING)) return;
    let handled = true;
    switch (e.key) {
      case " ":
        spaceTaken = true;
        if (!e.repeat) actions.toggle();
        break;
      case "ArrowLeft":
      case "ArrowRight":
        actions.seekBy((e.key === "ArrowLeft" ? -1 : 1) * (e.shiftKey ? 10_000 : 5000));
        break;
      case "f":
      case "F":
        actions.fullscreen();
        break;
      case "?":
        actions.help();
        break;
      case "Escape":
        handled = actions.closeHelp();
        break;
      default:
        if (/^[1-8]$/.test(e.key)) actions.speed(Number(e.key));
        else handled = false;
    }
    if (handled) e.preventDefault();
  };
  // A button acts on Space when it comes up: take that too.
  const up = (e: KeyboardEvent) => {
    if (e.key === " " && spaceTaken) {
      spaceTaken = false;
      e.preventDefault();
    }
  };
  document.addEventListener("keydown", down, true);
  document.addEventListener("keyup", up, true);
  return () => {
    document.removeEventListener("keydown", down, true);
    document.removeEventListener("keyup", up, true);
  };
}

// Help is the overlay listing the shortcuts.
export class Help {
  readonly element: HTMLDivElement;

  constructor() {
    this.element = el("div", "ph-help", { role: "dialog", "aria-label": "Keyboard shortcuts" });
    this.element.hidden = true;
    const box = el("div", "ph-help-box");
    box.append(el("h3", "", {}, "Keyboard shortcuts"));
    const list = el("dl", "");
    for (const [k, what] of SHORTCUTS) list.append(el("dt", "", {}, k), el("dd", "", {}, what));
    const close = el("button", "ph-help-close", { type: "button" }, "Close");
    close.addEventListener("click", () => this.close());
    box.append(list, close);
    this.element.append(box);
    this.element.addEventListener("click", (e) => {
      if (e.target === this.element) this.close();
    });
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
  }

  close(): boolean {
    if (this.element.hidden) return false;
    this.element.hidden = true;
    return true;
  }
}
