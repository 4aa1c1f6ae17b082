/**
 * MessagePack as Cairn's Python side writes it (msgspec), with the values kept exact.
 *
 * Why not `@msgpack/msgpack`: a JavaScript number cannot tell `1` from `1.0`, yet the two
 * are different values in a record (sync/canonical.py: "integers use their shortest form
 * and floats are always float64, so 1 and 1.0 never encode alike"), and HLC stamps need
 * 64 bits. This codec keeps both apart: a float decodes to {@link F64}, an integer to a
 * `number` when it is a safe integer and to a `bigint` otherwise; map keys are sorted by
 * Unicode code point (Python's string order, not JavaScript's UTF-16 order) unless the
 * map is an {@link Ordered} one (a msgspec Struct in declared field order).
 *
 * Encoding rules (msgpack.org spec, the forms msgspec chooses): integers in their shortest
 * form (positive fixint, uint8/16/32/64; negative fixint, int8/16/32/64), floats always
 * float64, str as fixstr/str8/str16/str32, bin8/16/32, arrays and maps in their shortest
 * header.
 */

/** A float64 value: kept apart from integers (`new F64(1)` is `1.0`, never `1`). */
export class F64 {
  constructor(readonly value: number) {}
}

/** A map written in the order given (a msgspec Struct with order="deterministic"). */
export class Ordered {
  constructor(readonly entries: ReadonlyArray<readonly [string, Value]>) {}
}

export type Value =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | F64
  | string
  | Uint8Array
  | Ordered
  | Value[]
  | readonly Value[]
  | { [key: string]: Value };

export type Obj = { [key: string]: Value };

export class DecodeError extends Error {
  readonly code = "malformed_body";
}

/** Python's string order (by code point) on JavaScript strings (UTF-16 code units). */
export function cmpStr(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort after every BMP code point above them.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
        y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

export function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const UTF8 = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });

class Writer {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(x: number): void {
    this.ensure(1);
    this.buf[this.pos++] = x;
  }

  head(tag: number, bytes: number, n: number | bigint): void {
    this.ensure(1 + bytes);
    this.buf[this.pos++] = tag;
    const v = this.view;
    switch (bytes) {
      case 1:
        v.setUint8(this.pos, Number(n) & 0xff);
        break;
      case 2:
        v.setUint16(this.pos, Number(n) & 0xffff);
        break;
      case 4:
        v.setUint32(this.pos, Number(n) >>> 0);
        break;
      case 8:
        v.setBigUint64(this.pos, BigInt.asUintN(64, BigInt(n)));
        break;
    }
    this.pos += bytes;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  done(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function writeInt(w: Writer, x: number | bigint): void {
  if (typeof x === "number") {
    if (x >= 0) {
      if (x < 0x80) return w.u8(x);
      if (x < 0x100) return w.head(0xcc, 1, x);
      if (x < 0x10000) return w.head(0xcd, 2, x);
      if (x < 0x100000000) return w.head(0xce, 4, x);
      return w.head(0xcf, 8, BigInt(x));
    }
    if (x >= -32) return w.u8(x & 0xff);
    if (x >= -0x80) return w.head(0xd0, 1, x);
    if (x >= -0x8000) return w.head(0xd1, 2, x);
    if (x >= -0x80000000) return w.head(0xd2, 4, x);
    return w.head(0xd3, 8, BigInt(x));
  }
  if (x >= -0x80000000n && x < 0x100000000n) return writeInt(w, Number(x));
  if (x >= 0n) {
    if (x >= 1n << 64n) throw new RangeError(`integer ${x} does not fit in 64 bits`);
    return w.head(0xcf, 8, x);
  }
  if (x < -(1n << 63n)) throw new RangeError(`integer ${x} does not fit in 64 bits`);
  return w.head(0xd3, 8, x);
}

function writeStr(w: Writer, s: string): void {
  const b = UTF8.encode(s);
  const n = b.length;
  if (n < 32) w.u8(0xa0 | n);
  else if (n < 0x100) w.head(0xd9, 1, n);
  else if (n < 0x10000) w.head(0xda, 2, n);
  else w.head(0xdb, 4, n);
  w.raw(b);
}

function writeLen(w: Writer, n: number, fix: number, fixMax: number, t16: number, t32: number) {
  if (n < fixMax) w.u8(fix | n);
  else if (n < 0x10000) w.head(t16, 2, n);
  else w.head(t32, 4, n);
}

function writeValue(w: Writer, v: Value): void {
  if (v === null || v === undefined) return w.u8(0xc0);
  switch (typeof v) {
    case "boolean":
      return w.u8(v ? 0xc3 : 0xc2);
    case "number":
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return writeInt(w, v);
      w.ensure(9);
      w.buf[w.pos++] = 0xcb;
      w.view.setFloat64(w.pos, v);
      w.pos += 8;
      return;
    case "bigint":
      return writeInt(w, v);
    case "string":
      return writeStr(w, v);
  }
  if (v instanceof F64) {
    w.ensure(9);
    w.buf[w.pos++] = 0xcb;
    w.view.setFloat64(w.pos, v.value);
    w.pos += 8;
    return;
  }
  if (v instanceof Uint8Array) {
    const n = v.length;
    if (n < 0x100) w.head(0xc4, 1, n);
    else if (n < 0x10000) w.head(0xc5, 2, n);
    else w.head(0xc6, 4, n);
    return w.raw(v);
  }
  if (Array.isArray(v)) {
    writeLen(w, v.length, 0x90, 16, 0xdc, 0xdd);
    for (const x of v as Value[]) writeValue(w, x);
    return;
  }
  if (v instanceof Ordered) {
    writeLen(w, v.entries.length, 0x80, 16, 0xde, 0xdf);
    for (const [k, x] of v.entries) {
      writeStr(w, k);
      writeValue(w, x);
    }
    return;
  }
  const obj = v as Obj;
  const keys = Object.keys(obj);
  keys.sort(cmpStr);
  writeLen(w, keys.length, 0x80, 16, 0xde, 0xdf);
  for (const k of keys) {
    writeStr(w, k);
    writeValue(w, obj[k]);
  }
}

/** Encode a value: plain objects with their keys sorted, {@link Ordered} maps as given. */
export function encode(v: Value): Uint8Array {
  const w = new Writer();
  writeValue(w, v);
  return w.done();
}

class Reader {
  pos = 0;
  view: DataView;
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DecodeError("input data was truncated");
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uint(bytes: number): number {
    this.need(bytes);
    const v = this.view;
    const p = this.pos;
    this.pos += bytes;
    if (bytes === 1) return v.getUint8(p);
    if (bytes === 2) return v.getUint16(p);
    return v.getUint32(p);
  }
}

function int64(x: bigint): number | bigint {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(x)
    : x;
}

const MAX_DEPTH = 64;

function readStr(r: Reader, n: number): string {
  try {
    return UTF8_DECODER.decode(r.take(n));
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError("invalid UTF-8 in a string");
  }
}

function readValue(r: Reader, depth: number): Value {
  if (depth > MAX_DEPTH) throw new DecodeError("nesting deeper than 64 levels");
  r.need(1);
  const t = r.buf[r.pos++]!;
  if (t < 0x80) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t >= 0xa0 && t <= 0xbf) return readStr(r, t & 0x1f);
  if (t >= 0x90 && t <= 0x9f) return readArray(r, t & 0x0f, depth);
  if (t >= 0x80 && t <= 0x8f) return readMap(r, t & 0x0f, depth);
  const v = r.view;
  switch (t) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return r.take(r.uint(1)).slice();
    case 0xc5:
      return r.take(r.uint(2)).slice();
    case 0xc6:
      return r.take(r.uint(4)).slice();
    case 0xca: {
      r.need(4);
      const x = v.getFloat32(r.pos);
      r.pos += 4;
      return new F64(x);
    }
    case 0xcb: {
      r.need(8);
      const x = v.getFloat64(r.pos);
      r.pos += 8;
      return new F64(x);
    }
    case 0xcc:
      return r.uint(1);
    case 0xcd:
      return r.uint(2);
    case 0xce:
      return r.uint(4);
    case 0xcf: {
      r.need(8);
      const x = v.getBigUint64(r.pos);
      r.pos += 8;
      return int64(x);
    }
    case 0xd0:
      r.need(1);
      return v.getInt8(r.pos++);
    case 0xd1: {
      r.need(2);
      const x = v.getInt16(r.pos);
      r.pos += 2;
      return x;
    }
    case 0xd2: {
      r.need(4);
      const x = v.getInt32(r.pos);
      r.pos += 4;
      return x;
    }
    case 0xd3: {
      r.need(8);
      const x = v.getBigInt64(r.pos);
      r.pos += 8;
      return int64(x);
    }
    case 0xd9:
      return readStr(r, r.uint(1));
    case 0xda:
      return readStr(r, r.uint(2));
    case 0xdb:
      return readStr(r, r.uint(4));
    case 0xdc:
      return readArray(r, r.uint(2), depth);
    case 0xdd:
      return readArray(r, r.uint(4), depth);
    case 0xde:
      return readMap(r, r.uint(2), depth);
    case 0xdf:
      return readMap(r, r.uint(4), depth);
  }
  throw new DecodeError(`unsupported MessagePack type 0x${t.toString(16)} (extensions are not used)`);
}

function readArray(r: Reader, n: number, depth: number): Value[] {
  if (n > r.buf.length - r.pos) throw new DecodeError("input data was truncated");
  const out: Value[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
  return out;
}

function readMap(r: Reader, n: number, depth: number): Obj {
  if (n > r.buf.length - r.pos) throw new DecodeError("input data was truncated");
  const out: Obj = Object.create(null) as Obj;
  for (let i = 0; i < n; i++) {
    const k = readValue(r, depth + 1);
    if (typeof k !== "string") throw new DecodeError("a map key is not a string");
    out[k] = readValue(r, depth + 1);
  }
  return out;
}

/** Decode exactly one MessagePack value (trailing bytes are an error). */
export function decode(data: Uint8Array): Value {
  const r = new Reader(data);
  const v = readValue(r, 0);
  if (r.pos !== data.length) throw new DecodeError("trailing bytes after the MessagePack value");
  return v;
}

export function isObj(v: Value): v is Obj {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof F64) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Ordered)
  );
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += HEX[x];
  return s;
}

export function fromHex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Decode a top-level map, keeping the elements of the array under `rawKey` as their exact
 * bytes (msgspec's `list[Raw]`: a pull page's ops, re-hashed and stored as received).
 * Anything but a map, or a `rawKey` value that is not an array, is a DecodeError.
 */
export function decodeMapWithRawItems(data: Uint8Array, rawKey: string): { map: Obj; raw: Uint8Array[] | null } {
  const r = new Reader(data);
  r.need(1);
  const t = r.buf[r.pos++]!;
  let n: number;
  if (t >= 0x80 && t <= 0x8f) n = t & 0x0f;
  else if (t === 0xde) n = r.uint(2);
  else if (t === 0xdf) n = r.uint(4);
  else throw new DecodeError("expected a map");
  if (n > r.buf.length - r.pos) throw new DecodeError("input data was truncated");
  const map: Obj = Object.create(null) as Obj;
  let raw: Uint8Array[] | null = null;
  for (let i = 0; i < n; i++) {
    const k = readValue(r, 1);
    if (typeof k !== "string") throw new DecodeError("a map key is not a string");
    if (k !== rawKey) {
      map[k] = readValue(r, 1);
      continue;
    }
    r.need(1);
    const a = r.buf[r.pos]!;
    let m: number;
    if (a >= 0x90 && a <= 0x9f) {
      r.pos++;
      m = a & 0x0f;
    } else if (a === 0xdc) {
      r.pos++;
      m = r.uint(2);
    } else if (a === 0xdd) {
      r.pos++;
      m = r.uint(4);
    } else {
      map[k] = readValue(r, 1); // not an array: the caller's shape check refuses it
      raw = null;
      continue;
    }
    if (m > r.buf.length - r.pos) throw new DecodeError("input data was truncated");
    raw = [];
    for (let j = 0; j < m; j++) {
      const start = r.pos;
      readValue(r, 2);
      raw.push(r.buf.subarray(start, r.pos));
    }
    map[k] = raw as unknown as Value;
  }
  if (r.pos !== data.length) throw new DecodeError("trailing bytes after the MessagePack value");
  return { map, raw };
}
