/**
 * The adapter between the field app and the protocol's cryptography: device keys, sealed
 * batches, receipts, signed pull requests, sealed pull pages and sealed attachments
 * (docs/protocol.md §1-5, §8). Written against the interface of the Python reference
 * (sync/sealed.py, sync/receipt.py, sync/wire.py, sync/attachment.py) until the device
 * core (web/core) exports its own; then each function here becomes a re-export of the
 * core's. Nothing here is trusted before its signature verified.
 */

import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { type Obj, type Value, bytesEqual, decode, encode, isObj, toHex } from "../../core/src/index.js";

const text = new TextEncoder();

export const BATCH_MAGIC = text.encode("CAIRN-SEALED-BATCH/1\n");
export const BATCH_SIGNED_MAGIC = text.encode("CAIRN-SIGNED-BATCH/1\n");
const BATCH_DOMAIN = text.encode("cairn-sealed-batch/1\0");
export const PULL_MAGIC = text.encode("CAIRN-SEALED-PULL/1\n");
const PULL_SIGNED_MAGIC = text.encode("CAIRN-SIGNED-PULL/1\n");
const PULL_DOMAIN = text.encode("cairn-sealed-pull/1\0");
const PULL_REQUEST_DOMAIN = text.encode("cairn-pull-request/1\0");
const RECEIPT_DOMAIN = text.encode("cairn-receipt/1\0");
const ATTACHMENT_MAGIC = text.encode("CAIRN-SEALED-ATTACHMENT/1\n");
const ATTACHMENT_DOMAIN = text.encode("cairn-sealed-attachment/1\0");
const CHUNK_MAGIC = text.encode("CAIRN-ATTACHMENT-CHUNK/1\n");
const CHUNK_DOMAIN = text.encode("cairn-attachment-chunk/1\0");
const ATTACHMENT_RECEIPT_DOMAIN = text.encode("cairn-attachment-receipt/1\0");
const MAX_HEADER = 4096;

/** A refusal of the protocol's checks, with its stable code (docs/protocol.md §6). */
export class SealError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DeviceKeys {
  signingSeed: Uint8Array;
  signingPublic: Uint8Array;
  ageIdentity: string;
  ageRecipient: string;
}

/** New device keys, made on the device: Ed25519 for signing, X25519 (age) for pull pages. */
export async function makeKeys(): Promise<DeviceKeys> {
  const signingSeed = ed25519.utils.randomSecretKey();
  const ageIdentity = await generateX25519Identity();
  return { signingSeed, signingPublic: ed25519.getPublicKey(signingSeed), ageIdentity, ageRecipient: await identityToRecipient(ageIdentity) };
}

/** The key id of an Ed25519 public key: 16 hex digits of its SHA-256. */
export function keyId(publicKey: Uint8Array | string): string {
  return toHex(sha256(typeof publicKey === "string" ? text.encode(publicKey) : publicKey)).slice(0, 16);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function frame(magic: Uint8Array, header: Uint8Array): Uint8Array {
  return concat(magic, u32(header.length), header);
}

function startsWith(data: Uint8Array, magic: Uint8Array): boolean {
  return data.length >= magic.length && bytesEqual(data.subarray(0, magic.length), magic);
}

function unframe(data: Uint8Array, magic: Uint8Array, what: string): [Uint8Array, number] {
  if (!startsWith(data, magic)) throw new SealError("malformed_envelope", `not a Cairn ${what}: the magic line is missing.`);
  const start = magic.length + 4;
  if (data.length < start) throw new SealError("malformed_envelope", `${what} is cut off inside its header length.`);
  const length = new DataView(data.buffer, data.byteOffset + magic.length, 4).getUint32(0, false);
  if (length > MAX_HEADER || data.length < start + length) throw new SealError("malformed_envelope", `${what} header length is invalid or the data is cut off.`);
  return [data.subarray(start, start + length), start + length];
}

function map(raw: Uint8Array, what: string): Obj {
  let v: Value;
  try {
    v = decode(raw);
  } catch (e) {
    throw new SealError("malformed_envelope", `${what} is not valid msgpack: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw new SealError("malformed_envelope", `${what} is not a msgpack map.`);
  return v;
}

function int(v: Value): number {
  return typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : NaN;
}

function verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array, what: string): void {
  let ok = false;
  try {
    ok = ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (!ok) throw new SealError("bad_signature", `the ${what} signature does not verify with the signer's public key: it was altered or signed by another key. Do not use its contents.`);
}

async function ageEncrypt(plain: Uint8Array, recipient: string): Promise<Uint8Array> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(plain);
}

async function ageDecrypt(file: Uint8Array, identity: string, what: string): Promise<Uint8Array> {
  const d = new Decrypter();
  d.addIdentity(identity);
  try {
    return await d.decrypt(file);
  } catch (e) {
    const msg = String((e as Error).message ?? e);
    if (/no identity matched|no matching/i.test(msg)) throw new SealError("not_for_us", `this ${what} is not encrypted to any key held here.`);
    throw new SealError("tampered_payload", `this ${what} does not decrypt: ${msg}`);
  }
}

export interface SealBatchArgs {
  deviceId: string;
  batchId: string;
  seq: number;
  signingSeed: Uint8Array;
  recipient: string;
  keyId: string;
  signedAt: number;
}

/** sync.sealed.seal_batch: sign the body with its routing fields, encrypt to the server. */
export async function sealBatch(body: Uint8Array, a: SealBatchArgs): Promise<Uint8Array> {
  const header = encode({
    device_id: a.deviceId,
    batch_id: a.batchId,
    seq: a.seq,
    key_id: a.keyId,
    body_sha256: sha256(body),
    body_length: body.length,
    signed_at: a.signedAt,
  });
  const signature = ed25519.sign(concat(BATCH_DOMAIN, header), a.signingSeed);
  const signed = concat(frame(BATCH_SIGNED_MAGIC, header), signature, body);
  const routing = encode({ device_id: a.deviceId, batch_id: a.batchId, seq: a.seq, key_id: a.keyId });
  return concat(frame(BATCH_MAGIC, routing), await ageEncrypt(signed, a.recipient));
}

export interface RefusedOp {
  index: number;
  reason: string;
  code: string;
  dot: [string, number] | null;
  kept: boolean;
}

export interface Receipt {
  batch_id: string;
  device_id: string;
  seq: number;
  sealed_sha256: string;
  received_at: number;
  audit_head: string;
  missing_seqs: number[];
  refused: RefusedOp[];
  accepted_ops: number;
  server_key_id: string;
  audit_seq: number;
}

function envelope(bytes: Uint8Array, what: string): { body: Uint8Array; keyId: string; signature: Uint8Array } {
  const env = map(bytes, what);
  const { receipt, key_id, signature } = env;
  if (!(receipt instanceof Uint8Array) || typeof key_id !== "string" || !(signature instanceof Uint8Array)) {
    throw new SealError("malformed_receipt", `${what} is not a valid signed envelope.`);
  }
  return { body: receipt, keyId: key_id, signature };
}

/** sync.receipt.verify_receipt: check the server's signature, then decode. */
export function verifyReceipt(bytes: Uint8Array, serverPublic: Uint8Array): Receipt {
  const env = envelope(bytes, "receipt");
  try {
    verify(serverPublic, env.signature, concat(RECEIPT_DOMAIN, env.body), "receipt");
  } catch {
    throw new SealError("bad_receipt_signature", "the receipt's signature does not verify with this server's key; keep the batch and push it again (the receipt was altered or is from another server).");
  }
  const r = map(env.body, "receipt body");
  if (typeof r.batch_id !== "string" || typeof r.device_id !== "string" || typeof r.sealed_sha256 !== "string") {
    throw new SealError("malformed_receipt", "signed receipt body is not a valid receipt.");
  }
  const refused = (Array.isArray(r.refused) ? r.refused : []).map((x) => {
    const o = isObj(x) ? x : {};
    const dot = Array.isArray(o.dot) && o.dot.length === 2 ? ([String(o.dot[0]), int(o.dot[1] as Value)] as [string, number]) : null;
    return { index: int(o.index ?? -1), reason: String(o.reason ?? ""), code: String(o.code ?? ""), dot, kept: o.kept === true };
  });
  const receipt: Receipt = {
    batch_id: r.batch_id,
    device_id: r.device_id,
    seq: int(r.seq ?? 0),
    sealed_sha256: r.sealed_sha256,
    received_at: int(r.received_at ?? 0),
    audit_head: String(r.audit_head ?? ""),
    missing_seqs: (Array.isArray(r.missing_seqs) ? r.missing_seqs : []).map((x) => int(x as Value)),
    refused,
    accepted_ops: int(r.accepted_ops ?? 0),
    server_key_id: String(r.server_key_id ?? ""),
    audit_seq: int(r.audit_seq ?? 0),
  };
  if (receipt.server_key_id !== env.keyId) throw new SealError("bad_receipt_signature", "the receipt names a different key id than its envelope.");
  return receipt;
}

/** sync.wire.PullRequest, signed: msgpack {device_id, cursor, limit, signature}. */
export function pullRequest(deviceId: string, cursor: number, limit: number, signingSeed: Uint8Array): Uint8Array {
  const signature = ed25519.sign(concat(PULL_REQUEST_DOMAIN, encode([deviceId, cursor, limit])), signingSeed);
  return encode({ device_id: deviceId, cursor, limit, signature });
}

/** sync.sealed.open_pull: decrypt with the device's identity, verify the server, check. */
export async function openPull(sealed: Uint8Array, a: { identity: string; serverPublic: Uint8Array; deviceId: string }): Promise<Uint8Array> {
  const [rawRouting, offset] = unframe(sealed, PULL_MAGIC, "sealed pull response");
  const routing = map(rawRouting, "pull routing header");
  const plain = await ageDecrypt(sealed.subarray(offset), a.identity, "pull response");
  const [rawHeader, at] = unframe(plain, PULL_SIGNED_MAGIC, "signed pull response");
  if (plain.length < at + 64) throw new SealError("malformed_envelope", "signed pull response is cut off inside its signature.");
  const signature = plain.subarray(at, at + 64);
  const payload = plain.subarray(at + 64);
  verify(a.serverPublic, signature, concat(PULL_DOMAIN, rawHeader), "pull response");
  const h = map(rawHeader, "signed pull header");
  if (int(h.payload_length ?? -1) !== payload.length || !(h.payload_sha256 instanceof Uint8Array) || !bytesEqual(h.payload_sha256, sha256(payload))) {
    throw new SealError("bad_signature", "the pull response body does not match the hash its signature covers.");
  }
  if (h.device_id !== routing.device_id || int(h.cursor ?? -1) !== int(routing.cursor ?? -2) || h.key_id !== routing.key_id) {
    throw new SealError("routing_mismatch", "the clear routing header of this pull response disagrees with the signed one.");
  }
  if (h.device_id !== a.deviceId) throw new SealError("routing_mismatch", "this pull response is for another device.");
  return payload;
}

/** sync.attachment: the sealed form of a file (signed header frame, then age) and its upload id. */
export async function sealAttachment(
  file: Uint8Array,
  a: { deviceId: string; sha256: Uint8Array; keyId: string; recipient: string; mediaType: string; signedAt: number; signingSeed: Uint8Array },
): Promise<{ sealed: Uint8Array; uploadId: Uint8Array }> {
  const header = encode({ device_id: a.deviceId, sha256: a.sha256, size: file.length, key_id: a.keyId, media_type: a.mediaType, signed_at: a.signedAt });
  const signature = ed25519.sign(concat(ATTACHMENT_DOMAIN, header), a.signingSeed);
  const head = concat(frame(ATTACHMENT_MAGIC, header), signature);
  return { sealed: concat(head, await ageEncrypt(file, a.recipient)), uploadId: sha256(head) };
}

/** One signed upload request: bytes offset…offset+length of the sealed attachment. */
export function sealChunk(
  data: Uint8Array,
  a: { deviceId: string; uploadId: Uint8Array; sha256: Uint8Array; offset: number; final: boolean; signedAt: number; signingSeed: Uint8Array },
): Uint8Array {
  const header = encode({
    device_id: a.deviceId,
    upload: a.uploadId,
    sha256: a.sha256,
    offset: a.offset,
    length: data.length,
    chunk_sha256: sha256(data),
    final: a.final,
    signed_at: a.signedAt,
  });
  const signature = ed25519.sign(concat(CHUNK_DOMAIN, header), a.signingSeed);
  return concat(frame(CHUNK_MAGIC, header), signature, data);
}

export interface UploadState {
  sha256: string;
  offset: number;
  receipt: Uint8Array;
}

export function uploadState(bytes: Uint8Array): UploadState {
  const m = map(bytes, "upload state");
  return { sha256: String(m.sha256 ?? ""), offset: int(m.offset ?? 0), receipt: m.receipt instanceof Uint8Array ? m.receipt : new Uint8Array() };
}

/** An attachment receipt that verifies and names this device, file and size. */
export function verifyAttachmentReceipt(bytes: Uint8Array, serverPublic: Uint8Array, want: { deviceId: string; sha256: string; size: number }): Obj {
  const env = envelope(bytes, "attachment receipt");
  try {
    verify(serverPublic, env.signature, concat(ATTACHMENT_RECEIPT_DOMAIN, env.body), "attachment receipt");
  } catch {
    throw new SealError("bad_receipt_signature", "the attachment receipt does not verify with this server's key; the file stays on this device.");
  }
  const r = map(env.body, "attachment receipt body");
  if (r.device_id !== want.deviceId || r.sha256 !== want.sha256 || int(r.size ?? -1) !== want.size || r.server_key_id !== env.keyId) {
    throw new SealError("malformed_receipt", "the attachment receipt is for another file or device; the file stays on this device.");
  }
  return r;
}

export { sha256 };
