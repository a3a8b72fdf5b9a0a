// Web Storage can be missing or throw (disabled cookies, Safari's private
// mode, quota errors, sandboxed iframes). The recorder then keeps its state in
// memory for the life of the page instead of failing.
export interface Store {
  get<T>(key: string): T | null;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

export function openStore(kind: "localStorage" | "sessionStorage"): Store {
  const memory = new Map<string, string>();
  let web: Storage | null = null;
  try {
    web = window[kind];
    const probe = "playhead:probe";
    web.setItem(probe, "1");
    web.removeItem(probe);
  } catch {
    web = null;
  }

  // Web Storage wins because other tabs write to it too; the memory copy
  // answers only when a write to Web Storage failed.
  const read = (key: string): string | null => {
    try {
      const raw = web?.getItem(key);
      if (raw != null) return raw;
    } catch {
      // Fall back to the copy kept in memory.
    }
    return memory.get(key) ?? null;
  };

  return {
    get<T>(key: string): T | null {
      const raw = read(key);
      if (raw === null) return null;
      try {
        return JSON.parse(raw) as T;
      } catch {
        return null;
      }
    },
    set(key, value) {
      const raw = JSON.stringify(value);
      memory.set(key, raw);
      try {
        web?.setItem(key, raw);
      } catch {
        // Quota or access error: drop the stale stored value so that the
        // memory copy answers for this page.
        try {
          web?.removeItem(key);
        } catch {
          // Nothing more to do.
        }
      }
    },
    remove(key) {
      memory.delete(key);
      try {
        web?.removeItem(key);
      } catch {
        // Nothing more to do.
      }
    },
  };
}
