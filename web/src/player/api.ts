import type { eventWithTime } from "@rrweb/types";
import { markBlocked } from "./blocked";

// Shapes of the query API (docs/api.md).
export interface SessionWindow {
  id: string;
  start: string;
  end: string;
  events: number;
  // When the visitor turned to the tab or away, in time order.
  shown?: { time: string; visible: boolean }[];
}

export interface PageView {
  url: string;
  start: string;
  window: string;
}

export interface Signal {
  kind: string;
  time: string;
  window: string;
  url: string;
  selector?: string;
  text?: string;
  count: number;
  value: number;
  detail?: string;
}

export interface Visit {
  url: string;
  title?: string;
  start: string;
  duration_ms: number;
  window: string;
}

export interface Session {
  project: number;
  id: string;
  start: string;
  end: string;
  // What the index added to the recording's times to date the session:
  // non-zero when the visitor's clock was implausible.
  clock_offset_ms: number;
  duration_ms: number;
  windows: SessionWindow[];
  page_views?: PageView[];
  visits?: Visit[];
  signals?: Signal[];
  custom_events?: { name: string; time: string }[];
  goals?: { name: string; reached: boolean; at: string | null }[];
  traits?: Record<string, string>;
  user_id?: string;
  browser?: string;
  os?: string;
  device?: string;
  viewport_width?: number;
  viewport_height?: number;
  tags?: string[];
}

// getJSON reads a JSON answer, or throws the server's error message.
export async function getJSON<T>(url: string, signal?: AbortSignal): Promise<T> {
  return JSON.parse(await getText(url, signal)) as T;
}

// getText reads a JSON answer's text.
async function getText(url: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(url, { headers: { Accept: "application/json" }, signal: signal ?? null });
  if (!res.ok) {
    // Errors carry {"error":{"code","message"}}; fall back to the status.
    let message = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new Error(message);
  }
  return res.text();
}

// Names a session: its id is unique only within its project.
export interface SessionRef {
  project: string;
  id: string;
  // Where the session is read instead of its project's path: a share
  // link's own URLs (/api/v1/share/{token}).
  api?: string | undefined;
}

export function sessionURL(ref: SessionRef): string {
  if (ref.api) return ref.api;
  return `/api/v1/projects/${encodeURIComponent(ref.project)}/sessions/${encodeURIComponent(ref.id)}`;
}

export function fetchSession(ref: SessionRef): Promise<Session> {
  return getJSON<Session>(sessionURL(ref));
}

// One entry of the chunk index: a compacted chunk of a window, or the
// batches not yet compacted (pending), cut at page loads.
export interface Chunk {
  window: string;
  pending: boolean;
  first_seq: number;
  last_seq: number;
  start_ms: number;
  end_ms: number;
  events: number;
  bytes: number;
  full: boolean;
}

export async function fetchChunks(ref: SessionRef): Promise<Chunk[]> {
  const body = await getJSON<{ chunks?: Chunk[] }>(`${sessionURL(ref)}/chunks`);
  return body.chunks ?? [];
}

// The address of the session's events, or of one window's when windowId
// is given; only those at or after from and before to (ms, recording
// time) when given.
export function eventsURL(ref: SessionRef, windowId?: string, range?: { from: number; to: number }): string {
  const q = new URLSearchParams();
  if (windowId !== undefined) q.set("window", windowId);
  if (range) {
    q.set("from", String(range.from));
    q.set("to", String(range.to));
  }
  const query = q.size > 0 ? `?${q}` : "";
  return `${sessionURL(ref)}/events${query}`;
}

// Events fetched, with the text the server sent them as, which the panes'
// worker reads again (feed-reader.ts).
export interface Fetched {
  events: eventWithTime[];
  text: string;
}

// fetchEvents fetches events (see eventsURL). The browser asks for them
// compressed (zstd or gzip). signal gives the fetch up.
export async function fetchEvents(
  ref: SessionRef,
  windowId?: string,
  range?: { from: number; to: number },
  signal?: AbortSignal,
): Promise<Fetched> {
  const text = await getText(eventsURL(ref, windowId, range), signal);
  const events: unknown = JSON.parse(text);
  if (!Array.isArray(events)) throw new Error("the server sent no event list");
  return { events: markBlocked(events as eventWithTime[]), text };
}

// A note on a moment of the session; time_ms is the recording's time.
export interface Note {
  id: number;
  time_ms: number;
  window: string;
  text: string;
  author: string;
  created: string;
}

export async function fetchNotes(ref: SessionRef): Promise<Note[]> {
  const body = await getJSON<{ notes?: Note[] }>(`${sessionURL(ref)}/notes`);
  return body.notes ?? [];
}

// send makes a change on the session as the signed-in user: the CSRF
// token of the login comes with it. It answers the JSON body, if any.
export async function send<T>(ref: SessionRef, method: "POST" | "DELETE", path: string, csrf: string, body?: unknown): Promise<T | null> {
  const headers: Record<string, string> = { Accept: "application/json", "X-CSRF-Token": csrf };
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`${sessionURL(ref)}${path}`, init);
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: the status says enough.
  }
  if (!res.ok) {
    const message = (parsed as { error?: { message?: string } } | null)?.error?.message;
    throw new Error(message || `HTTP ${res.status}`);
  }
  return parsed as T | null;
}
