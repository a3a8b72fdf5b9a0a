// The recorder's options: from the data- attributes of the script tag, or
// passed to init() of the ES module. docs/recorder.md lists them all.
import { allowed } from "./privacy";

export interface Options {
  // The project's ingest key.
  key: string;
  // Playhead's origin, e.g. "https://playhead.example". The script tag
  // takes it from its own src.
  server?: string;
  // "required": nothing is recorded until playhead.consent(true).
  consent?: "required" | "granted";
  // Share of sessions recorded, 0 to 1; decided once per session.
  sampleRate?: number;
  // Seconds a session must last before anything of it is sent.
  minDuration?: number;
  // Seconds of activity between full snapshots; 0 for none but the first.
  snapshotInterval?: number;
  // Query parameters kept in recorded URLs (names, or prefixes ending in *).
  allowParams?: string[];
  // Path patterns whose ":name" segments are masked, e.g. "/reset/:token".
  maskPaths?: string[];
  // Applied last to every recorded URL.
  maskURL?: (url: string) => string;
  // Mask all page text (as with playhead-mask everywhere), and titles.
  maskAllText?: boolean;
  // Replace card numbers (default) and e-mail addresses (off by default)
  // in page text and attributes.
  scrubCards?: boolean;
  scrubEmails?: boolean;
  // Record fetch/XHR/resource failures, and console.error/warn (default on).
  network?: boolean;
  console?: boolean;
  // Opt-ins: canvas and WebGL snapshots, cross-origin iframes that run the
  // recorder too, web fonts.
  recordCanvas?: boolean;
  recordCrossOriginIframes?: boolean;
  collectFonts?: boolean;
}

export interface Config {
  key: string;
  server: string;
  consentRequired: boolean;
  sampleRate: number;
  minDurationMs: number;
  snapshotMs: number;
  allowParams: string[];
  maskPaths: string[];
  maskURL: ((url: string) => string) | undefined;
  maskAllText: boolean;
  scrubCards: boolean;
  scrubEmails: boolean;
  network: boolean;
  console: boolean;
  recordCanvas: boolean;
  recordCrossOriginIframes: boolean;
  collectFonts: boolean;
}

const num = (v: unknown, def: number, min: number, max: number): number => {
  const n = typeof v === "string" ? parseFloat(v) : typeof v === "number" ? v : NaN;
  return Number.isFinite(n) ? Math.min(Math.max(n, min), max) : def;
};
const bool = (v: unknown, def: boolean): boolean => (v === undefined ? def : v === true || v === "" || v === "true");
const list = (v: unknown, def: string[]): string[] =>
  Array.isArray(v)
    ? v.map(String)
    : typeof v === "string"
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : def;

export function configure(o: Options & Record<string, unknown>): Config {
  return {
    key: String(o.key),
    server: new URL(String(o.server || location.origin), location.href).origin,
    consentRequired: o.consent === "required",
    sampleRate: num(o.sampleRate, 1, 0, 1),
    minDurationMs: num(o.minDuration, 0, 0, 3600) * 1000,
    snapshotMs: num(o.snapshotInterval, 300, 0, 86400) * 1000,
    allowParams: list(o.allowParams, ["utm_*"]),
    maskPaths: list(o.maskPaths, []),
    maskURL: typeof o.maskURL === "function" ? o.maskURL : undefined,
    maskAllText: bool(o.maskAllText, false),
    scrubCards: bool(o.scrubCards, true),
    scrubEmails: bool(o.scrubEmails, false),
    network: bool(o.network, true),
    console: bool(o.console, true),
    recordCanvas: bool(o.recordCanvas, false),
    recordCrossOriginIframes: bool(o.recordCrossOriginIframes ?? o.recordIframes, false),
    collectFonts: bool(o.collectFonts, false),
  };
}

// Settings are a project's options, which the server writes into the
// playhead.js it serves for the project's key (?key=).
export type Settings = Partial<Pick<
  Options,
  "key" | "sampleRate" | "maskAllText" | "scrubEmails" | "allowParams" | "maskPaths" | "network" | "console"
>>;

// fromScript reads the options of a script tag (data-sample-rate becomes
// sampleRate, and so on) on top of the project's settings p, which they
// may tighten but never loosen: the lower sample rate, masking and
// scrubbing when either asks, the paths of both masked, network and
// console off when either says so, and of the project's allowed query
// parameters those the tag names too.
export function fromScript(s: HTMLScriptElement, p: Settings = {}): Config {
  const d = s.dataset;
  const c = configure({ ...d, key: p.key || d.key, server: s.src } as Options & Record<string, unknown>);
  const allow = p.allowParams;
  return {
    ...c,
    sampleRate: Math.min(c.sampleRate, num(p.sampleRate, 1, 0, 1)),
    maskAllText: c.maskAllText || !!p.maskAllText,
    scrubEmails: c.scrubEmails || !!p.scrubEmails,
    allowParams: !allow ? c.allowParams : d.allowParams === undefined ? allow : c.allowParams.filter((a) => allowed(a, allow)),
    maskPaths: c.maskPaths.concat(p.maskPaths || []),
    network: c.network && p.network !== false,
    console: c.console && p.console !== false,
  };
}

// sampled decides from the session id alone, so that every page of a
// session decides alike.
export function sampled(sessionId: string, rate: number): boolean {
  if (rate >= 1) return true;
  let h = 2166136261;
  for (let i = 0; i < sessionId.length; i++) h = Math.imul(h ^ sessionId.charCodeAt(i), 16777619);
  return (h >>> 0) / 4294967296 < rate;
}
