// 64 symbols, so one random byte masked to 6 bits picks one without bias.
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Ids must be 1–64 characters of [A-Za-z0-9_-] (docs/api.md). 22 symbols
// carry 132 random bits: no collisions in practice, and short on the wire.
export function randomId(): string {
  const bytes = new Uint8Array(22);
  crypto.getRandomValues(bytes);
  let id = "";
  for (let i = 0; i < bytes.length; i++) id += ALPHABET[bytes[i] & 63];
  return id;
}

const VALID_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(value: unknown): value is string {
  return typeof value === "string" && VALID_ID.test(value);
}
