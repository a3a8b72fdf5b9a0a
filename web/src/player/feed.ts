import { EventType, IncrementalSource, MouseInteractions, type eventWithTime } from "@rrweb/types";

// What the panes list, read from the recording: offsets are ms from the
// start of the replay.
export type Item =
  | { kind: "click"; at: number; text: string }
  | { kind: "page"; at: number; url: string; title: string; nav: string }
  | { kind: "console"; at: number; level: "error" | "warn"; source: string; message: string; stack: string }
  | {
      kind: "request";
      at: number;
      method: string;
      url: string;
      status: number;
      duration: number;
      failure: string;
    }
  | { kind: "vital"; at: number; name: string; value: number; rating: string; page: string }
  | { kind: "track"; at: number; name: string }
  | { kind: "identify"; at: number; user: string; traits: Record<string, unknown> }
  | { kind: "device"; at: number; facts: Record<string, unknown> };

// A serialized node of rrweb's snapshot, as much of it as a label needs.
interface SNode {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SNode[];
  textContent?: string;
}

const TEXT_NODE = 3;
const LABEL_MAX = 80;

type Payload = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

// Feed reads the segments of a replay in order, whatever order they are
// fetched in: a click's label comes from the nodes the snapshots before it
// built.
export class Feed {
  readonly items: Item[] = [];
  // The serialized nodes are the events' own: text changes are kept beside
  // them, never written into them.
  private readonly nodes = new Map<number, SNode>();
  private readonly texts = new Map<number, string>();
  private readonly waiting = new Map<number, eventWithTime[]>();
  private next = 0;
  private page = "";

  constructor(
    private readonly start: number,
    public segments: number,
    private readonly onChange: () => void,
  ) {}

  // grow makes room for segments that a live session appends.
  grow(segments: number): void {
    this.segments = Math.max(this.segments, segments);
  }

  // Whether segment i has been read or is waiting for those before it.
  has(i: number): boolean {
    return i < this.next || this.waiting.has(i);
  }

  // Whether every segment has been read.
  filled(): boolean {
    return this.next >= this.segments;
  }

  put(i: number, events: eventWithTime[]): void {
    if (this.has(i)) return;
    this.waiting.set(i, events);
    let changed = false;
    for (let evs = this.waiting.get(this.next); evs; evs = this.waiting.get(this.next)) {
      this.waiting.delete(this.next);
      this.next++;
      for (const e of evs) this.read(e);
      changed = true;
    }
    if (changed) this.onChange();
  }

  private read(e: eventWithTime): void {
    const at = e.timestamp - this.start;
    if (e.type === EventType.FullSnapshot) {
      this.nodes.clear();
      this.texts.clear();
      this.index(e.data.node as SNode);
    } else if (e.type === EventType.IncrementalSnapshot) {
      const d = e.data;
      if (d.source === IncrementalSource.Mutation) {
        for (const a of d.adds) this.index(a.node as SNode);
        for (const t of d.texts) this.texts.set(t.id, t.value ?? "");
      } else if (d.source === IncrementalSource.MouseInteraction && d.type === MouseInteractions.Click) {
        this.items.push({ kind: "click", at, text: this.label(d.id) });
      }
    } else if (e.type === EventType.Custom) {
      this.custom(at, e.data.tag, (e.data.payload ?? {}) as Payload);
    }
  }

  private custom(at: number, tag: string, p: Payload): void {
    switch (tag) {
      case "playhead/page":
        this.page = str(p.url);
        this.items.push({ kind: "page", at, url: this.page, title: str(p.title), nav: str(p.nav) });
        break;
      case "playhead/error": {
        const kind = str(p.kind);
        this.items.push({
          kind: "console",
          at,
          level: kind === "console.warn" ? "warn" : "error",
          source: kind,
          message: str(p.message),
          stack: str(p.stack),
        });
        break;
      }
      case "playhead/request":
        this.items.push({
          kind: "request",
          at,
          method: str(p.method) || "GET",
          url: str(p.url),
          status: num(p.status),
          duration: num(p.duration),
          failure: str(p.failure),
        });
        break;
      case "playhead/vital":
        this.items.push({ kind: "vital", at, name: str(p.name), value: num(p.value), rating: str(p.rating), page: this.page });
        break;
      case "playhead/track":
        this.items.push({ kind: "track", at, name: str(p.name) });
        break;
      case "playhead/identify":
        this.items.push({ kind: "identify", at, user: str(p.user), traits: (p.traits ?? {}) as Record<string, unknown> });
        break;
      case "playhead/device":
        this.items.push({ kind: "device", at, facts: p });
        break;
    }
  }

  private index(n: SNode | undefined): void {
    if (!n) return;
    this.nodes.set(n.id, n);
    for (const c of n.childNodes ?? []) this.index(c);
  }

  // label names an element as a person would: its text, else what it
  // says it is, else its tag and id.
  private label(id: number): string {
    const n = this.nodes.get(id);
    if (!n) return "";
    const text = this.text(n, "").replace(/\s+/g, " ").trim();
    if (text) return text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text;
    const a = n.attributes ?? {};
    const named = str(a["aria-label"]) || str(a.title) || str(a.alt) || str(a.placeholder);
    if (named) return named.slice(0, LABEL_MAX);
    const tag = n.tagName ?? "";
    return tag + (a.id ? `#${str(a.id)}` : "");
  }

  private text(n: SNode, acc: string): string {
    if (acc.length > LABEL_MAX) return acc;
    if (n.type === TEXT_NODE) return acc + " " + (this.texts.get(n.id) ?? n.textContent ?? "");
    if (n.tagName === "style" || n.tagName === "script") return acc;
    for (const c of n.childNodes ?? []) acc = this.text(c, acc);
    return acc;
  }
}

// latest is the index of the last item at or before ms, or -1.
export function latest(items: { at: number }[], ms: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].at <= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
