/**
 * The device's keys in IndexedDB (meta entry `device_keys`), made and used through the
 * core (web/core/src/keys.ts).
 *
 * Where the browser's WebCrypto has Ed25519 and X25519 (Chromium 137+, Firefox 129+,
 * Safari 17+), both private keys are **non-extractable** `CryptoKey`s, stored as
 * `CryptoKey` objects: IndexedDB keeps them by structured clone, which keeps them
 * non-extractable, so script (ours or an attacker's) can sign and decrypt with them while
 * the page is open but can never read their bytes. Elsewhere the core's fallback keeps
 * them as bytes (the Ed25519 seed, the age identity text) and `extractable` says so.
 *
 * Device homes made before (the app's first sealing adapter) hold the raw seed
 * (`signing_seed`) and age identity text (`age_identity`). On open they are imported into
 * WebCrypto as non-extractable keys, checked against the enrolled public halves (a test
 * signature, the same age recipient), and the raw entries are deleted in the same durable
 * transaction that stores the new ones. Where WebCrypto cannot import them, they are
 * kept and read as they are.
 */

import {
  type DeviceKeys,
  type EncryptionIdentity,
  type SigningKey,
  bytesEqual,
  encryptionIdentity,
  generateDeviceKeys,
  signingKeyFromCryptoKey,
  signingKeyFromSeed,
  verifySignature,
} from "../../core/src/index.js";
import { Db } from "./db.js";

/** What `device_keys` holds (structured clone: CryptoKeys stay CryptoKeys). */
export interface StoredKeys {
  version: 2;
  /** The Ed25519 private key: a non-extractable CryptoKey, or (fallback) its 32-byte seed. */
  signing: CryptoKey | Uint8Array;
  signing_public: Uint8Array;
  /** The age identity: a non-extractable X25519 CryptoKey, or (fallback) its text. */
  age: CryptoKey | string;
  age_recipient: string;
  /** Set when the keys were imported from a home of the first adapter. */
  migrated_ms?: number;
}

export const KEYS = "device_keys";
const LEGACY = ["signing_seed", "age_identity"] as const;

// PKCS #8 prefixes of a 32-byte Ed25519 / X25519 private key (RFC 8410).
const ED25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const X25519_PKCS8 = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

function pkcs8(prefix: Uint8Array, key: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix);
  out.set(key, prefix.length);
  return out.buffer;
}

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function polymod(values: number[]): number {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i]!;
  }
  return chk >>> 0;
}

/** The 32-byte X25519 scalar of an `AGE-SECRET-KEY-1…` text (bech32, checksum checked). */
export function x25519Scalar(identity: string): Uint8Array {
  const text = identity.trim().toLowerCase();
  const sep = text.lastIndexOf("1");
  const hrp = text.slice(0, sep);
  if (hrp !== "age-secret-key-") throw new Error("not an X25519 age identity");
  const data = [...text.slice(sep + 1)].map((c) => BECH32.indexOf(c));
  if (data.length < 7 || data.some((d) => d < 0)) throw new Error("not bech32");
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  if (polymod([...expanded, ...data]) !== 1) throw new Error("bad bech32 checksum");
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  for (const d of data.slice(0, -6)) {
    acc = (acc << 5) | d;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (out.length !== 32) throw new Error("an X25519 identity is 32 bytes");
  return Uint8Array.from(out);
}

/** New device keys, non-extractable where WebCrypto allows (see module comment). */
export async function makeKeys(): Promise<{ keys: DeviceKeys; stored: StoredKeys }> {
  const made = await generateDeviceKeys();
  if (made.signing.cryptoKey) return { keys: made, stored: toStored(made) };
  // No Ed25519 in this WebCrypto: the core's fallback does not give its seed back, so the
  // seed is made here and kept (as bytes: the only way this browser can keep it).
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const keys = { signing: signingKeyFromSeed(seed), encryption: made.encryption };
  return { keys, stored: toStored(keys, seed) };
}

function toStored(keys: DeviceKeys, seed?: Uint8Array): StoredKeys {
  const signing = keys.signing.cryptoKey ?? seed;
  if (!signing) throw new Error("an in-memory signing key needs its seed to be stored");
  return { version: 2, signing, signing_public: keys.signing.publicKey, age: keys.encryption.identity, age_recipient: keys.encryption.recipient };
}

async function fromStored(s: StoredKeys): Promise<DeviceKeys> {
  const signing: SigningKey = s.signing instanceof Uint8Array ? signingKeyFromSeed(s.signing) : signingKeyFromCryptoKey(s.signing, s.signing_public);
  const encryption: EncryptionIdentity = await encryptionIdentity(s.age);
  return { signing, encryption };
}

/** Import a first-adapter home's raw keys as non-extractable CryptoKeys (null: cannot). */
async function importLegacy(seed: Uint8Array, identity: string, signingPublic: Uint8Array): Promise<DeviceKeys | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  try {
    const sk = await subtle.importKey("pkcs8", pkcs8(ED25519_PKCS8, seed), { name: "Ed25519" }, false, ["sign"]);
    const signing = signingKeyFromCryptoKey(sk, signingPublic);
    const probe = new TextEncoder().encode("cairn-field key migration probe");
    if (!verifySignature(signingPublic, await signing.sign(probe), probe)) return null;
    const ak = await subtle.importKey("pkcs8", pkcs8(X25519_PKCS8, x25519Scalar(identity)), { name: "X25519" }, false, ["deriveBits"]);
    const encryption = await encryptionIdentity(ak);
    if (encryption.recipient !== (await encryptionIdentity(identity)).recipient) return null;
    return { signing, encryption };
  } catch {
    return null; // no Ed25519/X25519 in this WebCrypto: keep the raw keys
  }
}

/**
 * The device's keys from `meta`, migrating a first-adapter home on the way (the raw
 * entries deleted once the CryptoKeys are durably stored). Null when not enrolled.
 */
export async function loadKeys(db: Db, meta: Map<string, unknown>): Promise<DeviceKeys | null> {
  const stored = meta.get(KEYS) as StoredKeys | undefined;
  if (stored) return fromStored(stored);
  const seed = meta.get("signing_seed");
  const identity = meta.get("age_identity");
  const pub = meta.get("signing_public");
  if (!(seed instanceof Uint8Array) || typeof identity !== "string" || !(pub instanceof Uint8Array)) return null;
  if (!bytesEqual(signingKeyFromSeed(seed).publicKey, pub)) throw new Error("the stored signing key does not match its public key; this device's store is damaged");
  const imported = await importLegacy(seed, identity, pub);
  if (!imported) return { signing: signingKeyFromSeed(seed), encryption: await encryptionIdentity(identity) };
  const next: StoredKeys = { ...toStored(imported), migrated_ms: Date.now() };
  await db.write(["meta"], (tx) => {
    Db.put(tx, "meta", next, KEYS);
    for (const k of LEGACY) Db.del(tx, "meta", k);
  });
  meta.set(KEYS, next);
  for (const k of LEGACY) meta.delete(k);
  return imported;
}

/** How the keys are held, for the sync screen and tests. */
export function keyStorage(meta: Map<string, unknown>): "webcrypto" | "bytes" | "none" {
  const s = meta.get(KEYS) as StoredKeys | undefined;
  if (s) return s.signing instanceof CryptoKey && s.age instanceof CryptoKey && !s.signing.extractable && !s.age.extractable ? "webcrypto" : "bytes";
  return meta.has("signing_seed") ? "bytes" : "none";
}
