/**
 * Device ↔ server messages other than sealed batches and receipts (sync/wire.py).
 *
 * Enrollment travels as plain msgpack (the device has no server key yet); a pull request
 * is signed by the device; its answer is a sealed pull response whose payload is a
 * {@link PullPage}. Messages are written as msgspec writes the Python Structs (a map in
 * declared field order, every field); reading follows msgspec's Struct rules (unknown keys
 * ignored, defaults for missing fields that have one). A message of the wrong shape throws
 * a `DecodeError` (code `malformed_body`).
 */
import type { SigningKey } from "./keys.js";
import { DecodeError, decode, decodeMapWithRawItems, encode, Ordered, type Value } from "./msgpack.js";
import { asMap, bin, bool, dotOf, int, list, ShapeError, str, type Int } from "./shape.js";

export const PULL_REQUEST_DOMAIN = new TextEncoder().encode("cairn-pull-request/1\x00");

export interface EnrollRequest {
  readonly code: string;
  readonly signing_public: Uint8Array;
  readonly encryption_recipient: string;
  readonly label?: string;
}

export interface EnrollResponse {
  readonly device_id: string;
  readonly project: string;
  readonly server_signing_public: Uint8Array;
  readonly server_signing_key_id: string;
  readonly batch_recipient: string;
  readonly batch_key_id: string;
  readonly server_time_ms: Int;
}

export interface PullPage {
  /** The ops as stored on the server, each its exact msgpack bytes. */
  readonly ops: Uint8Array[];
  readonly cursor: Int;
  readonly more: boolean;
  readonly server_time_ms: Int;
  readonly suspect: [string, Int][];
  /** The key new batches go to ("" when the page does not say). */
  readonly batch_key_id: string;
  readonly batch_recipient: string;
  readonly labels: { [actor: string]: string };
}

function shaped<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ShapeError || e instanceof DecodeError) throw new DecodeError(`${what}: ${e.message}`);
    throw e;
  }
}

/** msgpack bytes of an enrollment request (POST /v1/device/enroll). */
export function encodeEnrollRequest(r: EnrollRequest): Uint8Array {
  return encode(
    new Ordered([
      ["code", r.code],
      ["signing_public", r.signing_public],
      ["encryption_recipient", r.encryption_recipient],
      ["label", r.label ?? ""],
    ]),
  );
}

export function decodeEnrollResponse(bytes: Uint8Array): EnrollResponse {
  return shaped("enrollment response", () => {
    const m = asMap(decode(bytes), "enrollment response");
    return {
      device_id: str(m, "device_id"),
      project: str(m, "project"),
      server_signing_public: bin(m, "server_signing_public"),
      server_signing_key_id: str(m, "server_signing_key_id"),
      batch_recipient: str(m, "batch_recipient"),
      batch_key_id: str(m, "batch_key_id"),
      server_time_ms: int(m, "server_time_ms"),
    };
  });
}

/** What a pull request's signature covers: the domain and msgpack [device_id, cursor, limit]. */
export function pullRequestSignedBytes(deviceId: string, cursor: Int, limit: Int): Uint8Array {
  const fields = encode([deviceId, cursor, limit]);
  const out = new Uint8Array(PULL_REQUEST_DOMAIN.length + fields.length);
  out.set(PULL_REQUEST_DOMAIN);
  out.set(fields, PULL_REQUEST_DOMAIN.length);
  return out;
}

/** A signed pull request (POST /v1/device/pull): ops after `cursor`, at most `limit`. */
export async function encodePullRequest(deviceId: string, cursor: Int, limit: Int, key: SigningKey): Promise<Uint8Array> {
  const signature = await key.sign(pullRequestSignedBytes(deviceId, cursor, limit));
  return encode(
    new Ordered([
      ["device_id", deviceId],
      ["cursor", cursor],
      ["limit", limit],
      ["signature", signature],
    ]),
  );
}

/** The payload of a sealed pull response (open it with `openPull` first). */
export function decodePullPage(payload: Uint8Array): PullPage {
  return shaped("pull page", () => {
    const { map: m, raw } = decodeMapWithRawItems(payload, "ops");
    if (raw === null) throw new ShapeError(Object.prototype.hasOwnProperty.call(m, "ops") ? "ops: expected an array" : "missing field ops");
    const labelsValue: Value = Object.prototype.hasOwnProperty.call(m, "labels") ? m["labels"]! : {};
    const labels = asMap(labelsValue, "labels");
    const out: { [actor: string]: string } = {};
    for (const k of Object.keys(labels)) {
      const v = labels[k];
      if (typeof v !== "string") throw new ShapeError("labels: expected str values");
      out[k] = v;
    }
    return {
      ops: raw.map((b) => b.slice()),
      cursor: int(m, "cursor"),
      more: bool(m, "more"),
      server_time_ms: int(m, "server_time_ms"),
      suspect: list(m, "suspect", []).map((d, i) => dotOf(d, `suspect[${i}]`)),
      batch_key_id: str(m, "batch_key_id", ""),
      batch_recipient: str(m, "batch_recipient", ""),
      labels: out,
    };
  });
}

/** A batch body: the msgpack array of the ops' exact bytes (as the Python device writes it). */
export function encodeBatchBody(ops: readonly Uint8Array[]): Uint8Array {
  const n = ops.length;
  const head = n < 16 ? [0x90 | n] : n < 0x10000 ? [0xdc, n >> 8, n & 0xff] : [0xdd, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  let size = head.length;
  for (const op of ops) size += op.length;
  const out = new Uint8Array(size);
  out.set(head);
  let o = head.length;
  for (const op of ops) {
    out.set(op, o);
    o += op.length;
  }
  return out;
}

/**
 * Key rotation as the Python device handles it: a pull page (signed by the server) that
 * names a batch key makes it the key new batches are sealed to; batches sealed before
 * keep their bytes (the server still decrypts them with its retired keys).
 */
export function batchKeyAfter(
  current: { batch_key_id: string; batch_recipient: string },
  page: PullPage,
): { batch_key_id: string; batch_recipient: string } {
  return page.batch_key_id && page.batch_recipient
    ? { batch_key_id: page.batch_key_id, batch_recipient: page.batch_recipient }
    : current;
}
