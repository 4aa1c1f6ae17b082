/**
 * Signed receipts (sync/receipt.py, docs/protocol.md §4): the server's proof that it
 * durably stored a batch. The envelope holds the receipt's exact msgpack bytes, the key
 * id and an Ed25519 signature over `cairn-receipt/1\0 || bytes`; the signature is checked
 * over the bytes as received, and only then are they decoded. A device may drop its copy
 * of a batch only once it holds a receipt that verifies, names its batch and device, and
 * whose `sealed_sha256` is the SHA-256 of the bytes it sent ({@link checkReceiptFor}).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { BadReceiptSignature, MalformedReceipt } from "./errors.js";
import { verifySignature } from "./keys.js";
import { decode, toHex, type Value } from "./msgpack.js";
import { asMap, bin, bool, dotOf, int, intOf, list, str, type Int } from "./shape.js";

export const RECEIPT_DOMAIN = new TextEncoder().encode("cairn-receipt/1\x00");

/** One op of the batch the server refused (`kept`: stored as evidence, refused by the rules). */
export interface RefusedOp {
  readonly index: Int;
  readonly reason: string;
  readonly code: string;
  readonly dot: readonly [string, Int] | null;
  readonly kept: boolean;
}

export interface Receipt {
  readonly batch_id: string;
  readonly device_id: string;
  readonly seq: Int;
  readonly sealed_sha256: string;
  readonly received_at: Int;
  readonly audit_head: string;
  readonly missing_seqs: Int[];
  readonly refused: RefusedOp[];
  readonly accepted_ops: Int;
  readonly server_key_id: string;
  readonly audit_seq: Int;
}

export interface SignedReceipt {
  readonly receipt: Uint8Array;
  readonly key_id: string;
  readonly signature: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decode the envelope without verifying (e.g. to pick the key by `key_id`). */
export function decodeUnverifiedReceipt(bytes: Uint8Array): SignedReceipt {
  try {
    const m = asMap(decode(bytes), "receipt envelope");
    return { receipt: bin(m, "receipt"), key_id: str(m, "key_id"), signature: bin(m, "signature") };
  } catch (e) {
    throw new MalformedReceipt(`receipt is not a valid msgpack envelope: ${why(e)}`);
  }
}

function readRefused(v: Value, i: number): RefusedOp {
  const m = asMap(v, `refused[${i}]`);
  const dot = Object.prototype.hasOwnProperty.call(m, "dot") && m["dot"] !== null ? dotOf(m["dot"]!, "dot") : null;
  return { index: int(m, "index"), reason: str(m, "reason"), code: str(m, "code", ""), dot, kept: bool(m, "kept", false) };
}

function readReceipt(v: Value): Receipt {
  const m = asMap(v, "receipt");
  return {
    batch_id: str(m, "batch_id"),
    device_id: str(m, "device_id"),
    seq: int(m, "seq"),
    sealed_sha256: str(m, "sealed_sha256"),
    received_at: int(m, "received_at"),
    audit_head: str(m, "audit_head"),
    missing_seqs: list(m, "missing_seqs", []).map((x, i) => intOf(x, `missing_seqs[${i}]`)),
    refused: list(m, "refused", []).map(readRefused),
    accepted_ops: int(m, "accepted_ops", 0),
    server_key_id: str(m, "server_key_id", ""),
    audit_seq: int(m, "audit_seq", 0),
  };
}

/** Verify the server's signature and return the receipt; ReceiptError otherwise. */
export function verifyReceipt(bytes: Uint8Array, serverPublic: Uint8Array): Receipt {
  const envelope = decodeUnverifiedReceipt(bytes);
  if (!verifySignature(serverPublic, envelope.signature, concat(RECEIPT_DOMAIN, envelope.receipt))) {
    throw new BadReceiptSignature(
      "the receipt's signature does not verify with this server's key; keep the batch and push it again (the receipt was altered or is from another server).",
    );
  }
  let receipt: Receipt;
  try {
    receipt = readReceipt(decode(envelope.receipt));
  } catch (e) {
    throw new MalformedReceipt(`signed receipt body is not a valid receipt: ${why(e)}`);
  }
  if (receipt.server_key_id !== envelope.key_id) {
    throw new BadReceiptSignature("the receipt names a different key id than its envelope.");
  }
  return receipt;
}

/**
 * True when a verified receipt is for this batch: its id, this device, and the SHA-256 of
 * the very sealed bytes sent (sync/client.py `_verify_receipt`).
 */
export function checkReceiptFor(receipt: Receipt, batchId: string, deviceId: string, sealed: Uint8Array): boolean {
  return receipt.batch_id === batchId && receipt.device_id === deviceId && receipt.sealed_sha256 === toHex(sha256(sealed));
}
