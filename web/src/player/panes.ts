import type { Session } from "./api";
import { el } from "./dom";
import { type Item, latest } from "./feed";
import { formatTime } from "./format";
import { type Clock, describeSignal, failed } from "./timeline";

type PaneName = "events" | "console" | "network" | "pages" | "notes" | "facts";

const TITLES: [PaneName, string][] = [
  ["events", "Events"],
  ["console", "Console"],
  ["network", "Network"],
  ["pages", "Pages"],
  ["notes", "Notes"],
  ["facts", "Facts"],
];

interface Row {
  at: number;
  make: () => HTMLLIElement;
}

// Rows are made only near what the pane shows: a long session has
// thousands, and a page keeping them all grows with its length. They come
// in blocks; a block out of view is one gap of its height.
const BLOCK = 40;
const ROW_PX = 29; // a one-line row, until a block is measured

interface Block {
  from: number;
  to: number;
  nodes: HTMLLIElement[] | null;
  gap: HTMLLIElement;
}

// A list pane: rows in time order; the one the playhead last passed is
// current, those after it are still to come.
class List {
  readonly element: HTMLOListElement;
  private rows: Row[] = [];
  private blocks: Block[] = [];
  private current = -2;
  private frame = 0;

  constructor(
    readonly name: PaneName,
    private readonly empty: string,
  ) {
    this.element = el("ol", `ph-list ph-list-${name}`);
    this.element.addEventListener("scroll", () => {
      cancelAnimationFrame(this.frame);
      this.frame = requestAnimationFrame(() => this.fill());
    });
  }

  // set lists rows; reading says the recording is still being read for
  // them, so that none yet is not none at all.
  set(rows: Row[], reading = false): void {
    this.rows = rows.sort((a, b) => a.at - b.at);
    this.element.textContent = "";
    this.blocks = [];
    if (rows.length === 0) this.element.append(el("li", "ph-empty", {}, reading ? "Reading the recording…" : this.empty));
    for (let from = 0; from < rows.length; from += BLOCK) {
      const to = Math.min(rows.length, from + BLOCK);
      const gap = el("li", "ph-gap", { "aria-hidden": "true" });
      gap.style.height = `${(to - from) * ROW_PX}px`;
      this.blocks.push({ from, to, nodes: null, gap });
      this.element.append(gap);
    }
    this.current = -2;
  }

  sync(ms: number, follow: boolean): void {
    const i = latest(this.rows, ms);
    if (i === this.current) return;
    this.current = i;
    for (const b of this.blocks) if (b.nodes) this.mark(b);
    const b = this.blocks[Math.floor(Math.max(0, i) / BLOCK)];
    if (b) this.open(b);
    if (follow) this.reveal();
    this.fill();
  }

  // reveal scrolls the list, never the page, to the current row when it
  // is out of view.
  reveal(): void {
    const i = this.current;
    const b = this.blocks[Math.floor(Math.max(0, i) / BLOCK)];
    const node = b?.nodes?.[Math.max(0, i) - b.from];
    if (i < 0 || !node) return;
    const list = this.element;
    const top = node.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + node.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = top - list.clientHeight / 3;
    }
  }

  // fill makes the blocks within a screen of the view, and that of the
  // current row, and lets the others go. It reads where every block is
  // before it changes any: reading after each change would lay the page
  // out again for each block (tens of ms on a long session's seek).
  fill(): void {
    const list = this.element;
    const keep = this.blocks[Math.floor(Math.max(0, this.current) / BLOCK)];
    if (list.hidden) {
      // Nothing is seen and nothing can be measured: only the current
      // row's block is kept.
      for (const b of this.blocks) if (b !== keep) this.close(b, (b.to - b.from) * ROW_PX);
      return;
    }
    const seen = list.clientHeight;
    const scroll = list.scrollTop;
    const base = list.offsetTop;
    const spans = this.blocks.map((b) => {
      const first = b.nodes ? b.nodes[0] : b.gap;
      const last = b.nodes ? b.nodes[b.nodes.length - 1] : b.gap;
      return { top: first.offsetTop - base, bottom: last.offsetTop - base + last.offsetHeight };
    });
    this.blocks.forEach((b, k) => {
      const { top, bottom } = spans[k];
      if ((seen > 0 && bottom >= scroll - seen && top <= scroll + 2 * seen) || b === keep) this.open(b);
      else this.close(b, bottom - top);
    });
  }

  // close puts a block's gap, of the height its rows took, in their place.
  private close(b: Block, height: number): void {
    if (!b.nodes) return;
    b.gap.style.height = `${height}px`;
    b.nodes[0].before(b.gap);
    for (const n of b.nodes) n.remove();
    b.nodes = null;
  }

  private open(b: Block): void {
    if (b.nodes) return;
    // Screen readers count the rows of the whole list, not those made.
    b.nodes = this.rows.slice(b.from, b.to).map((r, k) => {
      const node = r.make();
      node.setAttribute("aria-posinset", String(b.from + k + 1));
      node.setAttribute("aria-setsize", String(this.rows.length));
      return node;
    });
    this.mark(b);
    b.gap.replaceWith(...b.nodes);
  }

  private mark(b: Block): void {
    b.nodes!.forEach((node, k) => {
      node.classList.toggle("is-current", b.from + k === this.current);
      node.classList.toggle("is-future", b.from + k > this.current);
    });
  }
}

// row is a pane's row at a moment of the replay, which it shows on the
// clock and seeks to when clicked; its parts are made when it is shown.
function row(clock: Clock, at: number, cls: string, parts: () => (Node | string)[]): Row {
  return {
    at,
    make: () => {
      const node = el("li", `ph-item ${cls}`, { "data-at": String(Math.round(at)) });
      node.append(el("time", "ph-at", {}, clock.label(at)), ...parts());
      return node;
    },
  };
}

const span = (cls: string, text: string) => el("span", cls, {}, text);

// Panes beside the replay: what happened (events, console, network, pages)
// synced to the playhead, and the facts of the session. A click on a row
// seeks the replay to it; pressing it already aims there (Player.aim).
export class Panes {
  readonly element: HTMLDivElement;
  private readonly lists: List[];
  private readonly facts: HTMLDivElement;
  // Filled by the player's NotesPane (notes.ts).
  readonly notes = el("div", "ph-notes-pane");
  private readonly tabs = new Map<PaneName, HTMLButtonElement>();
  private readonly bodies = new Map<PaneName, HTMLElement>();
  private active: PaneName = "events";
  private time = 0;

  constructor(seek: (ms: number) => void, aim: (ms: number) => void) {
    this.element = el("div", "ph-panes");
    const bar = el("div", "ph-pane-tabs", { role: "tablist", "aria-label": "Panes" });
    this.lists = [
      new List("events", "No events yet."),
      new List("console", "No errors or warnings."),
      new List("network", "No requests recorded."),
      new List("pages", "No pages."),
    ];
    this.facts = el("div", "ph-facts");
    const body = el("div", "ph-pane-body");
    for (const [name, title] of TITLES) {
      const tab = el("button", "ph-pane-tab", { type: "button", role: "tab", "data-pane": name }, title);
      tab.addEventListener("click", () => this.show(name));
      this.tabs.set(name, tab);
      bar.append(tab);
      const content = name === "facts" ? this.facts : name === "notes" ? this.notes : this.lists.find((l) => l.name === name)!.element;
      content.classList.add("ph-pane");
      content.dataset.pane = name;
      this.bodies.set(name, content);
      body.append(content);
    }
    // The row an event is on, unless on a part of it that does something
    // else (a stack to open, a note's buttons).
    const row = (e: Event) => {
      const target = e.target as Element;
      return target.closest("summary, pre, button, form") ? null : target.closest<HTMLElement>(".ph-item[data-at]");
    };
    body.addEventListener("pointerdown", (e) => {
      const item = e.button === 0 ? row(e) : null;
      if (item) aim(Number(item.dataset.at));
    });
    body.addEventListener("click", (e) => {
      const item = row(e);
      if (item) seek(Number(item.dataset.at));
    });
    this.element.append(bar, body);
    this.show("events");
  }

  show(name: PaneName): void {
    this.active = name;
    for (const [n, tab] of this.tabs) {
      tab.classList.toggle("is-active", n === name);
      tab.setAttribute("aria-selected", String(n === name));
      this.bodies.get(n)!.hidden = n !== name;
    }
    this.sync(this.time);
    // A list synced while hidden has its current row, but not in view.
    const shown = this.lists.find((l) => l.name === name);
    shown?.reveal();
    shown?.fill();
  }

  sync(ms: number): void {
    this.time = ms;
    for (const l of this.lists) l.sync(ms, l.name === this.active);
  }

  // update fills the panes from the session's index and what of the
  // recording has been read (all of it unless reading).
  update(s: Session | null, clock: Clock, windowId: string | undefined, items: Item[], reading: boolean): void {
    const mine = (w: string | undefined) => windowId === undefined || !w || w === windowId;
    const events: Row[] = [];
    const consoleRows: Row[] = [];
    const network: Row[] = [];
    let failures = 0;
    for (const it of items) {
      switch (it.kind) {
        case "click":
          events.push(row(clock, it.at, "is-click", () => [span("ph-kind", "Click"), span("ph-text", it.text || "(no text)")]));
          break;
        case "page":
          events.push(row(clock, it.at, "is-page", () => [span("ph-kind", it.nav === "load" || it.nav === "" ? "Page" : "Navigation"), span("ph-text", it.url)]));
          break;
        case "track":
          events.push(row(clock, it.at, "is-custom", () => [span("ph-kind", "Event"), span("ph-text", it.name)]));
          break;
        case "identify":
          events.push(row(clock, it.at, "is-custom", () => [span("ph-kind", "Identified"), span("ph-text", it.user)]));
          break;
        case "console": {
          consoleRows.push(
            row(clock, it.at, `is-${it.level}`, () => {
              const parts: Node[] = [span("ph-kind", it.source || it.level), span("ph-text", it.message)];
              if (it.stack) {
                const d = el("details", "ph-stack");
                d.append(el("summary", "", {}, "Stack"), el("pre", "", {}, it.stack));
                parts.push(d);
              }
              return parts;
            }),
          );
          break;
        }
        case "request": {
          if (failed(it)) failures++;
          const status = it.status ? String(it.status) : it.failure || "failed";
          network.push(
            row(
              clock,
              it.at,
              failed(it) ? "is-failed" : "is-ok",
              () => [
                span("ph-method", it.method),
                span("ph-text ph-url", it.url),
                span("ph-status", it.failure && it.status ? `${it.status} ${it.failure}` : status),
                span("ph-duration", `${Math.round(it.duration)} ms`),
              ],
            ),
          );
          break;
        }
      }
    }
    for (const g of s?.signals ?? []) {
      if (!mine(g.window) || g.kind === "inactivity") continue;
      events.push(row(clock, clock.at(g.time), "is-signal", () => [span("ph-kind", "Signal"), span("ph-text", describeSignal(g))]));
    }
    this.lists[0].set(events, reading);
    this.lists[1].set(consoleRows, reading);
    this.lists[2].set(network, reading);
    const pages: Row[] = [];
    for (const v of s?.visits ?? []) {
      if (!mine(v.window)) continue;
      pages.push(row(clock, clock.at(v.start), "is-page", () => [span("ph-text", v.title || v.url), span("ph-duration", formatTime(v.duration_ms)), span("ph-url-small", v.url)]));
    }
    if (pages.length === 0) {
      for (const v of s?.page_views ?? []) if (mine(v.window)) pages.push(row(clock, clock.at(v.start), "is-page", () => [span("ph-text", v.url)]));
    }
    this.lists[3].set(pages.filter((r) => Number.isFinite(r.at)));
    this.fillFacts(s, items);
    this.counts(consoleRows.length, failures);
    this.sync(this.time);
  }

  setNoteCount(n: number): void {
    this.tabs.get("notes")!.dataset.count = n > 0 ? String(n) : "";
  }

  private counts(errors: number, failures: number): void {
    this.tabs.get("console")!.dataset.count = errors > 0 ? String(errors) : "";
    this.tabs.get("network")!.dataset.count = failures > 0 ? String(failures) : "";
  }

  private fillFacts(s: Session | null, items: Item[]): void {
    const f = this.facts;
    f.textContent = "";
    const section = (title: string, pairs: [string, string][]) => {
      const shown = pairs.filter(([, v]) => v !== "");
      if (shown.length === 0) return;
      f.append(el("h4", "", {}, title));
      const dl = el("dl", "");
      for (const [k, v] of shown) dl.append(el("dt", "", {}, k), el("dd", "", {}, v));
      f.append(dl);
    };
    const device = [...items].reverse().find((i) => i.kind === "device");
    const d = device?.kind === "device" ? device.facts : {};
    const wh = (v: unknown) => {
      const o = v as { w?: number; h?: number } | undefined;
      return o && o.w && o.h ? `${o.w}×${o.h}` : "";
    };
    section("Device", [
      ["Device", s?.device ?? ""],
      ["Browser", s?.browser ?? ""],
      ["OS", s?.os ?? ""],
      ["Viewport", wh(d.viewport) || (s?.viewport_width ? `${s.viewport_width}×${s.viewport_height}` : "")],
      ["Screen", wh(d.screen)],
      ["Pixel ratio", d.dpr ? String(d.dpr) : ""],
      ["Touch", d.touch === undefined ? "" : d.touch ? "yes" : "no"],
      ["Language", typeof d.language === "string" ? d.language : ""],
      ["Time zone", typeof d.timezone === "string" ? d.timezone : ""],
    ]);
    const traits: [string, string][] = Object.entries(s?.traits ?? {}).map(([k, v]) => [k, String(v)]);
    section("User", [["User", s?.user_id || "anonymous"], ...traits]);
    const byPage = new Map<string, string[]>();
    for (const it of items) {
      if (it.kind !== "vital") continue;
      const v = it.name === "CLS" ? it.value.toFixed(3) : `${Math.round(it.value)} ms`;
      const list = byPage.get(it.page) ?? [];
      list.push(`${it.name} ${v} (${it.rating})`);
      byPage.set(it.page, list);
    }
    section("Vitals", [...byPage].map(([page, v]) => [page || "(page)", v.join(", ")]));
  }
}
