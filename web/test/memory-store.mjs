// An in-memory Store (src/recorder/storage.ts) for tests.
export function memoryStore() {
  const map = new Map();
  return {
    map,
    get: (key) => (map.has(key) ? JSON.parse(map.get(key)) : null),
    set: (key, value) => map.set(key, JSON.stringify(value)),
    remove: (key) => map.delete(key),
  };
}
