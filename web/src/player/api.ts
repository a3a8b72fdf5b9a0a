import type { eventWithTime } from "@rrweb/types";

// Shapes of the query API (docs/api.md).
export interface SessionWindow {
  id: string;
  start: string;
  end: string;
  events: number;
}

export interface PageView {
  url: string;
  start: string;
  window: string;
}

export interface Session {
  id: string;
  start: string;
  end: string;
  duration_ms: number;
  windows: SessionWindow[];
  page_views?: PageView[];
}

async function getJSON<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
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
  return (await res.json()) as T;
}

export function fetchSession(id: string): Promise<Session> {
  return getJSON<Session>(`/api/v1/sessions/${encodeURIComponent(id)}`);
}

// All events of the session, or of one window when windowId is given.
export async function fetchEvents(id: string, windowId?: string): Promise<eventWithTime[]> {
  const query = windowId === undefined ? "" : `?window=${encodeURIComponent(windowId)}`;
  const events = await getJSON<unknown>(`/api/v1/sessions/${encodeURIComponent(id)}/events${query}`);
  if (!Array.isArray(events)) throw new Error("the server sent no event list");
  return events as eventWithTime[];
}
