// Cairn device core, built from web/core (npm run build); do not edit by hand.
var __defProp = Object.defineProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// src/msgpack.ts
var F64 = class {
  constructor(value) {
    this.value = value;
  }
};
var Ordered = class {
  constructor(entries) {
    this.entries = entries;
  }
};
var DecodeError = class extends Error {
  code = "malformed_body";
};
function cmpStr(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 55296 && y >= 55296) {
        x = x <= 57343 ? x + 8192 : x - 2048;
        y = y <= 57343 ? y + 8192 : y - 2048;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}
function cmpBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
var UTF8 = new TextEncoder();
var UTF8_DECODER = new TextDecoder("utf-8", { fatal: true });
var Writer = class {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  pos = 0;
  ensure(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(x) {
    this.ensure(1);
    this.buf[this.pos++] = x;
  }
  head(tag, bytes, n) {
    this.ensure(1 + bytes);
    this.buf[this.pos++] = tag;
    const v = this.view;
    switch (bytes) {
      case 1:
        v.setUint8(this.pos, Number(n) & 255);
        break;
      case 2:
        v.setUint16(this.pos, Number(n) & 65535);
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
  raw(b) {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  done() {
    return this.buf.slice(0, this.pos);
  }
};
function writeInt(w, x) {
  if (typeof x === "number") {
    if (x >= 0) {
      if (x < 128) return w.u8(x);
      if (x < 256) return w.head(204, 1, x);
      if (x < 65536) return w.head(205, 2, x);
      if (x < 4294967296) return w.head(206, 4, x);
      return w.head(207, 8, BigInt(x));
    }
    if (x >= -32) return w.u8(x & 255);
    if (x >= -128) return w.head(208, 1, x);
    if (x >= -32768) return w.head(209, 2, x);
    if (x >= -2147483648) return w.head(210, 4, x);
    return w.head(211, 8, BigInt(x));
  }
  if (x >= -0x80000000n && x < 0x100000000n) return writeInt(w, Number(x));
  if (x >= 0n) {
    if (x >= 1n << 64n) throw new RangeError(`integer ${x} does not fit in 64 bits`);
    return w.head(207, 8, x);
  }
  if (x < -(1n << 63n)) throw new RangeError(`integer ${x} does not fit in 64 bits`);
  return w.head(211, 8, x);
}
function writeStr(w, s) {
  const b = UTF8.encode(s);
  const n = b.length;
  if (n < 32) w.u8(160 | n);
  else if (n < 256) w.head(217, 1, n);
  else if (n < 65536) w.head(218, 2, n);
  else w.head(219, 4, n);
  w.raw(b);
}
function writeLen(w, n, fix, fixMax, t16, t32) {
  if (n < fixMax) w.u8(fix | n);
  else if (n < 65536) w.head(t16, 2, n);
  else w.head(t32, 4, n);
}
function writeValue(w, v) {
  if (v === null || v === void 0) return w.u8(192);
  switch (typeof v) {
    case "boolean":
      return w.u8(v ? 195 : 194);
    case "number":
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) return writeInt(w, v);
      w.ensure(9);
      w.buf[w.pos++] = 203;
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
    w.buf[w.pos++] = 203;
    w.view.setFloat64(w.pos, v.value);
    w.pos += 8;
    return;
  }
  if (v instanceof Uint8Array) {
    const n = v.length;
    if (n < 256) w.head(196, 1, n);
    else if (n < 65536) w.head(197, 2, n);
    else w.head(198, 4, n);
    return w.raw(v);
  }
  if (Array.isArray(v)) {
    writeLen(w, v.length, 144, 16, 220, 221);
    for (const x of v) writeValue(w, x);
    return;
  }
  if (v instanceof Ordered) {
    writeLen(w, v.entries.length, 128, 16, 222, 223);
    for (const [k, x] of v.entries) {
      writeStr(w, k);
      writeValue(w, x);
    }
    return;
  }
  const obj2 = v;
  const keys = Object.keys(obj2);
  keys.sort(cmpStr);
  writeLen(w, keys.length, 128, 16, 222, 223);
  for (const k of keys) {
    writeStr(w, k);
    writeValue(w, obj2[k]);
  }
}
function encode(v) {
  const w = new Writer();
  writeValue(w, v);
  return w.done();
}
var Reader = class {
  constructor(buf) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  pos = 0;
  view;
  need(n) {
    if (this.pos + n > this.buf.length) throw new DecodeError("input data was truncated");
  }
  take(n) {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  uint(bytes) {
    this.need(bytes);
    const v = this.view;
    const p = this.pos;
    this.pos += bytes;
    if (bytes === 1) return v.getUint8(p);
    if (bytes === 2) return v.getUint16(p);
    return v.getUint32(p);
  }
};
function int64(x) {
  return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
}
var MAX_DEPTH = 64;
function readStr(r, n) {
  try {
    return UTF8_DECODER.decode(r.take(n));
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError("invalid UTF-8 in a string");
  }
}
function readValue(r, depth) {
  if (depth > MAX_DEPTH) throw new DecodeError("nesting deeper than 64 levels");
  r.need(1);
  const t = r.buf[r.pos++];
  if (t < 128) return t;
  if (t >= 224) return t - 256;
  if (t >= 160 && t <= 191) return readStr(r, t & 31);
  if (t >= 144 && t <= 159) return readArray(r, t & 15, depth);
  if (t >= 128 && t <= 143) return readMap(r, t & 15, depth);
  const v = r.view;
  switch (t) {
    case 192:
      return null;
    case 194:
      return false;
    case 195:
      return true;
    case 196:
      return r.take(r.uint(1)).slice();
    case 197:
      return r.take(r.uint(2)).slice();
    case 198:
      return r.take(r.uint(4)).slice();
    case 202: {
      r.need(4);
      const x = v.getFloat32(r.pos);
      r.pos += 4;
      return new F64(x);
    }
    case 203: {
      r.need(8);
      const x = v.getFloat64(r.pos);
      r.pos += 8;
      return new F64(x);
    }
    case 204:
      return r.uint(1);
    case 205:
      return r.uint(2);
    case 206:
      return r.uint(4);
    case 207: {
      r.need(8);
      const x = v.getBigUint64(r.pos);
      r.pos += 8;
      return int64(x);
    }
    case 208:
      r.need(1);
      return v.getInt8(r.pos++);
    case 209: {
      r.need(2);
      const x = v.getInt16(r.pos);
      r.pos += 2;
      return x;
    }
    case 210: {
      r.need(4);
      const x = v.getInt32(r.pos);
      r.pos += 4;
      return x;
    }
    case 211: {
      r.need(8);
      const x = v.getBigInt64(r.pos);
      r.pos += 8;
      return int64(x);
    }
    case 217:
      return readStr(r, r.uint(1));
    case 218:
      return readStr(r, r.uint(2));
    case 219:
      return readStr(r, r.uint(4));
    case 220:
      return readArray(r, r.uint(2), depth);
    case 221:
      return readArray(r, r.uint(4), depth);
    case 222:
      return readMap(r, r.uint(2), depth);
    case 223:
      return readMap(r, r.uint(4), depth);
  }
  throw new DecodeError(`unsupported MessagePack type 0x${t.toString(16)} (extensions are not used)`);
}
function readArray(r, n, depth) {
  if (n > r.buf.length - r.pos) throw new DecodeError("input data was truncated");
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, depth + 1);
  return out;
}
function readMap(r, n, depth) {
  if (n > r.buf.length - r.pos) throw new DecodeError("input data was truncated");
  const out = /* @__PURE__ */ Object.create(null);
  for (let i = 0; i < n; i++) {
    const k = readValue(r, depth + 1);
    if (typeof k !== "string") throw new DecodeError("a map key is not a string");
    out[k] = readValue(r, depth + 1);
  }
  return out;
}
function decode(data) {
  const r = new Reader(data);
  const v = readValue(r, 0);
  if (r.pos !== data.length) throw new DecodeError("trailing bytes after the MessagePack value");
  return v;
}
function isObj(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof F64) && !(v instanceof Uint8Array) && !(v instanceof Ordered);
}
var HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function toHex(b) {
  let s = "";
  for (const x of b) s += HEX[x];
  return s;
}
function fromHex(s) {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// node_modules/@noble/hashes/utils.js
function isBytes(a) {
  return a instanceof Uint8Array || ArrayBuffer.isView(a) && a.constructor.name === "Uint8Array";
}
function abytes(value, length, title = "") {
  const bytes = isBytes(value);
  const len = value?.length;
  const needsLen = length !== void 0;
  if (!bytes || needsLen && len !== length) {
    const prefix = title && `"${title}" `;
    const ofLen = needsLen ? ` of length ${length}` : "";
    const got = bytes ? `length=${len}` : `type=${typeof value}`;
    throw new Error(prefix + "expected Uint8Array" + ofLen + ", got " + got);
  }
  return value;
}
function aexists(instance, checkFinished = true) {
  if (instance.destroyed)
    throw new Error("Hash instance has been destroyed");
  if (checkFinished && instance.finished)
    throw new Error("Hash#digest() has already been called");
}
function aoutput(out, instance) {
  abytes(out, void 0, "digestInto() output");
  const min = instance.outputLen;
  if (out.length < min) {
    throw new Error('"digestInto() output" expected to be of length >=' + min);
  }
}
function clean(...arrays) {
  for (let i = 0; i < arrays.length; i++) {
    arrays[i].fill(0);
  }
}
function createView(arr) {
  return new DataView(arr.buffer, arr.byteOffset, arr.byteLength);
}
function rotr(word, shift) {
  return word << 32 - shift | word >>> shift;
}
function createHasher(hashCons, info = {}) {
  const hashC = (msg, opts) => hashCons(opts).update(msg).digest();
  const tmp = hashCons(void 0);
  hashC.outputLen = tmp.outputLen;
  hashC.blockLen = tmp.blockLen;
  hashC.create = (opts) => hashCons(opts);
  Object.assign(hashC, info);
  return Object.freeze(hashC);
}
var oidNist = (suffix) => ({
  oid: Uint8Array.from([6, 9, 96, 134, 72, 1, 101, 3, 4, 2, suffix])
});

// node_modules/@noble/hashes/_md.js
function Chi(a, b, c) {
  return a & b ^ ~a & c;
}
function Maj(a, b, c) {
  return a & b ^ a & c ^ b & c;
}
var HashMD = class {
  blockLen;
  outputLen;
  padOffset;
  isLE;
  // For partial updates less than block size
  buffer;
  view;
  finished = false;
  length = 0;
  pos = 0;
  destroyed = false;
  constructor(blockLen, outputLen, padOffset, isLE) {
    this.blockLen = blockLen;
    this.outputLen = outputLen;
    this.padOffset = padOffset;
    this.isLE = isLE;
    this.buffer = new Uint8Array(blockLen);
    this.view = createView(this.buffer);
  }
  update(data) {
    aexists(this);
    abytes(data);
    const { view, buffer, blockLen } = this;
    const len = data.length;
    for (let pos = 0; pos < len; ) {
      const take = Math.min(blockLen - this.pos, len - pos);
      if (take === blockLen) {
        const dataView = createView(data);
        for (; blockLen <= len - pos; pos += blockLen)
          this.process(dataView, pos);
        continue;
      }
      buffer.set(data.subarray(pos, pos + take), this.pos);
      this.pos += take;
      pos += take;
      if (this.pos === blockLen) {
        this.process(view, 0);
        this.pos = 0;
      }
    }
    this.length += data.length;
    this.roundClean();
    return this;
  }
  digestInto(out) {
    aexists(this);
    aoutput(out, this);
    this.finished = true;
    const { buffer, view, blockLen, isLE } = this;
    let { pos } = this;
    buffer[pos++] = 128;
    clean(this.buffer.subarray(pos));
    if (this.padOffset > blockLen - pos) {
      this.process(view, 0);
      pos = 0;
    }
    for (let i = pos; i < blockLen; i++)
      buffer[i] = 0;
    view.setBigUint64(blockLen - 8, BigInt(this.length * 8), isLE);
    this.process(view, 0);
    const oview = createView(out);
    const len = this.outputLen;
    if (len % 4)
      throw new Error("_sha2: outputLen must be aligned to 32bit");
    const outLen = len / 4;
    const state = this.get();
    if (outLen > state.length)
      throw new Error("_sha2: outputLen bigger than state");
    for (let i = 0; i < outLen; i++)
      oview.setUint32(4 * i, state[i], isLE);
  }
  digest() {
    const { buffer, outputLen } = this;
    this.digestInto(buffer);
    const res = buffer.slice(0, outputLen);
    this.destroy();
    return res;
  }
  _cloneInto(to) {
    to ||= new this.constructor();
    to.set(...this.get());
    const { blockLen, buffer, length, finished, destroyed, pos } = this;
    to.destroyed = destroyed;
    to.finished = finished;
    to.length = length;
    to.pos = pos;
    if (length % blockLen)
      to.buffer.set(buffer);
    return to;
  }
  clone() {
    return this._cloneInto();
  }
};
var SHA256_IV = /* @__PURE__ */ Uint32Array.from([
  1779033703,
  3144134277,
  1013904242,
  2773480762,
  1359893119,
  2600822924,
  528734635,
  1541459225
]);

// node_modules/@noble/hashes/sha2.js
var SHA256_K = /* @__PURE__ */ Uint32Array.from([
  1116352408,
  1899447441,
  3049323471,
  3921009573,
  961987163,
  1508970993,
  2453635748,
  2870763221,
  3624381080,
  310598401,
  607225278,
  1426881987,
  1925078388,
  2162078206,
  2614888103,
  3248222580,
  3835390401,
  4022224774,
  264347078,
  604807628,
  770255983,
  1249150122,
  1555081692,
  1996064986,
  2554220882,
  2821834349,
  2952996808,
  3210313671,
  3336571891,
  3584528711,
  113926993,
  338241895,
  666307205,
  773529912,
  1294757372,
  1396182291,
  1695183700,
  1986661051,
  2177026350,
  2456956037,
  2730485921,
  2820302411,
  3259730800,
  3345764771,
  3516065817,
  3600352804,
  4094571909,
  275423344,
  430227734,
  506948616,
  659060556,
  883997877,
  958139571,
  1322822218,
  1537002063,
  1747873779,
  1955562222,
  2024104815,
  2227730452,
  2361852424,
  2428436474,
  2756734187,
  3204031479,
  3329325298
]);
var SHA256_W = /* @__PURE__ */ new Uint32Array(64);
var SHA2_32B = class extends HashMD {
  constructor(outputLen) {
    super(64, outputLen, 8, false);
  }
  get() {
    const { A, B, C, D, E, F, G, H } = this;
    return [A, B, C, D, E, F, G, H];
  }
  // prettier-ignore
  set(A, B, C, D, E, F, G, H) {
    this.A = A | 0;
    this.B = B | 0;
    this.C = C | 0;
    this.D = D | 0;
    this.E = E | 0;
    this.F = F | 0;
    this.G = G | 0;
    this.H = H | 0;
  }
  process(view, offset) {
    for (let i = 0; i < 16; i++, offset += 4)
      SHA256_W[i] = view.getUint32(offset, false);
    for (let i = 16; i < 64; i++) {
      const W15 = SHA256_W[i - 15];
      const W2 = SHA256_W[i - 2];
      const s0 = rotr(W15, 7) ^ rotr(W15, 18) ^ W15 >>> 3;
      const s1 = rotr(W2, 17) ^ rotr(W2, 19) ^ W2 >>> 10;
      SHA256_W[i] = s1 + SHA256_W[i - 7] + s0 + SHA256_W[i - 16] | 0;
    }
    let { A, B, C, D, E, F, G, H } = this;
    for (let i = 0; i < 64; i++) {
      const sigma1 = rotr(E, 6) ^ rotr(E, 11) ^ rotr(E, 25);
      const T1 = H + sigma1 + Chi(E, F, G) + SHA256_K[i] + SHA256_W[i] | 0;
      const sigma0 = rotr(A, 2) ^ rotr(A, 13) ^ rotr(A, 22);
      const T2 = sigma0 + Maj(A, B, C) | 0;
      H = G;
      G = F;
      F = E;
      E = D + T1 | 0;
      D = C;
      C = B;
      B = A;
      A = T1 + T2 | 0;
    }
    A = A + this.A | 0;
    B = B + this.B | 0;
    C = C + this.C | 0;
    D = D + this.D | 0;
    E = E + this.E | 0;
    F = F + this.F | 0;
    G = G + this.G | 0;
    H = H + this.H | 0;
    this.set(A, B, C, D, E, F, G, H);
  }
  roundClean() {
    clean(SHA256_W);
  }
  destroy() {
    this.set(0, 0, 0, 0, 0, 0, 0, 0);
    clean(this.buffer);
  }
};
var _SHA256 = class extends SHA2_32B {
  // We cannot use array here since array allows indexing by variable
  // which means optimizer/compiler cannot use registers.
  A = SHA256_IV[0] | 0;
  B = SHA256_IV[1] | 0;
  C = SHA256_IV[2] | 0;
  D = SHA256_IV[3] | 0;
  E = SHA256_IV[4] | 0;
  F = SHA256_IV[5] | 0;
  G = SHA256_IV[6] | 0;
  H = SHA256_IV[7] | 0;
  constructor() {
    super(32);
  }
};
var sha256 = /* @__PURE__ */ createHasher(
  () => new _SHA256(),
  /* @__PURE__ */ oidNist(1)
);

// src/ops.ts
var OpError = class extends Error {
  code = "malformed_body";
};
var MAX_STAMP = (1n << 63n) - 1n;
var REVIEW_STATES = /* @__PURE__ */ new Set(["received", "has_issues", "approved", "rejected"]);
var KINDS = {
  create: ["fields"],
  patch: ["fields"],
  item_add: ["group", "item_id", "fields"],
  item_edit: ["group", "item_id", "fields"],
  item_remove: ["group", "item_id"],
  retract: ["reason"],
  resolve: ["conflict", "value", "reason", "field", "group", "item_id"],
  review: ["state", "comment"]
};
var BASE = ["dot", "record_id", "form", "hlc", "context", "wall_time", "gps"];
function fail(where, what) {
  throw new OpError(`${what} - at \`${where}\``);
}
function str(v, where, minLength = 0) {
  if (typeof v !== "string") fail(where, "Expected `str`");
  if (v.length < minLength) fail(where, `Expected \`str\` of length >= ${minLength}`);
  return v;
}
function int(v, where) {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return v;
  fail(where, "Expected `int`");
}
function counter(v, where) {
  const n = int(v, where);
  if (typeof n === "bigint") fail(where, "Expected `int` below 2**53 (a counter)");
  if (n < 1) fail(where, "Expected `int` >= 1");
  return n;
}
function float(v, where) {
  if (v instanceof F64) return v.value;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return Number(v);
  fail(where, "Expected `float`");
}
function obj(v, where) {
  if (!isObj(v)) fail(where, "Expected `object`");
  return v;
}
function decodeGps(v, where) {
  if (v === null || v === void 0) return null;
  const o = obj(v, where);
  const lat = float(o.lat, `${where}.lat`);
  const lon = float(o.lon, `${where}.lon`);
  const h = float(o.h_acc_m, `${where}.h_acc_m`);
  if (!(lat >= -90 && lat <= 90)) fail(`${where}.lat`, "Expected `float` >= -90.0 and <= 90.0");
  if (!(lon >= -180 && lon <= 180)) fail(`${where}.lon`, "Expected `float` >= -180.0 and <= 180.0");
  if (!(h >= 0)) fail(`${where}.h_acc_m`, "Expected `float` >= 0.0");
  if (o.fix_time === void 0) fail(where, "Object missing required field `fix_time`");
  const alt = o.alt_m === void 0 || o.alt_m === null ? null : float(o.alt_m, `${where}.alt_m`);
  return { lat, lon, h_acc_m: h, fix_time: int(o.fix_time, `${where}.fix_time`), alt_m: alt };
}
function fields(v, where) {
  const o = obj(v, where);
  const out = /* @__PURE__ */ Object.create(null);
  for (const k of Object.keys(o)) out[k] = o[k];
  return out;
}
function reason(v, where) {
  const s = str(v, where, 1);
  if (!/\S/u.test(s)) fail(where, "Expected `str` matching regex '\\\\S'");
  return s;
}
function toOp(v, where = "$") {
  const o = obj(v, where);
  const kind = o.kind;
  if (typeof kind !== "string" || !(kind in KINDS)) {
    fail(`${where}.kind`, `Invalid value ${JSON.stringify(String(kind))}`);
  }
  for (const name of ["dot", "record_id", "form", "hlc", "context", "wall_time"]) {
    if (o[name] === void 0) fail(where, `Object missing required field \`${name}\``);
  }
  const d = obj(o.dot, `${where}.dot`);
  const dot = {
    actor: str(d.actor, `${where}.dot.actor`, 1),
    counter: counter(d.counter, `${where}.dot.counter`)
  };
  const hlcRaw = int(o.hlc, `${where}.hlc`);
  const hlc = BigInt(hlcRaw);
  if (hlc < 0n || hlc > MAX_STAMP) fail(`${where}.hlc`, "Expected `int` >= 0 and <= 9223372036854775807");
  const ctxRaw = obj(o.context, `${where}.context`);
  const context = /* @__PURE__ */ Object.create(null);
  for (const k of Object.keys(ctxRaw)) {
    const n = int(ctxRaw[k], `${where}.context[...]`);
    if (typeof n === "bigint") fail(`${where}.context[...]`, "Expected `int` below 2**53 (a counter)");
    context[k] = n;
  }
  const base = {
    dot,
    record_id: str(o.record_id, `${where}.record_id`, 1),
    form: str(o.form, `${where}.form`, 1),
    hlc,
    context,
    wall_time: int(o.wall_time, `${where}.wall_time`),
    gps: decodeGps(o.gps, `${where}.gps`)
  };
  let op;
  switch (kind) {
    case "create":
      op = { kind, ...base, fields: o.fields === void 0 ? /* @__PURE__ */ Object.create(null) : fields(o.fields, `${where}.fields`) };
      break;
    case "patch":
      if (o.fields === void 0) fail(where, "Object missing required field `fields`");
      op = { kind, ...base, fields: fields(o.fields, `${where}.fields`) };
      break;
    case "item_add":
    case "item_edit":
    case "item_remove": {
      if (o.group === void 0) fail(where, "Object missing required field `group`");
      if (o.item_id === void 0) fail(where, "Object missing required field `item_id`");
      const group = str(o.group, `${where}.group`);
      const item_id = str(o.item_id, `${where}.item_id`);
      if (kind === "item_remove") op = { kind, ...base, group, item_id };
      else if (kind === "item_add")
        op = { kind, ...base, group, item_id, fields: o.fields === void 0 ? /* @__PURE__ */ Object.create(null) : fields(o.fields, `${where}.fields`) };
      else {
        if (o.fields === void 0) fail(where, "Object missing required field `fields`");
        op = { kind, ...base, group, item_id, fields: fields(o.fields, `${where}.fields`) };
      }
      break;
    }
    case "retract":
      if (o.reason === void 0) fail(where, "Object missing required field `reason`");
      op = { kind, ...base, reason: reason(o.reason, `${where}.reason`) };
      break;
    case "resolve": {
      for (const name of ["conflict", "value", "reason"]) {
        if (o[name] === void 0) fail(where, `Object missing required field \`${name}\``);
      }
      const conflict2 = o.conflict;
      if (conflict2 !== "field" && conflict2 !== "item" && conflict2 !== "retraction") {
        fail(`${where}.conflict`, `Invalid enum value ${JSON.stringify(String(conflict2))}`);
      }
      const opt = (x, w) => x === void 0 || x === null ? null : str(x, w);
      const r = {
        kind,
        ...base,
        conflict: conflict2,
        value: o.value,
        reason: reason(o.reason, `${where}.reason`),
        field: opt(o.field, `${where}.field`),
        group: opt(o.group, `${where}.group`),
        item_id: opt(o.item_id, `${where}.item_id`)
      };
      if (r.group === null !== (r.item_id === null)) {
        throw new OpError("a resolution names both group and item_id, or neither");
      }
      if (r.conflict === "field" && r.field === null) {
        throw new OpError("a field resolution must name the field it resolves");
      }
      if (r.conflict === "item" && r.group === null) {
        throw new OpError("an item resolution must name group and item_id");
      }
      if (r.conflict !== "field" && typeof r.value !== "boolean") {
        throw new OpError(`the value resolving a ${r.conflict} conflict must be true or false`);
      }
      op = r;
      break;
    }
    default: {
      if (o.state === void 0) fail(where, "Object missing required field `state`");
      const state = o.state;
      if (typeof state !== "string" || !REVIEW_STATES.has(state)) {
        fail(`${where}.state`, `Invalid enum value ${JSON.stringify(String(state))}`);
      }
      const comment = o.comment === void 0 ? "" : str(o.comment, `${where}.comment`);
      op = { kind: "review", ...base, state, comment };
    }
  }
  if ((op.context[op.dot.actor] ?? 0) >= op.dot.counter) {
    throw new OpError(
      `op ${op.dot.actor}:${op.dot.counter} has a context that already covers its own dot; the context must be the record's version vector before the edit`
    );
  }
  return op;
}
function toOps(v) {
  if (!Array.isArray(v)) throw new OpError("Expected `array`, got another type - at `$`");
  return v.map((x, i) => toOp(x, `$[${i}]`));
}
function gpsWire(g) {
  if (g === null) return null;
  return new Ordered([
    ["lat", new F64(g.lat)],
    ["lon", new F64(g.lon)],
    ["h_acc_m", new F64(g.h_acc_m)],
    ["fix_time", g.fix_time],
    ["alt_m", g.alt_m === null ? null : new F64(g.alt_m)]
  ]);
}
function gpsValue(g) {
  if (g === null) return null;
  return {
    lat: new F64(g.lat),
    lon: new F64(g.lon),
    h_acc_m: new F64(g.h_acc_m),
    fix_time: g.fix_time,
    alt_m: g.alt_m === null ? null : new F64(g.alt_m)
  };
}
function opWire(op) {
  const o = op;
  const entries = [["kind", op.kind]];
  for (const name of BASE) {
    if (name === "dot") entries.push(["dot", new Ordered([["actor", op.dot.actor], ["counter", op.dot.counter]])]);
    else if (name === "gps") entries.push(["gps", gpsWire(op.gps)]);
    else entries.push([name, o[name]]);
  }
  for (const name of KINDS[op.kind]) entries.push([name, o[name]]);
  return new Ordered(entries);
}
function encodeOps(ops) {
  return encode(ops.map(opWire));
}
function opDigest(op) {
  return sha256(encode(opWire(op))).subarray(0, 16);
}

// src/vv.ts
var vv_exports = {};
__export(vv_exports, {
  compare: () => compare,
  covers: () => covers,
  fromDots: () => fromDots,
  merge: () => merge,
  withDot: () => withDot
});
function dict() {
  return /* @__PURE__ */ Object.create(null);
}
function covers(vv, actor, counter2) {
  return (vv[actor] ?? 0) >= counter2;
}
function compare(a, b) {
  let less = false;
  let greater = false;
  for (const actor of /* @__PURE__ */ new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[actor] ?? 0;
    const y = b[actor] ?? 0;
    if (x < y) less = true;
    else if (x > y) greater = true;
    if (less && greater) return "concurrent";
  }
  return less ? "before" : greater ? "after" : "equal";
}
function merge(a, b) {
  const out = Object.assign(dict(), a);
  for (const [actor, counter2] of Object.entries(b)) if (counter2 > (out[actor] ?? 0)) out[actor] = counter2;
  return out;
}
function withDot(vv, actor, counter2) {
  const out = Object.assign(dict(), vv);
  if ((out[actor] ?? 0) < counter2) out[actor] = counter2;
  return out;
}
function fromDots(dots) {
  const out = dict();
  for (const [actor, counter2] of dots) if (counter2 > (out[actor] ?? 0)) out[actor] = counter2;
  return out;
}

// src/clock.ts
var LOGICAL_BITS = 16n;
var MAX_LOGICAL = (1n << LOGICAL_BITS) - 1n;
var MAX_PHYSICAL = (1n << 48n) - 1n;
var DEFAULT_MAX_AHEAD_MS = 5 * 60 * 1e3;
function wallClockMs() {
  return Date.now();
}
function pack(physical, logical) {
  const p = BigInt(physical);
  const l = BigInt(logical);
  if (p < 0n || p > MAX_PHYSICAL) {
    throw new RangeError(`physical time ${p} ms is outside 0..2**48-1; check the clock`);
  }
  if (l < 0n || l > MAX_LOGICAL) throw new RangeError(`logical counter ${l} is outside 0..65535`);
  return p << LOGICAL_BITS | l;
}
function unpack(stamp) {
  if (stamp < 0n || stamp >= 1n << 64n) {
    throw new RangeError(`HLC stamp ${stamp} is not an unsigned 64-bit integer`);
  }
  return [stamp >> LOGICAL_BITS, stamp & MAX_LOGICAL];
}
function physicalMs(stamp) {
  return unpack(stamp)[0];
}
function isSuspect(stamp, nowMs, maxAheadMs = DEFAULT_MAX_AHEAD_MS) {
  return physicalMs(stamp) - BigInt(nowMs) > BigInt(maxAheadMs);
}
var HybridClock = class {
  constructor(time = wallClockMs, opts = {}) {
    this.time = time;
    const ahead = opts.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS;
    if (ahead < 0) throw new RangeError("max_ahead_ms must be zero or positive");
    this.maxAhead = BigInt(ahead);
    [this.l, this.c] = unpack(opts.last ?? 0n);
  }
  l;
  c;
  maxAhead;
  get last() {
    return pack(this.l, this.c);
  }
  set(physical, logical) {
    if (logical > MAX_LOGICAL) {
      physical += 1n;
      logical = 0n;
    }
    this.l = physical;
    this.c = logical;
    return pack(physical, logical);
  }
  now() {
    const pt = BigInt(this.time());
    if (pt > this.l) return this.set(pt, 0n);
    return this.set(this.l, this.c + 1n);
  }
  observe(remote) {
    const pt = BigInt(this.time());
    let [rl, rc] = unpack(remote);
    const cap = pt + this.maxAhead;
    if (rl > cap) {
      rl = cap;
      rc = 0n;
    }
    let top = this.l > rl ? this.l : rl;
    if (pt > top) top = pt;
    let logical;
    if (top === this.l && top === rl) logical = (this.c > rc ? this.c : rc) + 1n;
    else if (top === this.l) logical = this.c + 1n;
    else if (top === rl) logical = rc + 1n;
    else logical = 0n;
    return this.set(top, logical);
  }
};

// src/record.ts
var EMPTY = Object.freeze({ shown: 0, conflict: false, live: [], superseded: [] });
function dict2(from) {
  const out = /* @__PURE__ */ Object.create(null);
  return from ? Object.assign(out, from) : out;
}
function entryOf(log, w) {
  return log[w.actor][String(w.counter)];
}
function valueOf(state) {
  const writes = state.live.length ? state.live : state.superseded;
  return writes.length ? writes[state.shown].value : null;
}
function historyOf(state) {
  if (!state.superseded.length) return state.live;
  if (!state.live.length) return state.superseded;
  return [...state.live, ...state.superseded].sort(cmpDotPy);
}
function cmpDotPy(a, b) {
  return a.actor === b.actor ? a.counter - b.counter : cmpStr(a.actor, b.actor);
}

// src/register.ts
var register_exports = {};
__export(register_exports, {
  add: () => add,
  build: () => build,
  cmpDisplay: () => cmpDisplay,
  concurrent: () => concurrent,
  supersedes: () => supersedes
});
function cmpDisplay(log, a, b) {
  const ha = entryOf(log, a).hlc;
  const hb = entryOf(log, b).hlc;
  if (ha !== hb) return ha < hb ? -1 : 1;
  if (a.actor !== b.actor) return cmpStr(a.actor, b.actor);
  return a.counter - b.counter;
}
function coversW(context, a, b) {
  return (context[b.actor] ?? 0) >= b.counter && !(a.actor === b.actor && a.counter === b.counter);
}
function supersedes(log, a, b) {
  return coversW(entryOf(log, a).context, a, b);
}
function concurrent(log, a, b) {
  return (entryOf(log, a).context[b.actor] ?? 0) < b.counter && (entryOf(log, b).context[a.actor] ?? 0) < a.counter;
}
function finish(live, superseded, log) {
  if (live.length === 1) return { shown: 0, conflict: false, live, superseded };
  const shown = live.length ? live : superseded;
  let winner = 0;
  for (let i = 1; i < shown.length; i++) if (cmpDisplay(log, shown[i], shown[winner]) > 0) winner = i;
  if (!live.length) return { shown: winner, conflict: true, live, superseded };
  const first = encode(live[0].value);
  const conflict2 = live.slice(1).some((w) => !bytesEqual(encode(w.value), first));
  return { shown: winner, conflict: conflict2, live, superseded };
}
function insort(list, w) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = lo + hi >> 1;
    if (cmpDotPy(w, list[mid]) < 0) hi = mid;
    else lo = mid + 1;
  }
  list.splice(lo, 0, w);
}
function add(state, write2, log) {
  const context = entryOf(log, write2).context;
  let superseded = state.superseded;
  const live = state.live.filter((w) => !coversW(context, write2, w));
  if (live.length !== state.live.length) {
    const lost = state.live.filter((w) => coversW(context, write2, w));
    superseded = [...superseded, ...lost].sort(cmpDotPy);
  }
  if ([...state.live, ...state.superseded].some((w) => supersedes(log, w, write2))) {
    superseded = [...superseded, write2].sort(cmpDotPy);
  } else {
    insort(live, write2);
  }
  return finish(live, superseded, log);
}
function build(writes, log) {
  if (!writes.length) return EMPTY;
  const history = [...writes].sort(cmpDotPy);
  const live = history.filter((w) => !history.some((o) => supersedes(log, o, w)));
  const superseded = history.filter((w) => !live.includes(w));
  return finish(live, superseded, log);
}

// src/laws.ts
var NO_RULES = Object.freeze({
  immutable: /* @__PURE__ */ new Set(),
  append_only_choices: /* @__PURE__ */ new Set(),
  groups: /* @__PURE__ */ new Set(),
  append_only_groups: /* @__PURE__ */ new Set(),
  item_keys: /* @__PURE__ */ Object.create(null),
  order_by: /* @__PURE__ */ Object.create(null)
});
function isGuarded(rules, name) {
  return rules.immutable.has(name) || rules.append_only_choices.has(name);
}
function hasGuarded(rules) {
  return rules.immutable.size > 0 || rules.append_only_choices.size > 0;
}
function rulesFrom(data) {
  const own = (o) => Object.assign(/* @__PURE__ */ Object.create(null), o ?? {});
  return {
    immutable: new Set(data.immutable ?? []),
    append_only_choices: new Set(data.append_only_choices ?? []),
    groups: new Set(data.groups ?? []),
    append_only_groups: new Set(data.append_only_groups ?? []),
    item_keys: own(data.item_keys),
    order_by: own(data.order_by)
  };
}
function covers2(context, actor, counter2) {
  return (context[actor] ?? 0) >= counter2;
}
function localRefusals(rules, op) {
  const out = [];
  switch (op.kind) {
    case "create":
    case "patch":
      for (const name of Object.keys(op.fields)) if (rules.groups.has(name)) out.push(`group_field:${name}`);
      break;
    case "item_edit":
    case "item_remove":
      if (rules.append_only_groups.has(op.group)) out.push(`append_only:${op.group}`);
      break;
    case "resolve":
      if (op.conflict === "item" && op.group !== null && op.value === false) {
        if (rules.append_only_groups.has(op.group)) out.push(`append_only:${op.group}`);
      } else if (op.group !== null && op.field !== null) {
        if (rules.append_only_groups.has(op.group)) out.push(`append_only:${op.group}`);
      }
      break;
  }
  return sortCodes(out);
}
function sortCodes(codes) {
  return [...new Set(codes)].sort(cmpStr);
}
function guardCode(rules, name) {
  return `${rules.immutable.has(name) ? "immutable" : "append_only_choices"}:${name}`;
}
function violates(rules, name, value, seen) {
  if (rules.immutable.has(name)) return true;
  if (rules.append_only_choices.has(name)) {
    const kept = Array.isArray(value) ? value : [];
    const before = Array.isArray(seen) ? seen : [];
    const have = kept.map((v) => encode(v));
    return before.some((v) => {
      const b = encode(v);
      return !have.some((h) => bytesEqual(h, b));
    });
  }
  return false;
}
function itemKey(rules, group, values) {
  const names = rules.item_keys[group];
  if (!names || !names.length) return null;
  const key = names.map((n) => n in values ? values[n] : null);
  return key.some((v) => v === null || v === void 0 || v === "") ? null : key;
}
var MESSAGES = {
  immutable: "{name} is fixed once written; record a correction as a new record, or ask a supervisor to resolve it",
  append_only_choices: "{name} may only grow: choices recorded earlier cannot be taken away",
  append_only: "rows of {name} are append-only: they are never edited or removed; add a correcting row instead",
  group_field: "{name} is a repeat group: add its rows as items (cairn device item add), never set it as a field"
};
function refusalMessage(codes) {
  const parts = [];
  for (const code of codes) {
    const i = code.indexOf(":");
    const kind = i < 0 ? code : code.slice(0, i);
    const name = i < 0 ? "" : code.slice(i + 1);
    const text = MESSAGES[kind];
    parts.push(text ? text.split("{name}").join(name) : code);
  }
  return parts.join("; ");
}

// src/merge.ts
var MergeError = class extends Error {
  code = "merge_error";
};
var DotReuseError = class extends MergeError {
  code = "dot_reuse";
};
var RecordMismatchError = class extends MergeError {
  code = "record_mismatch";
};
function isEdit(op) {
  if (op.kind === "retract" || op.kind === "review") return false;
  if (op.kind === "resolve" && op.conflict === "retraction") return false;
  return true;
}
function formVersion(form) {
  const i = form.lastIndexOf("@");
  const version = i < 0 ? form : form.slice(i + 1);
  return /^[0-9]+$/.test(version) ? BigInt(version) : 0n;
}
function maxForm(a, b) {
  const va = formVersion(a);
  const vb = formVersion(b);
  if (va !== vb) return va > vb ? a : b;
  return cmpStr(b, a) > 0 ? b : a;
}
function write(op, value, note = "") {
  return { actor: op.dot.actor, counter: op.dot.counter, value, note };
}
function setFields(fields2, values, op, log, note = "") {
  const out = dict2(fields2);
  for (const name of Object.keys(values)) {
    out[name] = add(out[name] ?? EMPTY, write(op, values[name], note), log);
  }
  return out;
}
function marks(state, edits, log) {
  const raised = state.live.filter((w) => w.value === true);
  const contest = [];
  for (const e of edits) if (raised.some((r) => concurrent(log, e, r))) contest.push(e);
  const lowered = state.live.some((w) => w.value !== true);
  return [contest, raised.length > 0, lowered || contest.length > 0];
}
function withEdit(edits, edit) {
  return [...edits, edit].sort(cmpDotPy);
}
function itemState(item, log) {
  const removals = item.presence.live.filter((w) => w.value === false);
  const adds = item.presence.live.some((w) => w.value === true);
  const contest = item.edits.filter((e) => removals.some((r) => concurrent(log, e, r)));
  const removed = removals.length > 0 && !adds && contest.length === 0;
  const flagged = removals.length > 0 && (adds || contest.length > 0);
  return { ...item, present: !removed, flagged, contest };
}
function newItem(hlc) {
  return { created_hlc: hlc, present: true, flagged: false, fields: dict2(), presence: EMPTY, edits: [], contest: [] };
}
function applyItem(record, op, group, itemId) {
  const items = dict2(record.items);
  const members = dict2(items[group]);
  let item = members[itemId] ?? newItem(op.hlc);
  item = { ...item, created_hlc: item.created_hlc < op.hlc ? item.created_hlc : op.hlc };
  const log = record.log;
  switch (op.kind) {
    case "item_add":
      item = {
        ...item,
        presence: add(item.presence, write(op, true), log),
        fields: setFields(item.fields, op.fields, op, log)
      };
      break;
    case "item_edit":
      item = { ...item, fields: setFields(item.fields, op.fields, op, log), edits: withEdit(item.edits, write(op, true)) };
      break;
    case "item_remove":
      item = { ...item, presence: add(item.presence, write(op, false), log) };
      break;
    case "resolve":
      if (op.conflict === "item") {
        item = { ...item, presence: add(item.presence, write(op, op.value, op.reason), log) };
      } else if (op.field !== null) {
        const values = dict2();
        values[op.field] = op.value;
        item = {
          ...item,
          fields: setFields(item.fields, values, op, log, op.reason),
          edits: withEdit(item.edits, write(op, true, op.reason))
        };
      }
      break;
  }
  members[itemId] = itemState(item, log);
  items[group] = members;
  return items;
}
function* loggedEdits(log) {
  for (const actor of Object.keys(log)) {
    const entries = log[actor];
    for (const counter2 of Object.keys(entries)) {
      if (entries[counter2].edit) yield { actor, counter: Number(counter2), value: false, note: "" };
    }
  }
}
function retraction(record, state) {
  const [contest, raised, lowered] = marks(state, loggedEdits(record.log), record.log);
  contest.sort(cmpDotPy);
  return {
    ...record,
    retraction: state,
    retraction_contest: contest,
    retracted: raised && !lowered,
    retraction_conflict: raised && lowered
  };
}
function contestRetraction(record, op) {
  const live = record.retraction.live;
  if (!live.length) return record;
  const edit = write(op, false);
  if (!live.some((w) => w.value === true && concurrent(record.log, edit, w))) return record;
  const contest = [...record.retraction_contest, edit].sort(cmpDotPy);
  return { ...record, retraction_contest: contest, retracted: false, retraction_conflict: true };
}
function logEntry(op, digest, suspect, refused = false) {
  return {
    kind: op.kind,
    hlc: op.hlc,
    wall_time: op.wall_time,
    context: op.context,
    digest,
    suspect,
    edit: isEdit(op) && !refused,
    gps: op.gps
  };
}
function withLog(log, actor, counter2, entry) {
  const out = dict2(log);
  const entries = dict2(log[actor]);
  entries[String(counter2)] = entry;
  out[actor] = entries;
  return out;
}
function emptyRecord(op) {
  return {
    id: op.record_id,
    form: op.form,
    fields: dict2(),
    items: dict2(),
    retracted: false,
    retraction_conflict: false,
    retraction: EMPTY,
    retraction_contest: [],
    review: EMPTY,
    vv: dict2(),
    created_hlc: op.hlc,
    updated_hlc: op.hlc,
    op_count: 0,
    log: dict2(),
    refused: [],
    key_conflicts: []
  };
}
function apply(record, op, opts = {}) {
  const suspect = opts.suspect ?? false;
  const rules = opts.rules ?? NO_RULES;
  const { actor, counter: counter2 } = op.dot;
  const digest = opDigest(op);
  if (record === null) {
    record = emptyRecord(op);
  } else if (op.record_id !== record.id) {
    throw new RecordMismatchError(`op ${actor}:${counter2} belongs to record ${op.record_id}, not ${record.id}`);
  } else {
    const seen = record.log[actor]?.[String(counter2)];
    if (seen !== void 0) {
      if (cmpBytes(seen.digest, digest) !== 0) {
        throw new DotReuseError(
          `dot ${actor}:${counter2} on record ${record.id} was already used by a different op; the device's counter was reset: quarantine this batch and re-enroll the device`
        );
      }
      if (suspect && !seen.suspect) {
        return { ...record, log: withLog(record.log, actor, counter2, { ...seen, suspect: true }) };
      }
      return record;
    }
  }
  let codes = rules !== NO_RULES ? localRefusals(rules, op) : [];
  let guarded = [];
  if ((op.kind === "create" || op.kind === "patch") && hasGuarded(rules)) {
    guarded = Object.keys(op.fields).filter((n) => isGuarded(rules, n)).sort(cmpStr);
    if (guarded.length) codes = sortCodes([...codes, ...covered(record, rules, op.fields, op, guarded)]);
  }
  const seenCounter = record.vv[actor] ?? 0;
  const log = withLog(record.log, actor, counter2, logEntry(op, digest, suspect, codes.length > 0));
  let vv = record.vv;
  if (seenCounter < counter2) {
    vv = dict2(vv);
    vv[actor] = counter2;
  }
  const meta = {
    form: op.form === record.form ? record.form : maxForm(record.form, op.form),
    vv,
    created_hlc: record.created_hlc < op.hlc ? record.created_hlc : op.hlc,
    updated_hlc: record.updated_hlc > op.hlc ? record.updated_hlc : op.hlc,
    op_count: record.op_count + 1,
    log
  };
  if (codes.length) {
    const values = op.kind === "create" || op.kind === "patch" ? dict2(op.fields) : dict2();
    const refusal = { actor, counter: counter2, codes, values };
    const next = { ...record, refused: withRefusal(record.refused, refusal), ...meta };
    return guarded.length ? refuseFollowers(next, rules, op.fields, op, guarded) : next;
  }
  if (op.kind === "create" || op.kind === "patch") {
    const fields2 = setFields(record.fields, op.fields, op, log);
    const next = contestRetraction({ ...record, fields: fields2, ...meta }, op);
    return guarded.length ? refuseFollowers(next, rules, op.fields, op, guarded) : next;
  }
  record = { ...record, ...meta };
  switch (op.kind) {
    case "item_add":
    case "item_edit":
    case "item_remove":
      record = { ...record, items: applyItem(record, op, op.group, op.item_id) };
      if (hasKey(rules, op.group)) record = withKeyConflicts(record, rules, op.group);
      break;
    case "resolve":
      if (op.conflict === "retraction") {
        return retraction(record, add(record.retraction, write(op, op.value, op.reason), log));
      }
      if (op.group !== null && op.item_id !== null) {
        record = { ...record, items: applyItem(record, op, op.group, op.item_id) };
        if (hasKey(rules, op.group)) record = withKeyConflicts(record, rules, op.group);
      } else if (op.field !== null) {
        const values = dict2();
        values[op.field] = op.value;
        record = { ...record, fields: setFields(record.fields, values, op, log, op.reason) };
      }
      break;
    case "retract":
      return retraction(record, add(record.retraction, write(op, true, op.reason), log));
    case "review":
      return { ...record, review: add(record.review, write(op, op.state, op.comment), log) };
  }
  return contestRetraction(record, op);
}
function hasKey(rules, group) {
  return Object.prototype.hasOwnProperty.call(rules.item_keys, group);
}
function withRefusal(refused, refusal) {
  const others = refused.filter((r) => !(r.actor === refusal.actor && r.counter === refusal.counter));
  return [...others, refusal].sort(cmpDotPy);
}
function* writesOf(record, name) {
  const state = record.fields[name];
  if (state !== void 0) for (const w of historyOf(state)) yield [w.actor, w.counter, w.value];
  for (const r of record.refused) {
    if (Object.prototype.hasOwnProperty.call(r.values, name)) yield [r.actor, r.counter, r.values[name]];
  }
}
function covered(record, rules, fields2, op, names) {
  const out = /* @__PURE__ */ new Set();
  for (const name of names) {
    const code = guardCode(rules, name);
    for (const [actor, counter2, seen] of writesOf(record, name)) {
      const saw = !(actor === op.dot.actor && counter2 === op.dot.counter) && covers2(op.context, actor, counter2);
      if (saw && violates(rules, name, fields2[name], seen)) {
        out.add(code);
        break;
      }
    }
  }
  return out;
}
function refuseFollowers(record, rules, opFields, op, names) {
  const late = /* @__PURE__ */ new Map();
  for (const name of names) {
    for (const [actor, counter2, value] of writesOf(record, name)) {
      if (actor === op.dot.actor && counter2 === op.dot.counter) continue;
      const entry = record.log[actor][String(counter2)];
      if (entry.kind !== "create" && entry.kind !== "patch") continue;
      if (covers2(entry.context, op.dot.actor, op.dot.counter) && violates(rules, name, value, opFields[name])) {
        const k = JSON.stringify([actor, counter2]);
        let slot = late.get(k);
        if (!slot) late.set(k, slot = [actor, counter2, /* @__PURE__ */ new Set()]);
        slot[2].add(guardCode(rules, name));
      }
    }
  }
  if (!late.size) return record;
  let refused = record.refused;
  const fields2 = dict2(record.fields);
  let log = record.log;
  const order = [...late.values()].sort((a, b) => cmpDotPy({ actor: a[0], counter: a[1] }, { actor: b[0], counter: b[1] }));
  for (const [actor, counter2, codes] of order) {
    const known = refused.find((r) => r.actor === actor && r.counter === counter2);
    let refusal;
    if (known !== void 0) {
      refusal = { ...known, codes: sortCodes([...known.codes, ...codes]) };
    } else {
      const values = dict2();
      for (const name of Object.keys(fields2)) {
        const history = historyOf(fields2[name]);
        const mine = history.find((w) => w.actor === actor && w.counter === counter2);
        if (mine !== void 0) {
          values[name] = mine.value;
          fields2[name] = build(
            history.filter((w) => !(w.actor === actor && w.counter === counter2)),
            log
          );
        }
      }
      const entry = { ...log[actor][String(counter2)], edit: false };
      log = withLog(log, actor, counter2, entry);
      refusal = { actor, counter: counter2, codes: sortCodes(codes), values };
    }
    refused = withRefusal(refused, refusal);
  }
  const kept = dict2();
  for (const name of Object.keys(fields2)) if (historyOf(fields2[name]).length) kept[name] = fields2[name];
  const next = { ...record, fields: kept, log, refused };
  return historyOf(next.retraction).length ? retraction(next, next.retraction) : next;
}
function addDots(item, log) {
  return historyOf(item.presence).filter((w) => w.value === true && log[w.actor][String(w.counter)].kind === "item_add");
}
function withKeyConflicts(record, rules, group) {
  const byKey = /* @__PURE__ */ new Map();
  const members = record.items[group] ?? dict2();
  for (const itemId of Object.keys(members)) {
    const item = members[itemId];
    if (!item.present) continue;
    const values = dict2();
    for (const n of Object.keys(item.fields)) values[n] = valueOf(item.fields[n]);
    const key = itemKey(rules, group, values);
    if (key === null) continue;
    const bytes = encode(key);
    const hex = toHex(bytes);
    let slot = byKey.get(hex);
    if (!slot) byKey.set(hex, slot = [bytes, key, []]);
    slot[2].push(itemId);
  }
  const log = record.log;
  const found = [];
  for (const [bytes, key, ids] of byKey.values()) {
    if (ids.length < 2) continue;
    const adds = ids.flatMap((i) => addDots(members[i], log));
    const resolved = ids.some(
      (i) => members[i].presence.live.some(
        (w) => w.value === true && log[w.actor][String(w.counter)].kind === "resolve" && adds.every((a) => covers2(log[w.actor][String(w.counter)].context, a.actor, a.counter))
      )
    );
    found.push([bytes, { group, key, items: [...ids].sort(cmpStr), resolved }]);
  }
  const others = record.key_conflicts.filter((k) => k.group !== group).map((k) => [encode(k.key), k]);
  const merged = [...others, ...found].sort((a, b) => a[1].group !== b[1].group ? cmpStr(a[1].group, b[1].group) : cmpBytes(a[0], b[0])).map((x) => x[1]);
  return { ...record, key_conflicts: merged };
}
function materialize(ops, opts = {}) {
  const flagged = /* @__PURE__ */ new Set();
  for (const [a, c] of opts.suspect ?? []) flagged.add(`${c}:${a}`);
  let record = null;
  for (const op of ops) {
    record = apply(record, op, { suspect: flagged.has(`${op.dot.counter}:${op.dot.actor}`), rules: opts.rules ?? NO_RULES });
  }
  if (record === null) throw new MergeError("materialize needs at least one op; a record exists only through ops");
  return record;
}

// src/pyrepr.ts
function floatRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
function strRepr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "	") out += "\\t";
    else if (cp < 32 || cp === 127) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}
function pyRepr(v) {
  if (typeof v === "string") return strRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (isObj(v)) {
    return `{${Object.keys(v).map((k) => `${strRepr(k)}: ${pyRepr(v[k])}`).join(", ")}}`;
  }
  return pyStr(v);
}
function pyStr(v) {
  if (v === null || v === void 0) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === "bigint") return v.toString();
  if (v instanceof F64) return floatRepr(v.value);
  if (v instanceof Uint8Array) return `b'${[...v].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}'`;
  if (v instanceof Ordered) return pyRepr(Object.fromEntries(v.entries));
  return pyRepr(v);
}

// src/conflicts.ts
function sortedKeys(o) {
  return Object.keys(o).sort(cmpStr);
}
function side(record, w) {
  const e = entryOf(record.log, w);
  return {
    actor: w.actor,
    counter: w.counter,
    kind: e.kind,
    hlc: e.hlc,
    wall_time: e.wall_time,
    value: w.value,
    note: w.note,
    gps: e.gps,
    suspect_clock: e.suspect
  };
}
function conflict(record, kind, path, writes) {
  const ordered = [...writes].sort((a, b) => {
    if (a.actor !== b.actor) return cmpStr(a.actor, b.actor);
    if (a.counter !== b.counter) return a.counter - b.counter;
    return Number(a.value === true) - Number(b.value === true);
  });
  return { kind, path, values: ordered.map((w) => side(record, w)) };
}
function keyPath(k) {
  return `${k.group}{${k.key.map((v) => pyStr(v)).join(", ")}}`;
}
function liveOrHistory(s) {
  return s.live.length ? s.live : historyOf(s);
}
function keyConflict(record, key) {
  const members = record.items[key.group] ?? {};
  const sides = [];
  for (const itemId of key.items) {
    const item = members[itemId];
    let adds = historyOf(item.presence).filter((w) => w.value === true);
    if (!adds.length) adds = [...item.edits];
    let first = adds[0];
    for (const w of adds.slice(1)) {
      const a = entryOf(record.log, w).hlc;
      const b = entryOf(record.log, first).hlc;
      const less = a !== b ? a < b : w.actor !== first.actor ? cmpStr(w.actor, first.actor) < 0 : w.counter < first.counter;
      if (less) first = w;
    }
    sides.push(side(record, { actor: first.actor, counter: first.counter, value: itemId, note: "" }));
  }
  return { kind: "key", path: keyPath(key), values: sides };
}
function byPath(a, b) {
  return cmpStr(a.path, b.path);
}
function conflicts(record) {
  const out = [];
  for (const name of sortedKeys(record.fields)) {
    const state = record.fields[name];
    if (state.conflict) out.push(conflict(record, "field", name, liveOrHistory(state)));
  }
  for (const group of sortedKeys(record.items)) {
    const members = record.items[group];
    for (const itemId of sortedKeys(members)) {
      const item = members[itemId];
      for (const name of sortedKeys(item.fields)) {
        const state = item.fields[name];
        if (state.conflict) out.push(conflict(record, "field", `${group}[${itemId}].${name}`, liveOrHistory(state)));
      }
      if (item.flagged) out.push(conflict(record, "item", `${group}[${itemId}]`, [...item.presence.live, ...item.contest]));
    }
  }
  if (record.retraction_conflict) {
    out.push(conflict(record, "retraction", "retracted", [...record.retraction.live, ...record.retraction_contest]));
  }
  for (const key of record.key_conflicts) if (!key.resolved) out.push(keyConflict(record, key));
  return out.sort(byPath);
}
function conflictCount(record) {
  let n = 0;
  for (const s of Object.values(record.fields)) n += Number(s.conflict);
  for (const members of Object.values(record.items)) {
    for (const item of Object.values(members)) {
      for (const s of Object.values(item.fields)) n += Number(s.conflict);
      n += Number(item.flagged);
    }
  }
  for (const k of record.key_conflicts) n += Number(!k.resolved);
  return n + Number(record.retraction_conflict);
}
function conflictPaths(record) {
  return [...new Set(conflicts(record).map((c) => c.path))].sort(cmpStr);
}
function orderValue(v) {
  if (v === null || v === void 0 || typeof v === "boolean") return [3, encode(v ?? null)];
  if (typeof v === "number" || typeof v === "bigint") return [0, v];
  if (v instanceof F64) return [0, v.value];
  if (typeof v === "string") return [1, v];
  return [2, encode(v)];
}
function cmpRank(a, b) {
  if (a[0] !== b[0]) return a[0] - b[0];
  const x = a[1];
  const y = b[1];
  if (a[0] === 0) {
    const p = x;
    const q = y;
    return p < q ? -1 : p > q ? 1 : 0;
  }
  if (a[0] === 1) return cmpStr(x, y);
  return cmpBytes(x, y);
}
function orderedItems(record, group, orderField = null, includeRemoved = false) {
  const members = record.items[group] ?? {};
  const chosen = [];
  for (const id of Object.keys(members)) {
    const item = members[id];
    if (!includeRemoved && !item.present) continue;
    const state = orderField ? item.fields[orderField] : void 0;
    const writes = state ? state.live.length ? state.live : state.superseded : [];
    const rank = state !== void 0 ? orderValue(writes.length ? writes[state.shown].value : null) : [4, new Uint8Array()];
    chosen.push([id, item, rank]);
  }
  chosen.sort((a, b) => {
    const r = cmpRank(a[2], b[2]);
    if (r) return r;
    if (a[1].created_hlc !== b[1].created_hlc) return a[1].created_hlc < b[1].created_hlc ? -1 : 1;
    return cmpStr(a[0], b[0]);
  });
  return chosen.map(([id, item]) => [id, item]);
}

// src/canonical.ts
function writeV(w) {
  return [w.actor, w.counter, w.value, w.note];
}
function stateV(s) {
  return [s.shown, s.conflict, s.live.map(writeV), s.superseded.map(writeV)];
}
function mapV(o, f) {
  const out = /* @__PURE__ */ Object.create(null);
  for (const k of Object.keys(o)) out[k] = f(o[k]);
  return out;
}
function itemV(i) {
  return {
    created_hlc: i.created_hlc,
    present: i.present,
    flagged: i.flagged,
    fields: mapV(i.fields, stateV),
    presence: stateV(i.presence),
    edits: i.edits.map(writeV),
    contest: i.contest.map(writeV)
  };
}
function entryV(e) {
  return [e.kind, e.hlc, e.wall_time, e.context, e.digest, e.suspect, e.edit, gpsValue(e.gps)];
}
function recordValue(r) {
  return {
    id: r.id,
    form: r.form,
    fields: mapV(r.fields, stateV),
    items: mapV(r.items, (members) => mapV(members, itemV)),
    retracted: r.retracted,
    retraction_conflict: r.retraction_conflict,
    retraction: stateV(r.retraction),
    retraction_contest: r.retraction_contest.map(writeV),
    review: stateV(r.review),
    vv: r.vv,
    created_hlc: r.created_hlc,
    updated_hlc: r.updated_hlc,
    op_count: r.op_count,
    log: mapV(r.log, (entries) => mapV(entries, entryV)),
    refused: r.refused.map((x) => ({ actor: x.actor, counter: x.counter, codes: [...x.codes], values: x.values })),
    key_conflicts: r.key_conflicts.map((k) => ({ group: k.group, key: [...k.key], items: [...k.items], resolved: k.resolved }))
  };
}
function recordBytes(r) {
  return encode(recordValue(r));
}
function recordSha256(r) {
  return toHex(sha256(recordBytes(r)));
}
function conflictValue(c) {
  return {
    kind: c.kind,
    path: c.path,
    values: c.values.map((v) => ({
      actor: v.actor,
      counter: v.counter,
      kind: v.kind,
      hlc: v.hlc,
      wall_time: v.wall_time,
      value: v.value,
      note: v.note,
      gps: gpsValue(v.gps),
      suspect_clock: v.suspect_clock
    }))
  };
}
function conflictsBytes(cs) {
  const sorted = [...cs].sort((a, b) => cmpStr(a.path, b.path) || cmpStr(a.kind, b.kind));
  return encode(sorted.map(conflictValue));
}
function conflictsSha256(cs) {
  return toHex(sha256(conflictsBytes(cs)));
}

// src/forms.ts
var ALT_REFS = ["ellipsoid", "sea_level"];
var GNSS_SOURCES = ["phone", "gnss", "rtk", "total_station", "manual"];
var FIX_TYPES = ["none", "gps", "dgps", "pps", "rtk_fixed", "rtk_float", "estimated", "manual", "simulation"];
function add2(out, path, code, text, severity = "error") {
  out.push({ path, message: `${path}: ${text}`, code, severity });
}
function pyLen(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
function show(v) {
  if (v === null || v === void 0) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  const text = pyRepr(v);
  const chars = Array.from(text);
  return chars.length <= 40 ? text : chars.slice(0, 37).join("") + "...";
}
function fmtG(x) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [m, e] = x.toExponential(5).split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}
function isInt(v) {
  return typeof v === "number" && Number.isInteger(v) || typeof v === "bigint";
}
function isNumber(v) {
  return isInt(v) || v instanceof F64 && Number.isFinite(v.value);
}
function num(v) {
  return v instanceof F64 ? v.value : Number(v);
}
function cmpNum(a, b) {
  if (typeof a === "bigint") {
    if (Number.isInteger(b)) {
      const bb = BigInt(b);
      return a < bb ? -1 : a > bb ? 1 : 0;
    }
    const x2 = Number(a);
    return x2 < b ? -1 : x2 > b ? 1 : 0;
  }
  const x = num(a);
  return x < b ? -1 : x > b ? 1 : 0;
}
function wrongType(out, path, expected, v) {
  add2(out, path, "wrong_type", `expected ${expected}, got ${show(v)}`);
}
function checkRange(v, path, out, lo, hi, unit = "", severity = "error") {
  const [code, what, tail] = severity === "warning" ? ["unusual_value", "usual", "; check it"] : ["out_of_range", "", " for this form"];
  const u = unit ? ` ${unit}` : "";
  if (lo !== null && lo !== void 0 && cmpNum(v, lo) < 0) {
    add2(out, path, code, `${show(v)} is below the ${what ? what + " " : ""}minimum of ${fmtG(lo)}${u}${tail}`, severity);
  } else if (hi !== null && hi !== void 0 && cmpNum(v, hi) > 0) {
    add2(out, path, code, `${show(v)} is above the ${what ? what + " " : ""}maximum of ${fmtG(hi)}${u}${tail}`, severity);
  }
}
var DATE = /^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}$/u;
var DATETIME = /^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}T\p{Nd}{2}:\p{Nd}{2}(?::\p{Nd}{2}(?:\.\p{Nd}{1,9})?)?(Z|[+-]\p{Nd}{2}:\p{Nd}{2})?$/u;
var ASCII_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
function validDate(y, m, d) {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}
function isoDate(v) {
  const m = ASCII_DATE.exec(v);
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}
var ASCII_DATETIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(Z|[+-]([0-9]{2}):([0-9]{2}))?$/;
function isoDatetime(v) {
  const m = ASCII_DATETIME.exec(v);
  if (m === null) return false;
  if (!validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59) return false;
  if (m[6] !== void 0 && Number(m[6]) > 59) return false;
  if (m[9] !== void 0 && Number(m[9]) * 60 + Number(m[10]) >= 24 * 60) return false;
  return true;
}
function checkDate(v, path, out) {
  if (typeof v !== "string") return wrongType(out, path, 'a date written "YYYY-MM-DD"', v);
  if (!DATE.test(v) || !isoDate(v)) {
    add2(out, path, "bad_date", `${show(v)} is not a valid date; write YYYY-MM-DD, e.g. 2026-05-03`);
  }
}
function checkDatetime(v, path, out, utc = false) {
  if (typeof v !== "string") return wrongType(out, path, "a date and time text", v);
  const m = DATETIME.exec(v);
  const example = "e.g. 2026-05-03T10:15:00+04:00 or 2026-05-03T06:15:00Z";
  if (m === null) {
    return add2(out, path, "bad_datetime", `${show(v)} is not an ISO 8601 date and time; write it with an offset, ${example}`);
  }
  const offset = m[1];
  if (offset === void 0) return add2(out, path, "bad_datetime", `${show(v)} has no timezone offset; add one, ${example}`);
  if (!isoDatetime(v)) return add2(out, path, "bad_datetime", `${show(v)} is not a valid date and time`);
  if (utc && offset !== "Z" && offset !== "+00:00") {
    add2(out, path, "bad_datetime", `${show(v)} must be in UTC (end with Z or +00:00)`);
  }
}
var SHA256 = /^[0-9a-f]{64}$/;
var MEDIA_TYPE = /^[\p{L}\p{N}_.+-]+\/[\p{L}\p{N}_.+-]+$/u;
var MAX_CHOICES_SHOWN = 12;
function choicesText(choices) {
  if (choices.length <= MAX_CHOICES_SHOWN) return choices.join(", ");
  return `${choices.slice(0, MAX_CHOICES_SHOWN).join(", ")}, … (${choices.length} choices; see \`cairn forms show\`)`;
}
function textChecker(f) {
  const rx = f.pattern ? new RegExp(`^(?:${f.pattern})$`, "u") : null;
  const maxLength = f.type === "text" ? f.max_length ?? null : null;
  const hint = f.help ? ` (${f.help})` : "";
  return (v, path, out) => {
    if (typeof v !== "string") return wrongType(out, path, "text", v);
    const n = pyLen(v);
    if (maxLength !== null && n > maxLength) add2(out, path, "too_long", `is ${n} characters long; at most ${maxLength}`);
    if (rx !== null && v && !rx.test(v)) add2(out, path, "pattern_mismatch", `${show(v)} does not match the pattern ${f.pattern}${hint}`);
  };
}
function numberChecker(f, integer) {
  const warn = (f.warn_min ?? null) !== null || (f.warn_max ?? null) !== null;
  return (v, path, out) => {
    if (integer ? !isInt(v) : !isNumber(v)) return wrongType(out, path, integer ? "a whole number" : "a finite number", v);
    const n = out.length;
    checkRange(v, path, out, f.min, f.max, f.unit ?? "");
    if (warn && out.length === n) checkRange(v, path, out, f.warn_min, f.warn_max, f.unit ?? "", "warning");
  };
}
function boolChecker(v, path, out) {
  if (typeof v !== "boolean") wrongType(out, path, "true or false", v);
}
function selectOne(f) {
  const choices = new Set(f.choices ?? []);
  const listed = choicesText(f.choices ?? []);
  return (v, path, out) => {
    if (typeof v !== "string") return wrongType(out, path, "one of the choices as text", v);
    if (!choices.has(v)) add2(out, path, "unknown_choice", `${show(v)} is not one of: ${listed}`);
  };
}
function selectMultiple(f) {
  const choices = new Set(f.choices ?? []);
  const listed = choicesText(f.choices ?? []);
  return (v, path, out) => {
    if (!Array.isArray(v)) return wrongType(out, path, "a list of choices", v);
    const seen = /* @__PURE__ */ new Set();
    v.forEach((item, i) => {
      const at = `${path}[${i}]`;
      if (typeof item !== "string") wrongType(out, at, "one of the choices as text", item);
      else if (!choices.has(item)) add2(out, at, "unknown_choice", `${show(item)} is not one of: ${listed}`);
      else if (seen.has(item)) add2(out, at, "duplicate_choice", `${show(item)} is listed twice`);
      else seen.add(item);
    });
  };
}
function attachment(f) {
  const prefixes = f.media_types ?? [];
  return (v, path, out) => {
    if (!isObj(v)) return wrongType(out, path, 'an attachment {"sha256": …}', v);
    if (!("sha256" in v)) add2(out, `${path}.sha256`, "missing_required", "is required (the file's SHA-256)");
    for (const key of Object.keys(v)) {
      const x = v[key];
      const at = `${path}.${key}`;
      if (key === "sha256") {
        if (typeof x !== "string" || !SHA256.test(x)) {
          add2(out, at, "bad_sha256", `${show(x)} is not a SHA-256: write 64 lowercase hexadecimal characters`);
        }
      } else if (key === "filename") {
        if (typeof x !== "string" || !x) wrongType(out, at, "a file name", x);
      } else if (key === "media_type") {
        if (typeof x !== "string" || !MEDIA_TYPE.test(x)) wrongType(out, at, 'a media type such as "image/jpeg"', x);
        else if (prefixes.length && !prefixes.some((p) => x.startsWith(p))) {
          add2(out, at, "unknown_choice", `${show(x)} is not allowed here; use ${prefixes.join(", ")}`);
        }
      } else if (key === "size") {
        if (!isInt(x) || x < 0) wrongType(out, at, "a size in bytes (a whole number ≥ 0)", x);
      } else {
        add2(out, at, "unknown_field", "is not an attachment key (sha256, filename, media_type, size)");
      }
    }
  };
}
var GEOPOINT_KEYS = ["lat", "lon", "alt_m", "alt_ref", "h_acc_m", "v_acc_m", "fix_type", "hdop", "sats", "fix_time_utc", "source", "is_mock", "x", "y", "z"];
var GEO_KEYS = new Set(GEOPOINT_KEYS);
var GEO_CHOICES = { alt_ref: ALT_REFS, fix_type: FIX_TYPES, source: GNSS_SOURCES };
function pointChecker(maxH, warnH, requireXyz) {
  return (v, path, out) => {
    if (!isObj(v)) {
      wrongType(out, path, 'a point {"lat": …, "lon": …}', v);
      return false;
    }
    let ok = true;
    for (const [key, bound, name] of [["lat", 90, "latitude"], ["lon", 180, "longitude"]]) {
      const x = key in v ? v[key] : null;
      if (x === null) {
        add2(out, `${path}.${key}`, "missing_required", `is required (the ${name} in degrees)`);
        ok = false;
      } else if (!isNumber(x)) {
        wrongType(out, `${path}.${key}`, `the ${name} in degrees`, x);
        ok = false;
      } else if (!(cmpNum(x, -bound) >= 0 && cmpNum(x, bound) <= 0)) {
        add2(out, `${path}.${key}`, "out_of_range", `${show(x)} is outside the valid ${name} range -${bound} to ${bound}`);
        ok = false;
      }
    }
    for (const key of Object.keys(v)) {
      if (key === "lat" || key === "lon") continue;
      const x = v[key];
      const at = `${path}.${key}`;
      if (!GEO_KEYS.has(key)) add2(out, at, "unknown_field", `is not a geopoint key (${GEOPOINT_KEYS.join(", ")})`);
      else if (key in GEO_CHOICES) {
        if (typeof x !== "string" || !GEO_CHOICES[key].includes(x)) {
          add2(out, at, "unknown_choice", `${show(x)} is not one of: ${GEO_CHOICES[key].join(", ")}`);
        }
      } else if (key === "fix_time_utc") checkDatetime(x, at, out, true);
      else if (key === "is_mock") {
        if (typeof x !== "boolean") wrongType(out, at, "true or false", x);
        else if (x) add2(out, at, "mock_location", "the device reported a mock (simulated) location; check the position", "warning");
      } else if (key === "sats") {
        if (!isInt(x)) wrongType(out, at, "a whole number of satellites", x);
        else checkRange(x, at, out, 0, null);
      } else if (!isNumber(x)) wrongType(out, at, "a finite number", x);
      else if (key === "h_acc_m") {
        if (cmpNum(x, 0) < 0) add2(out, at, "out_of_range", `${show(x)} is negative; an accuracy is a radius ≥ 0 m`);
        else if (maxH !== null && cmpNum(x, maxH) > 0) {
          add2(out, at, "out_of_range", `${show(x)} is above the maximum of ${fmtG(maxH)} m for this form; take the position again with a better fix`);
        } else if (warnH !== null && cmpNum(x, warnH) > 0) {
          add2(out, at, "low_accuracy", `${show(x)} is above ${fmtG(warnH)} m; a better fix is advised`, "warning");
        }
      } else if (key === "v_acc_m" || key === "hdop") checkRange(x, at, out, 0, null, key === "v_acc_m" ? "m" : "");
    }
    if (requireXyz) {
      for (const key of ["x", "y", "z"]) {
        if (!(key in v) || v[key] === null) {
          add2(out, `${path}.${key}`, "missing_required", "is required (local coordinate in m relative to the site datum)");
        }
      }
    }
    return ok;
  };
}
function numEq(a, b) {
  if (typeof a === "bigint" || typeof b === "bigint") {
    try {
      return BigInt(a) === BigInt(b);
    } catch {
      return num(a) === num(b);
    }
  }
  return num(a) === num(b);
}
function geoChecker(f) {
  const point = pointChecker(f.max_h_acc_m ?? null, f.warn_h_acc_m ?? null, f.type === "geopoint" && (f.require_xyz ?? false));
  if (f.type === "geopoint") return (v, path, out) => void point(v, path, out);
  if (f.type === "geotrace") {
    return (v, path, out) => {
      if (!Array.isArray(v)) return wrongType(out, path, "a list of points", v);
      const list = v;
      if (list.length < 2) add2(out, path, "bad_geometry", `a line needs at least 2 points, got ${list.length}`);
      list.forEach((p, i) => point(p, `${path}[${i}]`, out));
    };
  }
  return (v, path, out) => {
    if (!Array.isArray(v)) return wrongType(out, path, "a list of points", v);
    const list = v;
    const usable = list.map((p, i) => point(p, `${path}[${i}]`, out));
    if (list.length < 4) {
      add2(out, path, "bad_geometry", `a closed shape needs at least 4 points (3 corners, then the first point again to close it), got ${list.length}`);
    } else if (usable[0] && usable[usable.length - 1]) {
      const first = list[0];
      const last = list[list.length - 1];
      if (!numEq(first.lat, last.lat) || !numEq(first.lon, last.lon)) {
        add2(out, path, "bad_geometry", "is not closed: the last point must repeat the first point");
      }
    }
  };
}
function compileField(f) {
  switch (f.type) {
    case "text":
    case "reference":
      return textChecker(f);
    case "integer":
      return numberChecker(f, true);
    case "decimal":
      return numberChecker(f, false);
    case "boolean":
      return boolChecker;
    case "date":
      return checkDate;
    case "datetime":
      return (v, path, out) => checkDatetime(v, path, out);
    case "select_one":
      return selectOne(f);
    case "select_multiple":
      return selectMultiple(f);
    case "geopoint":
    case "geotrace":
    case "geoshape":
      return geoChecker(f);
    case "attachment":
      return attachment(f);
  }
  throw new TypeError(`not a field type: ${f.type}`);
}
function matchingCount(a, b) {
  const b2j = /* @__PURE__ */ new Map();
  b.forEach((ch, j) => {
    const l = b2j.get(ch);
    if (l) l.push(j);
    else b2j.set(ch, [j]);
  });
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [ch, idx] of [...b2j]) if (idx.length > ntest) b2j.delete(ch);
  }
  const longest = (alo, ahi, blo, bhi) => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = /* @__PURE__ */ new Map();
    for (let i = alo; i < ahi; i++) {
      const next = /* @__PURE__ */ new Map();
      for (const j of b2j.get(a[i]) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1] && !b2j.has(b[bestj - 1])) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize] && !b2j.has(b[bestj + bestsize])) {
      bestsize++;
    }
    return [besti, bestj, bestsize];
  };
  let total = 0;
  const queue = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop();
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (k) {
      total += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  return total;
}
function ratio(word, x) {
  const n = word.length + x.length;
  return n ? 2 * matchingCount(x, word) / n : 1;
}
function closeMatch(word, possibilities, cutoff = 0.6) {
  const w = Array.from(word);
  let best = null;
  for (const x of possibilities) {
    const xs = Array.from(x);
    const n = w.length + xs.length;
    if (n && 2 * Math.min(w.length, xs.length) / n < cutoff) continue;
    const r = ratio(w, xs);
    if (r >= cutoff && (best === null || r > best[0] || r === best[0] && x > best[1])) best = [r, x];
  }
  return best === null ? null : best[1];
}
var ITEM_ID = "item_id";
function blank(v) {
  return v === null || v === void 0 || v === "" || Array.isArray(v) && v.length === 0;
}
var ObjectSpec = class {
  constructor(fields2, owner, isItem) {
    this.owner = owner;
    for (const f of fields2) this.checkers.set(f.name, f.type === "repeat" ? groupChecker(f) : compileField(f));
    if (isItem) this.checkers.set(ITEM_ID, (v, path, out) => {
      if (typeof v !== "string" || !v) wrongType(out, path, "an item id (text)", v);
    });
    this.required = fields2.filter((f) => f.required).map((f) => f.name);
    this.counted = new Set(fields2.filter((f) => f.type === "repeat" && (f.min_items ?? 0) > 0).map((f) => f.name));
    this.names = [...this.checkers.keys()];
  }
  checkers = /* @__PURE__ */ new Map();
  required;
  counted;
  names;
  check(values, prefix, partial, out) {
    if (!isObj(values)) return wrongType(out, prefix || "(record)", "an object of field values", values);
    const dot = prefix ? `${prefix}.` : "";
    for (const name of Object.keys(values)) {
      const v = values[name];
      const path = `${dot}${name}`;
      const checker = this.checkers.get(name);
      if (checker === void 0) {
        const close = closeMatch(name, this.names);
        add2(out, path, "unknown_field", `is not a field of ${this.owner}${close !== null ? `; did you mean ${close}?` : ""}`);
      } else if (v === null) {
        if (partial && this.required.includes(name)) add2(out, path, "missing_required", "is required and cannot be cleared");
      } else checker(v, path, out);
    }
    if (!partial) {
      for (const name of this.required) {
        const v = name in values ? values[name] : null;
        if (blank(v) && !(Array.isArray(v) && v.length === 0 && this.counted.has(name))) {
          add2(out, `${dot}${name}`, "missing_required", "is required but has no value");
        }
      }
    }
  }
};
function groupChecker(g) {
  const spec = new ObjectSpec(g.fields ?? [], `the ${g.name} group`, true);
  const lo = g.min_items ?? 0;
  const hi = g.max_items ?? null;
  return (v, path, out) => {
    if (!Array.isArray(v)) return wrongType(out, path, "a list of items", v);
    const list = v;
    if (list.length < lo) add2(out, path, "too_few_items", `needs at least ${lo} item${lo !== 1 ? "s" : ""}, got ${list.length}`);
    if (hi !== null && list.length > hi) add2(out, path, "too_many_items", `allows at most ${hi} items, got ${list.length}`);
    list.forEach((item, i) => spec.check(item, `${path}[${i}]`, false, out));
  };
}
var CompiledForm = class {
  constructor(form) {
    this.form = form;
    this.ref = `${form.id}@${form.version}`;
    this.record = new ObjectSpec(form.fields, this.ref, false);
    for (const f of form.fields) if (f.type === "repeat") this.groups.set(f.name, new ObjectSpec(f.fields ?? [], `the ${f.name} group`, true));
  }
  record;
  groups = /* @__PURE__ */ new Map();
  ref;
  /** Every problem of a record's values (or of an edit's, with `partial`). */
  validate(values, partial = false) {
    const out = [];
    this.record.check(values, "", partial, out);
    return out;
  }
  /** Every problem of one repeat item; paths `group.field`, or `group[index].field`. */
  validateItem(group, values, partial = false, index = null) {
    const out = [];
    const spec = this.groups.get(group);
    if (spec === void 0) {
      add2(out, group, "unknown_group", `is not a repeat group of ${this.ref}`);
      return out;
    }
    spec.check(values, index === null ? group : `${group}[${index}]`, partial, out);
    return out;
  }
};
function hasErrors(problems) {
  return problems.some((p) => p.severity === "error");
}
export {
  CompiledForm,
  DEFAULT_MAX_AHEAD_MS,
  DecodeError,
  DotReuseError,
  EMPTY,
  F64,
  FIX_TYPES,
  HybridClock,
  LOGICAL_BITS,
  MAX_LOGICAL,
  MAX_PHYSICAL,
  MergeError,
  NO_RULES,
  OpError,
  Ordered,
  RecordMismatchError,
  apply,
  bytesEqual,
  closeMatch,
  cmpBytes,
  cmpDotPy,
  cmpStr,
  conflictCount,
  conflictPaths,
  conflictValue,
  conflicts,
  conflictsBytes,
  conflictsSha256,
  covers2 as covers,
  decode,
  dict2 as dict,
  encode,
  encodeOps,
  entryOf,
  floatRepr,
  fmtG,
  fromHex,
  gpsValue,
  guardCode,
  hasErrors,
  hasGuarded,
  historyOf,
  isGuarded,
  isObj,
  isSuspect,
  itemKey,
  keyPath,
  localRefusals,
  materialize,
  opDigest,
  opWire,
  orderedItems,
  pack,
  physicalMs,
  pyRepr,
  pyStr,
  recordBytes,
  recordSha256,
  recordValue,
  refusalMessage,
  register_exports as register,
  rulesFrom,
  show,
  sortCodes,
  toHex,
  toOp,
  toOps,
  unpack,
  valueOf,
  violates,
  vv_exports as vv,
  wallClockMs
};
/*! Bundled license information:

@noble/hashes/utils.js:
  (*! noble-hashes - MIT License (c) 2022 Paul Miller (paulmillr.com) *)
*/
