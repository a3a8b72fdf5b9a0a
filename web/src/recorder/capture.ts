// Page views, device, errors and long tasks as playhead/* custom events
// (docs/recorder.md, "Custom events").
import type { Capture } from "./context";
import { Bucket, cut } from "./limits";

export type Nav = "load" | "push" | "replace" | "pop" | "hash";

// Page views: the full load (called by the recorder right after rrweb's
// Meta event) and every SPA navigation.
export function pages(c: Capture): (nav: Nav, ts?: number) => void {
  let last = location.href;
  const referrer = document.referrer;
  const page = (nav: Nav, ts = Date.now()) => {
    const from = nav === "load" ? referrer : last;
    last = location.href;
    const send = () =>
      c.emit("page", { url: c.url(last), referrer: from ? c.url(from) : "", title: c.text(cut(document.title, 300), true), nav }, ts);
    // Routers set the title after they render the new route.
    if (nav === "load") send();
    else setTimeout(send, 100);
  };
  const h = history;
  for (const [name, nav] of [["pushState", "push"], ["replaceState", "replace"]] as const) {
    const orig = h[name];
    h[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const before = location.href;
      const r = orig.apply(this, args);
      try {
        if (location.href !== before) page(nav);
      } catch {
        // Never throw into the host page.
      }
      return r;
    };
    c.undo(() => (h[name] = orig));
  }
  const path = (u: string) => u.split("#")[0];
  // A fragment navigation fires popstate, then hashchange: it is a "hash".
  c.on(window, "popstate", () => {
    if (path(location.href) !== path(last)) page("pop");
  });
  c.on(window, "hashchange", () => {
    if (location.href !== last) page("hash");
  });
  return page;
}

// The IANA time zone. Temporal knows it at once; the first
// Intl.DateTimeFormat of a page loads its locale's calendar data, 15–50 ms
// of the main thread (docs/benchmarks.md).
function zone(): string {
  const t = (globalThis as { Temporal?: { Now: { timeZoneId(): string } } }).Temporal;
  return t ? t.Now.timeZoneId() : Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function device(c: Capture): void {
  const portrait = matchMedia("(orientation: portrait)");
  const timezone = zone();
  const send = () =>
    c.emit("device", {
      viewport: { w: innerWidth, h: innerHeight },
      screen: { w: screen.width, h: screen.height },
      dpr: devicePixelRatio,
      touch: navigator.maxTouchPoints > 0 || "ontouchstart" in window,
      orientation: portrait.matches ? "portrait" : "landscape",
      language: navigator.language,
      timezone,
    });
  send();
  c.on(portrait, "change", send);
}

const MAX_MESSAGE = 1000;
const MAX_STACK = 4000;

function describe(v: unknown): string {
  if (v instanceof Error) return v.name + ": " + v.message;
  if (typeof v === "string") return v;
  try {
    return cut(JSON.stringify(v), 200);
  } catch {
    return String(v);
  }
}

// errors records uncaught errors, unhandled rejections and, when console
// is set, console.error and console.warn; at most 20 at once, then one a
// second.
export function errors(c: Capture, consoleToo: boolean): void {
  const bucket = new Bucket(20, 1);
  let busy = false;
  const send = (kind: string, message: string, err: unknown, source?: string, line?: number, column?: number) => {
    if (busy || !bucket.take()) return;
    busy = true;
    try {
      const p: Record<string, unknown> = { kind, message: c.text(cut(message, MAX_MESSAGE)) };
      const stack = err instanceof Error && err.stack;
      if (stack) p.stack = c.text(cut(stack, MAX_STACK));
      if (source) p.source = c.url(source);
      if (line) p.line = line;
      if (column) p.column = column;
      c.emit("error", p);
    } finally {
      busy = false;
    }
  };
  c.on(window, "error", (e) => {
    // Resource load failures reach window's capture listener too; network.ts
    // records those.
    if (!(e instanceof ErrorEvent)) return;
    send("error", e.message || describe(e.error), e.error, e.filename, e.lineno, e.colno);
  });
  c.on(window, "unhandledrejection", (e) => {
    const r = (e as PromiseRejectionEvent).reason;
    send("rejection", describe(r), r);
  });
  if (!consoleToo) return;
  for (const level of ["error", "warn"] as const) {
    const orig = console[level];
    console[level] = function (...args: unknown[]) {
      try {
        send("console." + level, args.map(describe).join(" "), args.find((a) => a instanceof Error));
      } catch {
        // Never throw into the host page.
      }
      return orig.apply(this, args);
    };
    c.undo(() => (console[level] = orig));
  }
}

// observe starts a PerformanceObserver where the browser knows the type.
export function observe(c: Capture, type: string, fn: (entries: PerformanceEntry[]) => void, extra?: object): void {
  if (!PerformanceObserver.supportedEntryTypes?.includes(type)) return;
  const o = new PerformanceObserver((list) => {
    try {
      fn(list.getEntries());
    } catch {
      // Never throw into the host page.
    }
  });
  o.observe({ type, buffered: true, ...extra } as PerformanceObserverInit);
  c.undo(() => o.disconnect());
}

export function longTasks(c: Capture): void {
  const bucket = new Bucket(30, 1);
  observe(c, "longtask", (list) => {
    for (const e of list) if (bucket.take()) c.emit("longtask", { duration: Math.round(e.duration) }, Math.round(performance.timeOrigin + e.startTime));
  });
}
