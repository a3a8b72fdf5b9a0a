// What became of one POST to the ingest endpoint.
export type Outcome =
  // project: the project's id from the server's answer, when it said.
  | { ok: true; project?: number }
  // Worth sending again: network error, 408, 429 or 5xx. retryAfter is the
  // server's Retry-After in milliseconds, when it gave one.
  | { ok: false; retry: true; retryAfter?: number }
  // The server refused the batch itself (another 4xx): sending it again
  // would get the same answer.
  // code and message: the server's {"error":{code,message}}, when it said.
  | { ok: false; retry: false; status: number; code: string; message: string };

// Gzips a body with the browser's native CompressionStream (Chromium
// compresses on the page's thread, about 8 ms per MB of JSON, outside
// script time). Returns null where the API is missing or fails, and the
// caller then sends plain JSON.
async function gzip(body: string): Promise<Blob | null> {
  if (typeof CompressionStream !== "function") return null;
  try {
    const stream = new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"));
    return await new Response(stream).blob();
  } catch {
    return null;
  }
}

// Retry-After is either seconds or an HTTP date.
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// Posts one batch body. keepalive is for a page that is going away: the
// request must outlive the page, so it goes out at once and uncompressed
// (there is no time to wait for the compressor), and browsers cap such
// bodies at 64 KB.
export async function post(url: string, body: string, keepalive: boolean): Promise<Outcome> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  let payload: string | Blob = body;
  if (!keepalive) {
    const zipped = await gzip(body);
    if (zipped) {
      payload = zipped;
      headers["Content-Encoding"] = "gzip";
    }
  }

  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      body: payload,
      headers,
      keepalive,
      // The ingest key identifies the project; cookies of the recorded site
      // have no business on our server.
      credentials: "omit",
    });
  } catch {
    return { ok: false, retry: true };
  }
  if (res.ok) {
    const answer = await res.json().catch(() => null);
    const project = answer && answer.project;
    return typeof project === "number" ? { ok: true, project } : { ok: true };
  }
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    const retryAfter = parseRetryAfter(res.headers.get("Retry-After"));
    return retryAfter === undefined ? { ok: false, retry: true } : { ok: false, retry: true, retryAfter };
  }
  const error = ((await res.json().catch(() => null)) || {}).error || {};
  return { ok: false, retry: false, status: res.status, code: String(error.code || "http_" + res.status), message: String(error.message || "") };
}
