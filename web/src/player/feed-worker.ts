// The worker that reads a replay's segments for the panes and the
// timeline (feed-reader.ts starts it): parsing a long session's JSON and
// following its pages' nodes to label clicks takes hundreds of ms, which
// here are not the page's.
import type { eventWithTime } from "@rrweb/types";
import { getJSON } from "./api";
import { firstFrame } from "./events";
import { Feed } from "./feed";
import type { FromFeed, ToFeed } from "./feed-reader";

declare const self: {
  onmessage: ((e: MessageEvent<ToFeed>) => void) | null;
  postMessage(m: FromFeed): void;
};

let feed: Feed | null = null;
let posted = 0;
// Segments to fetch, in order, one at a time: the server reads each from
// its chunk, and the panes fill from the start. While held, the fetch under
// way is given up, to be made again once let go: the replay's own fetch
// for a moment far away comes first.
const queue: { k: number; url: string }[] = [];
let fetching = false;
let held = false;
let under: AbortController | null = null;

self.onmessage = (e) => {
  const m = e.data;
  switch (m.kind) {
    case "open":
      feed = new Feed(m.start, m.segments, () => {
        self.postMessage({ kind: "items", items: feed!.items.slice(posted), filled: feed!.filled() });
        posted = feed!.items.length;
      });
      break;
    case "text": {
      const events = JSON.parse(m.text) as eventWithTime[];
      for (const p of m.parts) take(p.k, events.filter((e) => e.timestamp >= p.from && e.timestamp < p.to));
      break;
    }
    case "events":
      take(m.k, m.events);
      break;
    case "fetch":
      queue.push(m);
      void drain();
      break;
    case "grow":
      feed?.grow(m.segments);
      break;
    case "hold":
      held = true;
      under?.abort();
      break;
    case "go":
      held = false;
      void drain();
      break;
  }
};

function take(k: number, events: eventWithTime[]): void {
  if (k === 0 && events.length > 0) self.postMessage({ kind: "first", offset: firstFrame(events), at: events[0].timestamp });
  feed?.put(k, events);
}

async function drain(): Promise<void> {
  if (fetching) return;
  fetching = true;
  try {
    while (!held && queue.length > 0) {
      const next = queue[0];
      const abort = new AbortController();
      under = abort;
      let events: eventWithTime[];
      try {
        events = await getJSON<eventWithTime[]>(next.url, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) continue; // held: made again once let go
        throw err;
      } finally {
        under = null;
      }
      take(next.k, events);
      queue.shift();
    }
  } catch (err) {
    self.postMessage({ kind: "error", message: err instanceof Error ? err.message : String(err) });
  } finally {
    fetching = false;
  }
}
