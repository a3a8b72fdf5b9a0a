// Scrubbing of rrweb's events in the browser, before they are queued: card
// numbers and e-mail addresses in page text and attributes, credentials in
// <meta> tags, and the page URL of Meta events.
import { SECRET_META, scrubText, type TextRules } from "./privacy";

// rrweb's serialized nodes, walked without their full types.
type Node = any;

const EVENT_FULL_SNAPSHOT = 2;
const EVENT_INCREMENTAL = 3;
const EVENT_META = 4;
const SOURCE_MUTATION = 0;
const ELEMENT = 2;
const TEXT = 3;

// An attribute or text longer than this (characters) is recorded empty:
// one inline image of megabytes (a data: URI) would otherwise make its
// event larger than the server takes (1 MiB gzipped), and the page's whole
// snapshot would be lost. Style sheets are kept whole: CSS compresses well.
export const MAX_VALUE = 256 * 1024;

const scrubValue = (v: string, rules: TextRules) => (v.length > MAX_VALUE ? "" : scrubText(v, rules));

function scrubAttributes(attrs: Record<string, unknown>, rules: TextRules): void {
  for (const k in attrs) {
    const v = attrs[k];
    // Style sheets are skipped: large, and no place for either pattern.
    if (typeof v === "string" && k !== "_cssText" && k !== "style") attrs[k] = scrubValue(v, rules);
  }
}

function scrubNode(n: Node, rules: TextRules, inStyle: boolean): void {
  if (!n) return;
  if (n.type === ELEMENT) {
    const a = n.attributes;
    if (a) {
      if (n.tagName === "meta" && SECRET_META.test(a.name + " " + a.property)) delete a.content;
      scrubAttributes(a, rules);
    }
    inStyle = n.tagName === "style" || n.tagName === "script";
  } else if (n.type === TEXT && !n.isStyle && !inStyle && typeof n.textContent === "string") {
    n.textContent = scrubValue(n.textContent, rules);
  }
  const kids = n.childNodes;
  if (kids) for (let i = 0; i < kids.length; i++) scrubNode(kids[i], rules, inStyle);
}

// scrubEvent changes e in place; strip is applied to the page URL.
export function scrubEvent(e: Node, rules: TextRules, strip: (url: string) => string): void {
  const d = e.data;
  if (!d) return;
  if (e.type === EVENT_META) {
    if (typeof d.href === "string") d.href = strip(d.href);
  } else if (e.type === EVENT_FULL_SNAPSHOT) {
    scrubNode(d.node, rules, false);
  } else if (e.type === EVENT_INCREMENTAL && d.source === SOURCE_MUTATION) {
    for (const t of d.texts || []) if (typeof t.value === "string") t.value = scrubValue(t.value, rules);
    for (const a of d.attributes || []) if (a.attributes) scrubAttributes(a.attributes, rules);
    for (const add of d.adds || []) scrubNode(add.node, rules, false);
  }
}
