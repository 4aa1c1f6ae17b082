/**
 * age v1 (age-encryption.org/v1) as Cairn uses it (docs/protocol.md §2), on
 * `age-encryption` (typage, the reference JavaScript age).
 *
 * Encryption is typage's `Encrypter` with X25519 (`age1…`) or mlkem768x25519 (`age1pq1…`)
 * recipients. Decryption uses typage for what it does well (unwrapping the file key from
 * the stanzas with X25519, mlkem768x25519 or a WebCrypto `CryptoKey`, and the header MAC:
 * `Decrypter.decryptHeader`), and does two pieces here that typage does not offer:
 *
 * - a strict header parse first (the rules of sync/age/header.py: LF only, canonical
 *   unpadded base64, printable non-empty arguments, 64-column body lines, bounded lines),
 *   so a damaged header is `malformed_header` / `unsupported_age_version` before any key
 *   is tried;
 * - the STREAM payload (@noble/ciphers ChaCha20-Poly1305, @noble/hashes HKDF), because
 *   typage's stream reports every failure alike, while Cairn's codes tell a cut-off file
 *   (`truncated_payload`: fewer than 16 bytes where a chunk belongs) from an altered one
 *   (`tampered_payload`: a chunk fails, an empty final chunk, data after the final chunk),
 *   exactly as sync/age/stream.py does. Nothing is returned before every chunk verified.
 *
 * Every failure throws the sync/errors.py class of the Python side (src/errors.ts).
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Decrypter, Encrypter, armor, type Identity as TypageIdentity } from "age-encryption";
import {
  AgeError,
  ArmorError,
  HeaderMacMismatch,
  IncompatibleRecipients,
  InvalidKeyText,
  MalformedHeader,
  NoMatchingIdentity,
  TamperedPayload,
  TruncatedPayload,
  UnsupportedRecipient,
  UnsupportedVersion,
} from "./errors.js";

/** An identity to decrypt with: age identity text, an X25519 CryptoKey, or a typage Identity. */
export type AgeIdentity = string | CryptoKey | TypageIdentity;

export const CHUNK_SIZE = 64 * 1024;
const TAG_SIZE = 16;
const ENC_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const NONCE_SIZE = 16;
const COLUMNS = 64;
const MAX_LINE = 8192;
const MAX_STANZAS = 1024;
const VERSION_LINE = "age-encryption.org/v1";
const ASCII = new TextDecoder("latin1");
const PAYLOAD = new TextEncoder().encode("payload");

export interface AgeStanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

export interface AgeHeader {
  readonly stanzas: readonly AgeStanza[];
  readonly mac: Uint8Array;
  /** Bytes of the whole header, version line to the MAC line's newline. */
  readonly length: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Canonical unpadded standard base64 (what age writes), else MalformedHeader. */
function b64decode(text: Uint8Array, what: string): Uint8Array {
  const n = text.length;
  if (n % 4 === 1) throw new MalformedHeader(`${what}: invalid base64.`);
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (c === 0x3d || c === 0x0d || c === 0x0a) throw new MalformedHeader(`${what}: base64 must be unpadded, on one line.`);
    const v = B64_INDEX[c]!;
    if (v < 0) throw new MalformedHeader(`${what}: invalid base64.`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new MalformedHeader(`${what}: base64 is not canonical.`);
  return out;
}

class Lines {
  pos = 0;
  constructor(readonly data: Uint8Array) {}

  /** The next line without its LF (Python's _read_line). */
  next(first = false): Uint8Array {
    const d = this.data;
    const limit = Math.min(d.length, this.pos + MAX_LINE);
    let i = this.pos;
    while (i < limit && d[i] !== 0x0a) i++;
    if (i === limit) {
      if (limit === d.length && d.length - this.pos <= MAX_LINE) {
        const empty = this.pos === d.length;
        throw new MalformedHeader(
          first && empty
            ? "age file is empty or not an age file; check the whole file was transferred."
            : "age header is cut off; check the whole file was transferred.",
        );
      }
      throw new MalformedHeader("age header line is too long; the file is damaged.");
    }
    const line = d.subarray(this.pos, i);
    this.pos = i + 1;
    return line;
  }
}

function startsWith(a: Uint8Array, prefix: string): boolean {
  if (a.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function validArg(a: Uint8Array): boolean {
  if (a.length === 0) return false;
  for (const c of a) if (c < 0x21 || c > 0x7e) return false;
  return true;
}

function split(line: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || line[i] === 0x20) {
      out.push(line.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** Parse an age header strictly (sync/age/header.py); where the payload starts is `length`. */
export function parseAgeHeader(file: Uint8Array): AgeHeader {
  const src = new Lines(file);
  const version = src.next(true);
  if (ASCII.decode(version) !== VERSION_LINE) {
    if (startsWith(version, "age-encryption.org/")) {
      throw new UnsupportedVersion("unsupported age version; upgrade to a newer Cairn.");
    }
    throw new MalformedHeader("not an age v1 file: the first line is not 'age-encryption.org/v1'.");
  }
  const stanzas: AgeStanza[] = [];
  let line = src.next();
  while (startsWith(line, "-> ")) {
    if (stanzas.length >= MAX_STANZAS) throw new MalformedHeader("age header has too many recipient stanzas.");
    const words = split(line.subarray(3));
    if (!words.every(validArg)) throw new MalformedHeader("age stanza has an empty or non-printable argument.");
    const bodyLines: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const b = src.next();
      if (b.length > COLUMNS) throw new MalformedHeader("age stanza body line is longer than 64 columns.");
      bodyLines.push(b);
      size += b.length;
      if (b.length < COLUMNS) break;
    }
    const text = new Uint8Array(size);
    let o = 0;
    for (const b of bodyLines) {
      text.set(b, o);
      o += b.length;
    }
    stanzas.push({
      type: ASCII.decode(words[0]!),
      args: words.slice(1).map((w) => ASCII.decode(w)),
      body: size ? b64decode(text, "age stanza body") : new Uint8Array(0),
    });
    line = src.next();
  }
  if (!startsWith(line, "--- ")) {
    throw new MalformedHeader("age header has a malformed line where a stanza or MAC belongs.");
  }
  const mac = b64decode(line.subarray(4), "age header MAC");
  if (mac.length !== 32) throw new MalformedHeader("age header MAC has the wrong length.");
  return { stanzas, mac, length: src.pos };
}

function isPostQuantum(recipient: string): boolean {
  return recipient.trim().toLowerCase().startsWith("age1pq1");
}

/** Check an `age1…` / `age1pq1…` recipient text (InvalidKeyText, UnsupportedRecipient). */
export function checkRecipient(recipient: string): void {
  const lower = recipient.trim().toLowerCase();
  if (!lower.startsWith("age1")) {
    throw new UnsupportedRecipient("unsupported recipient: expected age1… or age1pq1…; SSH and plugin recipients are not offered.");
  }
  try {
    new Encrypter().addRecipient(recipient.trim());
  } catch {
    throw new InvalidKeyText(isPostQuantum(recipient) ? "not an age mlkem768x25519 recipient (age1pq1…)." : "not an age X25519 recipient; expected 'age1' + 58 characters.");
  }
}

const encrypters = new Map<string, Encrypter>();

/**
 * Encrypt `plaintext` as one binary age file to `recipients` (all post-quantum or all
 * classic, as in age 1.3).
 */
export async function ageEncrypt(plaintext: Uint8Array, recipients: readonly string[]): Promise<Uint8Array> {
  if (recipients.length === 0) throw new IncompatibleRecipients("age needs at least one recipient to encrypt to.");
  if (new Set(recipients.map(isPostQuantum)).size > 1) {
    throw new IncompatibleRecipients(
      "post-quantum (age1pq1…) and classic X25519 (age1…) recipients cannot share one file, as in age 1.3; encrypt separately or use only post-quantum keys.",
    );
  }
  // Parsing a 1,950-character post-quantum recipient costs more than sealing a batch.
  const cacheKey = recipients.join("\n");
  let enc = encrypters.get(cacheKey);
  if (enc === undefined) {
    for (const r of recipients) checkRecipient(r);
    enc = new Encrypter();
    for (const r of recipients) enc.addRecipient(r.trim());
    if (encrypters.size >= 64) encrypters.clear();
    encrypters.set(cacheKey, enc);
  }
  return enc.encrypt(plaintext);
}

/** A sentinel typage calls only when no identity before it matched a stanza. */
const NO_MATCH: TypageIdentity = {
  unwrapFileKey(): Uint8Array {
    throw new NoMatchingIdentity(
      "this age file is not encrypted to any identity given; check you are using the right key (a rotated-out key may be needed).",
    );
  },
};

function decrypterFor(identities: readonly AgeIdentity[]): Decrypter {
  const d = new Decrypter();
  for (const identity of identities) {
    try {
      d.addIdentity(identity);
    } catch {
      throw new InvalidKeyText("not an age identity (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…).");
    }
  }
  d.addIdentity(NO_MATCH);
  return d;
}

/** The file key from a parsed header (typage unwraps it and checks the MAC). */
async function fileKeyOf(file: Uint8Array, header: AgeHeader, identities: readonly AgeIdentity[]): Promise<Uint8Array> {
  try {
    return await decrypterFor(identities).decryptHeader(file.subarray(0, header.length));
  } catch (e) {
    if (e instanceof AgeError) throw e;
    if (e instanceof Error && e.message === "invalid header HMAC") {
      throw new HeaderMacMismatch(
        "The age header MAC does not verify: the header was altered after encryption. Do not trust this file; ask the sender to send it again.",
      );
    }
    // typage throws for a stanza that is its identity's type but malformed (a share of
    // the wrong size, a low-order point, a body that is not 32 bytes).
    throw new MalformedHeader(`age recipient stanza is malformed (${e instanceof Error ? e.message : String(e)}).`);
  }
}

function chunkNonce(counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    n[i] = c % 256;
    c = Math.floor(c / 256);
  }
  n[11] = last ? 1 : 0;
  return n;
}

function open(key: Uint8Array, counter: number, last: boolean, chunk: Uint8Array): Uint8Array | null {
  try {
    return chacha20poly1305(key, chunkNonce(counter, last)).decrypt(chunk);
  } catch {
    return null;
  }
}

/** The STREAM payload after the header (sync/age/stream.py's rules and error classes). */
function decryptPayload(payload: Uint8Array, fileKey: Uint8Array): Uint8Array {
  if (payload.length < NONCE_SIZE) throw new MalformedHeader("age payload nonce is missing or short; the file is cut off.");
  const key = hkdf(sha256, fileKey, payload.subarray(0, NONCE_SIZE), PAYLOAD, 32);
  const parts: Uint8Array[] = [];
  let total = 0;
  let pos = NONCE_SIZE;
  for (let counter = 0; ; counter++) {
    const chunk = payload.subarray(pos, pos + ENC_CHUNK_SIZE);
    pos += chunk.length;
    if (chunk.length < TAG_SIZE) {
      throw new TruncatedPayload(
        "age payload ends before its final chunk: the file is truncated. Ask for the file again.",
      );
    }
    let last = chunk.length < ENC_CHUNK_SIZE;
    let plain = open(key, counter, last, chunk);
    if (plain === null && !last) {
      last = true; // a full-size chunk may be the final one
      plain = open(key, counter, true, chunk);
    }
    if (plain === null) {
      throw new TamperedPayload(`age payload chunk ${counter} fails authentication: the data was altered or cut off.`);
    }
    if (last && plain.length === 0 && counter > 0) {
      throw new TamperedPayload("age payload's final chunk is empty, which age forbids.");
    }
    parts.push(plain);
    total += plain.length;
    if (last) {
      if (pos !== payload.length) throw new TamperedPayload("data follows the final age payload chunk; the file was altered.");
      break;
    }
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function isArmored(file: Uint8Array): boolean {
  let i = 0;
  while (i < file.length && i < 1100 && (file[i] === 0x20 || file[i] === 0x09 || file[i] === 0x0d || file[i] === 0x0a)) i++;
  return startsWith(file.subarray(i), "-----BEGIN");
}

/** The binary age file inside ASCII armor (typage's strict decoder), else ArmorError. */
export function dearmor(text: Uint8Array | string): Uint8Array {
  try {
    const s = typeof text === "string" ? text : new TextDecoder("utf-8", { fatal: true }).decode(text);
    return armor.decode(s);
  } catch (e) {
    throw new ArmorError(`invalid ASCII armor (${e instanceof Error ? e.message : String(e)}).`);
  }
}

/**
 * Decrypt a whole age file; nothing is returned unless every byte authenticated.
 * `armored`: true, false, or undefined to detect armor by the first bytes.
 */
export async function ageDecrypt(
  file: Uint8Array,
  identities: readonly AgeIdentity[],
  opts: { armored?: boolean } = {},
): Promise<Uint8Array> {
  const armored = opts.armored ?? isArmored(file);
  const binary = armored ? dearmor(file) : file;
  const header = parseAgeHeader(binary);
  const fileKey = await fileKeyOf(binary, header, identities);
  return decryptPayload(binary.subarray(header.length), fileKey);
}
