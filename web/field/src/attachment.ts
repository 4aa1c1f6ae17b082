/**
 * Sealed attachments (sync/attachment.py, docs/protocol.md §8) over the core's keys and
 * age: the core has no attachment module yet, so the three frames live here. The device
 * signs with its `SigningKey` (a non-extractable CryptoKey where WebCrypto allows); the
 * file is encrypted to the server's batch recipient; the server's receipt is checked
 * with the core's strict Ed25519 verification before the file counts as delivered.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  type Obj,
  type SigningKey,
  type Value,
  ageEncrypt,
  decode,
  decodeUnverifiedReceipt,
  encode,
  isObj,
  verifySignature,
} from "../../core/src/index.js";

const text = new TextEncoder();
const ATTACHMENT_MAGIC = text.encode("CAIRN-SEALED-ATTACHMENT/1\n");
const ATTACHMENT_DOMAIN = text.encode("cairn-sealed-attachment/1\0");
const CHUNK_MAGIC = text.encode("CAIRN-ATTACHMENT-CHUNK/1\n");
const CHUNK_DOMAIN = text.encode("cairn-attachment-chunk/1\0");
const ATTACHMENT_RECEIPT_DOMAIN = text.encode("cairn-attachment-receipt/1\0");

/** A refusal of an attachment answer (the file stays on this device). */
export class AttachmentError extends Error {}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function frame(magic: Uint8Array, header: Uint8Array): Uint8Array {
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, header.length, false);
  return concat(magic, len, header);
}

function int(v: Value | undefined): number {
  return typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : NaN;
}

function map(bytes: Uint8Array, what: string): Obj {
  let v: Value;
  try {
    v = decode(bytes);
  } catch (e) {
    throw new AttachmentError(`${what} is not valid msgpack: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw new AttachmentError(`${what} is not a msgpack map.`);
  return v;
}

/** The sealed form of a file (signed header frame, then age) and its upload id. */
export async function sealAttachment(
  file: Uint8Array,
  a: { deviceId: string; sha256: Uint8Array; keyId: string; recipient: string; mediaType: string; signedAt: number; signing: SigningKey },
): Promise<{ sealed: Uint8Array; uploadId: Uint8Array }> {
  const header = encode({ device_id: a.deviceId, sha256: a.sha256, size: file.length, key_id: a.keyId, media_type: a.mediaType, signed_at: a.signedAt });
  const signature = await a.signing.sign(concat(ATTACHMENT_DOMAIN, header));
  const head = concat(frame(ATTACHMENT_MAGIC, header), signature);
  return { sealed: concat(head, await ageEncrypt(file, [a.recipient])), uploadId: sha256(head) };
}

/** One signed upload request: `data` is bytes offset…offset+length of the sealed file. */
export async function sealChunk(
  data: Uint8Array,
  a: { deviceId: string; uploadId: Uint8Array; sha256: Uint8Array; offset: number; final: boolean; signedAt: number; signing: SigningKey },
): Promise<Uint8Array> {
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
  const signature = await a.signing.sign(concat(CHUNK_DOMAIN, header));
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
  let env: { receipt: Uint8Array; key_id: string; signature: Uint8Array };
  try {
    env = decodeUnverifiedReceipt(bytes);
  } catch (e) {
    throw new AttachmentError((e as Error).message);
  }
  if (!verifySignature(serverPublic, env.signature, concat(ATTACHMENT_RECEIPT_DOMAIN, env.receipt))) {
    throw new AttachmentError("the attachment receipt does not verify with this server's key; the file stays on this device.");
  }
  const r = map(env.receipt, "attachment receipt body");
  if (r.device_id !== want.deviceId || r.sha256 !== want.sha256 || int(r.size ?? -1) !== want.size || r.server_key_id !== env.key_id) {
    throw new AttachmentError("the attachment receipt is for another file or device; the file stays on this device.");
  }
  return r;
}

export { sha256 };
