// fetch, XMLHttpRequest and failed resource loads as playhead/request
// events: method, URL (stripped), status, duration, size, failure; never
// bodies or headers.
import type { Capture } from "./context";
import { observe } from "./capture";
import { Bucket } from "./limits";

type Failure = "network" | "abort" | "timeout" | "cors" | "http";

export function network(c: Capture): void {
  // Generous for real pages, bounded for a page polling in a loop.
  const bucket = new Bucket(100, 5);
  const send = (initiator: string, method: string, raw: string, start: number, t0: number, status: number, size: number | null, failure?: Failure) => {
    if (c.own(raw) || !bucket.take()) return;
    const p: Record<string, unknown> = {
      initiator,
      method: method.toUpperCase().slice(0, 16),
      url: c.url(raw),
      status,
      duration: Math.round(performance.now() - t0),
    };
    if (size !== null && size >= 0) p.size = size;
    if (failure) p.failure = failure;
    else if (status >= 400) p.failure = "http";
    c.emit("request", p, start);
  };
  const length = (v: string | null) => (v ? parseInt(v, 10) : null);

  const origFetch = window.fetch;
  if (origFetch) {
    window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
      const p = origFetch.call(this, input, init);
      try {
        const start = Date.now();
        const t0 = performance.now();
        const req = input instanceof Request ? input : null;
        const url = req ? req.url : String(input);
        const method = (init && init.method) || (req && req.method) || "GET";
        p.then(
          (res) => send("fetch", method, url, start, t0, res.status, length(res.headers.get("content-length"))),
          (err: unknown) => {
            const name = err instanceof Error ? err.name : "";
            send("fetch", method, url, start, t0, 0, null, name === "AbortError" ? "abort" : name === "TimeoutError" ? "timeout" : failure(url));
          },
        );
      } catch {
        // Never throw into the host page.
      }
      return p;
    };
    c.undo(() => (window.fetch = origFetch));
  }

  const proto = XMLHttpRequest.prototype;
  const open = proto.open;
  const sendXHR = proto.send;
  const info = new WeakMap<XMLHttpRequest, [string, string]>();
  proto.open = function (this: XMLHttpRequest, method: string, url: string | URL) {
    try {
      info.set(this, [method, String(url)]);
    } catch {
      // Never throw into the host page.
    }
    // eslint-disable-next-line prefer-rest-params
    return open.apply(this, arguments as unknown as Parameters<typeof open>);
  } as typeof open;
  proto.send = function (this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null) {
    const what = info.get(this);
    if (what) {
      const start = Date.now();
      const t0 = performance.now();
      let fail: Failure | undefined;
      const xhr = this;
      const mark = (f: Failure) => () => (fail = f);
      xhr.addEventListener("abort", mark("abort"));
      xhr.addEventListener("timeout", mark("timeout"));
      xhr.addEventListener("error", () => (fail = failure(what[1])));
      xhr.addEventListener("loadend", () => {
        try {
          let size = length(xhr.getResponseHeader("content-length"));
          if (size === null && (xhr.responseType === "" || xhr.responseType === "text") && xhr.status) size = xhr.responseText.length;
          send("xhr", what[0], what[1], start, t0, xhr.status, size, fail);
        } catch {
          // Never throw into the host page.
        }
      });
    }
    return sendXHR.call(this, body);
  };
  c.undo(() => {
    proto.open = open;
    proto.send = sendXHR;
  });

  // Images, scripts, stylesheets and fonts answered 4xx/5xx, those that
  // failed before the recorder started among them; then the ones that got
  // no answer at all, from their error events (which do not bubble, but
  // window's capture listener sees them).
  type Timing = PerformanceResourceTiming & { responseStatus?: number };
  observe(c, "resource", (list) => {
    for (const e of list as Timing[]) {
      const s = e.responseStatus || 0;
      if (s >= 400 && /^(img|image|script|link|css)$/.test(e.initiatorType))
        send("resource", "GET", e.name, Math.round(performance.timeOrigin + e.startTime), performance.now() - e.duration, s, null);
    }
  });
  c.on(
    window,
    "error",
    (e) => {
      const el = e.target as HTMLElement & { src?: string; href?: string; currentSrc?: string };
      if (!el || el === (window as unknown) || !(el instanceof HTMLElement)) return;
      const url = el.currentSrc || el.src || el.href;
      if (!url) return;
      const entry = performance.getEntriesByName(url).pop() as Timing | undefined;
      if (entry && entry.responseStatus) return;
      send("resource", "GET", url, Date.now(), performance.now(), 0, null, "network");
    },
    true,
  );
}

// Browsers tell a script nothing more than "failed" for both a network
// error and a response that CORS withheld; a cross-origin request online
// is most often the latter.
function failure(url: string): Failure {
  try {
    return new URL(url, location.href).origin !== location.origin && navigator.onLine ? "cors" : "network";
  } catch {
    return "network";
  }
}
