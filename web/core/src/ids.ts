/**
 * Ids a device chooses (docs/protocol.md §3a, sync/ids.py): batch, record and item ids are
 * UUIDs in canonical text (36 lower-case hex characters in groups 8-4-4-4-12); Cairn
 * devices make UUIDv7 (RFC 9562: 48-bit Unix milliseconds, then random bits).
 */
import { randomBytes } from "@noble/hashes/utils.js";
import { toHex } from "./msgpack.js";

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a UUID in canonical text, matched whole (no trailing newline). */
export function isUuid(text: unknown): boolean {
  return typeof text === "string" && text.length === 36 && UUID_TEXT.test(text);
}

/** A new UUIDv7: sorts by creation time, random below the millisecond. */
export function uuid7(nowMs: number = Date.now()): string {
  const b = randomBytes(16);
  let ms = Math.floor(nowMs);
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
