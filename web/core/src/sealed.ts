/**
 * Sealed batches and sealed pull responses (sync/sealed.py, docs/protocol.md §3 and §5):
 * sign with Ed25519, then encrypt with age.
 *
 * The signer signs `DOMAIN || header`, where `header` is the exact msgpack bytes of the
 * routing fields plus SHA-256 and length of the body; the signed blob `MAGIC || u32 len
 * || header || signature(64) || body` is encrypted as one age file to the recipient, after
 * a clear, unauthenticated routing header. Headers are written as msgspec writes the
 * Python Structs (a map in declared field order, every field), so a TypeScript device's
 * bytes are the Python device's bytes up to the randomness of age. Verifiers check the
 * signature over the bytes as received, then decode; nothing is returned before the whole
 * age payload authenticated and the signature verified.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ageDecrypt, ageEncrypt, type AgeIdentity } from "./age.js";
import {
  BadSignature,
  MalformedEnvelope,
  NoMatchingIdentity,
  NotForUs,
  RevokedSigner,
  RoutingMismatch,
  UnknownSigner,
  UnsupportedEnvelopeVersion,
} from "./errors.js";
import { type SigningKey, verifySignature } from "./keys.js";
import { bytesEqual, decode, encode, Ordered, toHex, type Value } from "./msgpack.js";
import { asMap, bin, int, str, type Int } from "./shape.js";

const ASCII = new TextEncoder();
export const BATCH_MAGIC = ASCII.encode("CAIRN-SEALED-BATCH/1\n");
export const BATCH_SIGNED_MAGIC = ASCII.encode("CAIRN-SIGNED-BATCH/1\n");
export const BATCH_DOMAIN = ASCII.encode("cairn-sealed-batch/1\x00");
export const PULL_MAGIC = ASCII.encode("CAIRN-SEALED-PULL/1\n");
export const PULL_SIGNED_MAGIC = ASCII.encode("CAIRN-SIGNED-PULL/1\n");
export const PULL_DOMAIN = ASCII.encode("cairn-sealed-pull/1\x00");
export const MAX_HEADER = 4096;
export const SIGNATURE_SIZE = 64;

/** The clear routing header of a sealed batch (unauthenticated until opened). */
export interface Routing {
  readonly device_id: string;
  readonly batch_id: string;
  readonly seq: Int;
  readonly key_id: string;
}

/** The signed header inside a batch. */
export interface BatchHeader extends Routing {
  readonly body_sha256: Uint8Array;
  readonly body_length: Int;
  readonly signed_at: Int;
}

export interface SignedBatch {
  readonly header: BatchHeader;
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OpenedBatch {
  readonly routing: Routing;
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
  readonly signed_at: Int;
  readonly sealed_sha256: string;
  /** The self-verifiable signed blob (the age plaintext). */
  readonly signed: Uint8Array;
}

/** What a verifier knows of a device's signing key. */
export interface SignerInfo {
  readonly device_id: string;
  readonly public_key: Uint8Array;
  readonly revoked?: boolean;
}

export interface PullRouting {
  readonly device_id: string;
  readonly cursor: Int;
  readonly key_id: string;
}

export interface PullHeader extends PullRouting {
  readonly payload_sha256: Uint8Array;
  readonly payload_length: Int;
  readonly signed_at: Int;
}

export interface OpenedPull {
  readonly header: PullHeader;
  readonly payload: Uint8Array;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function frame(magic: Uint8Array, header: Uint8Array): Uint8Array {
  return concat(magic, u32(header.length), header);
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  return data.length >= prefix.length && bytesEqual(data.subarray(0, prefix.length), prefix);
}

/** (header bytes, offset after them); checks magic, version and length (sealed.py _unframe). */
function unframe(data: Uint8Array, magic: Uint8Array, what: string): [Uint8Array, number] {
  if (!startsWith(data, magic)) {
    const family = magic.subarray(0, magic.indexOf(0x2f) + 1);
    if (startsWith(data, family)) {
      throw new UnsupportedEnvelopeVersion(`${what} uses a format version this software does not know; update Cairn on this side.`);
    }
    throw new MalformedEnvelope(`not a Cairn ${what}: the magic line is missing.`);
  }
  const start = magic.length + 4;
  if (data.length < start) throw new MalformedEnvelope(`${what} is cut off inside its header length.`);
  const length = new DataView(data.buffer, data.byteOffset + magic.length, 4).getUint32(0);
  if (length > MAX_HEADER || data.length < start + length) {
    throw new MalformedEnvelope(`${what} header length is invalid or the data is cut off.`);
  }
  return [data.subarray(start, start + length), start + length];
}

function decodeAs<T>(raw: Uint8Array, what: string, read: (v: Value) => T): T {
  try {
    return read(decode(raw));
  } catch (e) {
    throw new MalformedEnvelope(`${what} is not valid msgpack of the expected shape: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readRouting(v: Value): Routing {
  const m = asMap(v, "routing");
  return { device_id: str(m, "device_id"), batch_id: str(m, "batch_id"), seq: int(m, "seq"), key_id: str(m, "key_id") };
}

function readBatchHeader(v: Value): BatchHeader {
  const m = asMap(v, "header");
  return {
    device_id: str(m, "device_id"),
    batch_id: str(m, "batch_id"),
    seq: int(m, "seq"),
    key_id: str(m, "key_id"),
    body_sha256: bin(m, "body_sha256"),
    body_length: int(m, "body_length"),
    signed_at: int(m, "signed_at", 0),
  };
}

function readPullRouting(v: Value): PullRouting {
  const m = asMap(v, "routing");
  return { device_id: str(m, "device_id"), cursor: int(m, "cursor"), key_id: str(m, "key_id") };
}

function readPullHeader(v: Value): PullHeader {
  const m = asMap(v, "header");
  return {
    device_id: str(m, "device_id"),
    cursor: int(m, "cursor"),
    key_id: str(m, "key_id"),
    payload_sha256: bin(m, "payload_sha256"),
    payload_length: int(m, "payload_length"),
    signed_at: int(m, "signed_at", 0),
  };
}

function splitSigned(blob: Uint8Array, magic: Uint8Array, what: string): [Uint8Array, Uint8Array, Uint8Array] {
  const [header, offset] = unframe(blob, magic, what);
  if (blob.length < offset + SIGNATURE_SIZE) throw new MalformedEnvelope(`${what} is cut off inside its signature.`);
  return [header, blob.subarray(offset, offset + SIGNATURE_SIZE), blob.subarray(offset + SIGNATURE_SIZE)];
}

function verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array, what: string): void {
  if (!verifySignature(publicKey, signature, message)) {
    throw new BadSignature(
      `the ${what} signature does not verify with the signer's public key: it was altered or signed by another key. Do not use its contents.`,
    );
  }
}

function checkBody(digest: Uint8Array, length: Int, body: Uint8Array, what: string): void {
  if (BigInt(length) !== BigInt(body.length) || !bytesEqual(sha256(body), digest)) {
    throw new BadSignature(`the ${what} body does not match the hash its signature covers.`);
  }
}

async function decrypt(file: Uint8Array, identities: readonly AgeIdentity[], what: string): Promise<Uint8Array> {
  try {
    return await ageDecrypt(file, identities, { armored: false });
  } catch (e) {
    if (e instanceof NoMatchingIdentity) {
      throw new NotForUs(
        `this ${what} is not encrypted to any key held here; check the key id, or re-enroll the device to fetch the current server keys.`,
      );
    }
    throw e;
  }
}

function nowMs(): number {
  return Date.now();
}

function batchHeaderValue(h: BatchHeader): Ordered {
  return new Ordered([
    ["device_id", h.device_id],
    ["batch_id", h.batch_id],
    ["seq", h.seq],
    ["key_id", h.key_id],
    ["body_sha256", h.body_sha256],
    ["body_length", h.body_length],
    ["signed_at", h.signed_at],
  ]);
}

function routingValue(r: Routing): Ordered {
  return new Ordered([
    ["device_id", r.device_id],
    ["batch_id", r.batch_id],
    ["seq", r.seq],
    ["key_id", r.key_id],
  ]);
}

export interface SealBatchOptions {
  readonly deviceId: string;
  readonly batchId: string;
  readonly seq: Int;
  readonly signingKey: SigningKey;
  /** The server batch recipient (`age1pq1…` by default, or `age1…`). */
  readonly serverRecipient: string;
  readonly serverKeyId: string;
  readonly signedAt?: Int;
}

/** The signed inner blob of a batch (what age encrypts), deterministic for a given key. */
export async function signBatch(body: Uint8Array, o: SealBatchOptions): Promise<Uint8Array> {
  const header: BatchHeader = {
    device_id: o.deviceId,
    batch_id: o.batchId,
    seq: o.seq,
    key_id: o.serverKeyId,
    body_sha256: sha256(body),
    body_length: body.length,
    signed_at: o.signedAt ?? nowMs(),
  };
  const raw = encode(batchHeaderValue(header));
  const signature = await o.signingKey.sign(concat(BATCH_DOMAIN, raw));
  return concat(frame(BATCH_SIGNED_MAGIC, raw), signature, body);
}

/** Sign `body` (a msgpack array of ops) with its routing fields, encrypt to the server, frame it. */
export async function sealBatch(body: Uint8Array, o: SealBatchOptions): Promise<Uint8Array> {
  const signed = await signBatch(body, o);
  const ageFile = await ageEncrypt(signed, [o.serverRecipient]);
  const routing = encode(routingValue({ device_id: o.deviceId, batch_id: o.batchId, seq: o.seq, key_id: o.serverKeyId }));
  return concat(frame(BATCH_MAGIC, routing), ageFile);
}

/** The clear routing header: unauthenticated, for bookkeeping only. */
export function peekRouting(sealed: Uint8Array): Routing {
  const [raw] = unframe(sealed, BATCH_MAGIC, "sealed batch");
  return decodeAs(raw, "sealed batch routing header", readRouting);
}

/** Verify a decrypted signed batch blob with only the device's public key. */
export function verifyBatchSignature(signed: Uint8Array, devicePublic: Uint8Array): SignedBatch {
  const [raw, signature, body] = splitSigned(signed, BATCH_SIGNED_MAGIC, "signed batch");
  verify(devicePublic, signature, concat(BATCH_DOMAIN, raw), "batch");
  const header = decodeAs(raw, "signed batch header", readBatchHeader);
  checkBody(header.body_sha256, header.body_length, body, "batch");
  return { header, body, signature };
}

/** Decrypt a sealed batch to its signed blob, trying the key its routing names first. */
export async function extractSignedBatch(sealed: Uint8Array, identities: ReadonlyMap<string, AgeIdentity>): Promise<Uint8Array> {
  const routing = peekRouting(sealed);
  const [, offset] = unframe(sealed, BATCH_MAGIC, "sealed batch");
  const named = identities.get(routing.key_id);
  const ordered = [...(named !== undefined ? [named] : []), ...[...identities].filter(([k]) => k !== routing.key_id).map(([, i]) => i)];
  return decrypt(sealed.subarray(offset), ordered, "batch");
}

function sameRouting(a: Routing, b: Routing): boolean {
  return a.device_id === b.device_id && a.batch_id === b.batch_id && BigInt(a.seq) === BigInt(b.seq) && a.key_id === b.key_id;
}

/**
 * Decrypt, verify and cross-check a sealed batch as the server does (open_batch): the
 * checks and their error codes in the order of docs/protocol.md §3.
 */
export async function openBatch(
  sealed: Uint8Array,
  identities: ReadonlyMap<string, AgeIdentity>,
  signerLookup: (deviceId: string) => SignerInfo | null | undefined,
): Promise<OpenedBatch> {
  const routing = peekRouting(sealed);
  const signed = await extractSignedBatch(sealed, identities);
  const [raw] = splitSigned(signed, BATCH_SIGNED_MAGIC, "signed batch");
  const claimed = decodeAs(raw, "signed batch header", readBatchHeader);
  const signer = signerLookup(claimed.device_id);
  if (!signer) throw new UnknownSigner(`device ${JSON.stringify(claimed.device_id)} is not enrolled here; enroll it with a one-time code.`);
  const verified = verifyBatchSignature(signed, signer.public_key);
  if (signer.revoked) {
    throw new RevokedSigner(`device ${JSON.stringify(claimed.device_id)} was revoked; its batches are refused. Ask an administrator to review the device.`);
  }
  if (!sameRouting(verified.header, routing)) {
    throw new RoutingMismatch(
      "the clear routing header of this batch disagrees with the signed one; it was altered in transit. Resend the original batch.",
    );
  }
  return {
    routing,
    body: verified.body,
    signature: verified.signature,
    signed_at: verified.header.signed_at,
    sealed_sha256: toHex(sha256(sealed)),
    signed,
  };
}

export interface SealPullOptions {
  readonly deviceId: string;
  readonly cursor: Int;
  readonly deviceRecipient: string;
  readonly serverSigningKey: SigningKey;
  readonly serverKeyId: string;
  readonly signedAt?: Int;
}

/** Sign a pull payload with the server key and encrypt it to the device (for tests and tools). */
export async function sealPull(payload: Uint8Array, o: SealPullOptions): Promise<Uint8Array> {
  const raw = encode(
    new Ordered([
      ["device_id", o.deviceId],
      ["cursor", o.cursor],
      ["key_id", o.serverKeyId],
      ["payload_sha256", sha256(payload)],
      ["payload_length", payload.length],
      ["signed_at", o.signedAt ?? nowMs()],
    ]),
  );
  const signature = await o.serverSigningKey.sign(concat(PULL_DOMAIN, raw));
  const signed = concat(frame(PULL_SIGNED_MAGIC, raw), signature, payload);
  const routing = encode(new Ordered([["device_id", o.deviceId], ["cursor", o.cursor], ["key_id", o.serverKeyId]]));
  return concat(frame(PULL_MAGIC, routing), await ageEncrypt(signed, [o.deviceRecipient]));
}

/**
 * Decrypt a sealed pull response and verify the server's signature over it (open_pull):
 * the payload is returned only when the signature, its hash and length, the routing and
 * (when given) the device id all hold.
 */
export async function openPull(
  sealed: Uint8Array,
  o: { identities: readonly AgeIdentity[]; serverPublic: Uint8Array; deviceId?: string },
): Promise<OpenedPull> {
  const [rawRouting, offset] = unframe(sealed, PULL_MAGIC, "sealed pull response");
  const routing = decodeAs(rawRouting, "pull response routing header", readPullRouting);
  const signed = await decrypt(sealed.subarray(offset), o.identities, "pull response");
  const [raw, signature, payload] = splitSigned(signed, PULL_SIGNED_MAGIC, "signed pull");
  verify(o.serverPublic, signature, concat(PULL_DOMAIN, raw), "pull response");
  const header = decodeAs(raw, "signed pull header", readPullHeader);
  checkBody(header.payload_sha256, header.payload_length, payload, "pull response");
  const same =
    header.device_id === routing.device_id && BigInt(header.cursor) === BigInt(routing.cursor) && header.key_id === routing.key_id;
  if (!same || (o.deviceId !== undefined && header.device_id !== o.deviceId)) {
    throw new RoutingMismatch(
      "this pull response's routing disagrees with its signed header or is for another device; discard it and pull again.",
    );
  }
  return { header, payload };
}
