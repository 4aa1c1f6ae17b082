/**
 * Device keys (sync/keys.py): an Ed25519 signing key (RFC 8032) and an age identity for
 * the pull responses sealed to the device, X25519 by default, mlkem768x25519 optional.
 *
 * Keys are made on the device. Where the platform's WebCrypto has Ed25519 and X25519
 * (current Chrome, Firefox, Safari and Node), private keys are **non-extractable**
 * `CryptoKey`s: script can use them (sign, derive) and store them in IndexedDB, but never
 * read their bytes. Elsewhere, and for mlkem768x25519 (no browser has ML-KEM in
 * WebCrypto), the private key is bytes in memory (`extractable: true`), via
 * `@noble/curves` and `age-encryption`. Verification always uses `@noble/curves` with
 * RFC 8032 / FIPS 186-5 strict rules (`zip215: false`, what OpenSSL behind Python's
 * `cryptography` does), so every browser accepts and refuses the same signatures.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from "age-encryption";
import { toHex } from "./msgpack.js";

const UTF8 = new TextEncoder();

/** First 16 hex digits of SHA-256 of a public key (raw bytes) or recipient text. */
export function keyId(publicKey: Uint8Array | string): string {
  const data = typeof publicKey === "string" ? UTF8.encode(publicKey) : publicKey;
  return toHex(sha256(data)).slice(0, 16);
}

/** An Ed25519 signing key; `cryptoKey` is set when it lives in WebCrypto. */
export interface SigningKey {
  /** The raw 32-byte public key (`signing_public`). */
  readonly publicKey: Uint8Array;
  readonly keyId: string;
  /** False when the private key is a non-extractable WebCrypto key. */
  readonly extractable: boolean;
  /** The WebCrypto private key (store it in IndexedDB as is), when there is one. */
  readonly cryptoKey: CryptoKey | null;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

function subtle(): SubtleCrypto | null {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  return c && c.subtle ? c.subtle : null;
}

function buf(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** A signing key from a 32-byte private seed (held in memory: extractable). */
export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== 32) throw new RangeError("an Ed25519 seed is 32 bytes");
  const secret = seed.slice();
  const publicKey = ed25519.getPublicKey(secret);
  return {
    publicKey,
    keyId: keyId(publicKey),
    extractable: true,
    cryptoKey: null,
    sign: (message) => Promise.resolve(ed25519.sign(message, secret)),
  };
}

/** A signing key restored from a stored WebCrypto private key and its raw public key. */
export function signingKeyFromCryptoKey(privateKey: CryptoKey, publicKey: Uint8Array): SigningKey {
  const s = subtle();
  if (!s) throw new Error("WebCrypto is not available here");
  return {
    publicKey: publicKey.slice(),
    keyId: keyId(publicKey),
    extractable: privateKey.extractable,
    cryptoKey: privateKey,
    sign: async (message) => new Uint8Array(await s.sign({ name: "Ed25519" }, privateKey, buf(message))),
  };
}

/**
 * A new signing key: a non-extractable WebCrypto Ed25519 key where the platform has one
 * (`webcrypto: false` forces the in-memory fallback), else a random seed in memory.
 */
export async function generateSigningKey(opts: { webcrypto?: boolean } = {}): Promise<SigningKey> {
  const s = subtle();
  if (s && opts.webcrypto !== false) {
    try {
      const pair = (await s.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
      const raw = new Uint8Array(await s.exportKey("raw", pair.publicKey));
      return signingKeyFromCryptoKey(pair.privateKey, raw);
    } catch {
      // No Ed25519 in this WebCrypto (older browsers): fall back to @noble/curves.
    }
  }
  return signingKeyFromSeed(randomBytes(32));
}

/**
 * Ed25519 verification with RFC 8032's strict rules (canonical S and R, no ZIP-215
 * leniency), the rules of the Python side. False for a key or signature of the wrong size.
 */
export function verifySignature(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** An age identity and its recipient; `identity` is a CryptoKey when non-extractable. */
export interface EncryptionIdentity {
  readonly identity: string | CryptoKey;
  readonly recipient: string;
  readonly extractable: boolean;
  readonly postQuantum: boolean;
}

/** An identity from its `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…` text or CryptoKey. */
export async function encryptionIdentity(identity: string | CryptoKey): Promise<EncryptionIdentity> {
  const recipient = await identityToRecipient(identity);
  return {
    identity,
    recipient,
    extractable: typeof identity === "string" || identity.extractable,
    postQuantum: recipient.startsWith("age1pq1"),
  };
}

/**
 * A new age identity for the device: X25519 as a non-extractable WebCrypto key where the
 * platform has X25519 (else its text in memory); `hybrid: true` makes an mlkem768x25519
 * identity, which is always text (no WebCrypto has ML-KEM).
 */
export async function generateEncryptionIdentity(
  opts: { hybrid?: boolean; webcrypto?: boolean } = {},
): Promise<EncryptionIdentity> {
  if (opts.hybrid) return encryptionIdentity(await generateHybridIdentity());
  const s = subtle();
  if (s && opts.webcrypto !== false) {
    try {
      const pair = (await s.generateKey({ name: "X25519" }, false, ["deriveBits"])) as CryptoKeyPair;
      return await encryptionIdentity(pair.privateKey);
    } catch {
      // No X25519 in this WebCrypto: the identity is kept as text.
    }
  }
  return encryptionIdentity(await generateX25519Identity());
}

/** A device's keys: what `enroll` sends the public halves of. */
export interface DeviceKeys {
  readonly signing: SigningKey;
  readonly encryption: EncryptionIdentity;
}

/** Make a device's keys (see {@link generateSigningKey}, {@link generateEncryptionIdentity}). */
export async function generateDeviceKeys(
  opts: { hybrid?: boolean; webcrypto?: boolean } = {},
): Promise<DeviceKeys> {
  return {
    signing: await generateSigningKey(opts),
    encryption: await generateEncryptionIdentity(opts),
  };
}
