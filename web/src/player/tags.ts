import { send, type SessionRef } from "./api";
import { el } from "./dom";

// TagBar shows the session's tags above the replay; a member adds one
// with the field and takes one off with its ×.
export class TagBar {
  readonly element: HTMLDivElement;
  private readonly chips: HTMLSpanElement;
  private readonly error: HTMLSpanElement;
  private tags: string[] = [];

  constructor(
    private readonly ref: SessionRef,
    private readonly csrf: string,
  ) {
    this.element = el("div", "ph-tagbar", { "aria-label": "Tags" });
    this.chips = el("span", "ph-tag-list");
    this.error = el("span", "ph-tag-error", { role: "alert" });
    this.element.append(el("span", "ph-tagbar-label", {}, "Tags"), this.chips);
    if (csrf) {
      const form = el("form", "ph-tag-form");
      const input = el("input", "ph-tag-input", { type: "text", maxlength: "32", placeholder: "Add a tag", "aria-label": "Add a tag" });
      form.append(input, el("button", "ph-tag-add", { type: "submit" }, "Add"));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const tag = input.value.trim();
        if (!tag) return;
        void this.change("POST", "/tags", { tag }).then((ok) => {
          if (ok) input.value = "";
        });
      });
      this.element.append(form);
    }
    this.element.append(this.error);
    this.render();
  }

  set(tags: string[] | undefined): void {
    this.tags = tags ?? [];
    this.render();
  }

  private async change(method: "POST" | "DELETE", path: string, body?: unknown): Promise<boolean> {
    try {
      const res = await send<{ tags?: string[] }>(this.ref, method, path, this.csrf, body);
      this.set(res?.tags);
      this.error.textContent = "";
      return true;
    } catch (err) {
      this.error.textContent = err instanceof Error ? err.message : String(err);
      return false;
    }
  }

  private render(): void {
    this.chips.textContent = "";
    if (this.tags.length === 0) this.chips.append(el("span", "ph-tag-none", {}, "none"));
    for (const t of this.tags) {
      const chip = el("span", "ph-tag", { "data-tag": t }, t);
      if (this.csrf) {
        const x = el("button", "ph-tag-remove", { type: "button", title: `Remove the tag ${t}`, "aria-label": `Remove the tag ${t}` }, "×");
        x.addEventListener("click", () => void this.change("DELETE", `/tags/${encodeURIComponent(t)}`));
        chip.append(x);
      }
      this.chips.append(chip);
    }
  }
}
