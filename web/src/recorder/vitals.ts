// Core Web Vitals of the page load as playhead/vital events, computed as
// web.dev defines them, with PerformanceObserver: TTFB and FCP when known,
// LCP at the first input or when the page is hidden, CLS and INP when the
// page is hidden (again if they grew since).
import type { Capture } from "./context";
import { observe } from "./capture";

// [good up to, needs improvement up to] per web.dev.
const THRESHOLDS: Record<string, [number, number]> = {
  LCP: [2500, 4000],
  CLS: [0.1, 0.25],
  INP: [200, 500],
  FCP: [1800, 3000],
  TTFB: [800, 1800],
};

type Entry = PerformanceEntry & {
  hadRecentInput?: boolean;
  value?: number;
  interactionId?: number;
  responseStart?: number;
  activationStart?: number;
};

// vitals returns the function to call when the page is being hidden.
export function vitals(c: Capture): () => void {
  const sent: Record<string, number> = {};
  const report = (name: string, value: number) => {
    if (sent[name] === value) return;
    sent[name] = value;
    const [good, poor] = THRESHOLDS[name];
    c.emit("vital", {
      name,
      value: name === "CLS" ? Math.round(value * 10000) / 10000 : Math.round(value),
      rating: value <= good ? "good" : value <= poor ? "needs-improvement" : "poor",
    });
  };

  const nav = performance.getEntriesByType("navigation")[0] as Entry | undefined;
  const activation = (nav && nav.activationStart) || 0;
  if (nav && nav.responseStart) report("TTFB", Math.max(nav.responseStart - activation, 0));

  observe(c, "paint", (list) => {
    for (const e of list) if (e.name === "first-contentful-paint") report("FCP", Math.max(e.startTime - activation, 0));
  });

  let lcp = -1;
  let lcpDone = false;
  const finishLCP = () => {
    if (!lcpDone && lcp >= 0) report("LCP", lcp);
    lcpDone = lcp >= 0;
  };
  observe(c, "largest-contentful-paint", (list) => {
    if (lcpDone) return;
    const last = list[list.length - 1];
    if (last) lcp = Math.max(last.startTime - activation, 0);
  });
  c.on(window, "keydown", finishLCP, true);
  c.on(window, "pointerdown", finishLCP, true);

  // CLS: the largest session window of shifts (1 s apart at most, 5 s
  // long at most) that the visitor did not cause.
  let cls = 0;
  let win = 0;
  let first = 0;
  let prev = 0;
  observe(c, "layout-shift", (list) => {
    for (const e of list as Entry[]) {
      if (e.hadRecentInput) continue;
      if (win && e.startTime - prev < 1000 && e.startTime - first < 5000) win += e.value || 0;
      else {
        win = e.value || 0;
        first = e.startTime;
      }
      prev = e.startTime;
      cls = Math.max(cls, win);
    }
  });

  // INP: the longest interaction (web.dev leaves out one in fifty on
  // pages with more; the longest is the rating that matters here).
  let inp = -1;
  const onEvents = (list: PerformanceEntry[]) => {
    for (const e of list as Entry[]) if (e.interactionId) inp = Math.max(inp, e.duration);
  };
  observe(c, "event", onEvents, { durationThreshold: 40 });
  observe(c, "first-input", onEvents);

  return () => {
    finishLCP();
    report("CLS", cls);
    if (inp >= 0) report("INP", inp);
  };
}
