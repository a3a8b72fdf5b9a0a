import type { eventWithTime } from "@rrweb/types";

// rrweb records a blocked element as an empty element of its size that
// keeps only its class, so one blocked by the attribute data-playhead-block
// (or by the recorder's list of secret fields) would replay as a bare box.
// markBlocked gives each such element the class playhead-block, which the
// replay's style draws as a labelled box. It changes the events in place.

interface SerializedNode {
  type: number;
  attributes?: Record<string, unknown>;
  childNodes?: SerializedNode[];
}

const ELEMENT = 2;
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const MUTATION = 0;

export function markBlocked(events: eventWithTime[]): eventWithTime[] {
  for (const e of events) {
    const data = e.data as { node?: SerializedNode; source?: number; adds?: { node: SerializedNode }[] };
    if (e.type === FULL_SNAPSHOT && data.node) mark(data.node);
    else if (e.type === INCREMENTAL && data.source === MUTATION && Array.isArray(data.adds)) {
      for (const add of data.adds) if (add?.node) mark(add.node);
    }
  }
  return events;
}

function mark(root: SerializedNode): void {
  // A stack, not recursion: recorded documents can be deeper than the
  // call stack allows.
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    const attrs = n.attributes;
    if (n.type === ELEMENT && attrs && attrs.rr_width !== undefined) {
      const cls = typeof attrs.class === "string" ? attrs.class : "";
      if (!/(^|\s)(playhead-block|rr-block)(\s|$)/.test(cls)) attrs.class = cls ? `${cls} playhead-block` : "playhead-block";
    }
    if (Array.isArray(n.childNodes)) for (const c of n.childNodes) stack.push(c);
  }
}
