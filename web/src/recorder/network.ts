// fetch, XMLHttpRequest and failed resource loads as playhead/request
// events: method, URL (stripped), status, duration, size, failure; never
// bodies or headers.
import type { Capture } from "./context";
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

  // Failed images, scripts, stylesheets and fonts: error events that do
  // not bubble, seen by window's capture listener.
  c.on(
    window,
    "error",
    (e) => {
      const el = e.target as HTMLElement & { src?: string; href?: string; currentSrc?: string };
      if (!el || el === (window as unknown) || !(el instanceof HTMLElement)) return;
      const url = el.currentSrc || el.src || el.href;
      if (!url) return;
      const entry = performance.getEntriesByName(url).pop() as (PerformanceResourceTiming & { responseStatus?: number }) | undefined;
      const status = (entry && entry.responseStatus) || 0;
      const t0 = entry ? entry.startTime : performance.now();
      send("resource", "GET", url, Math.round(performance.timeOrigin + t0), t0, status, null, status >= 400 ? "http" : "network");
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
