/**
 * Python's `str()` of a field value, as a key conflict's path shows it (sync/record.py
 * KeyConflict.path: `group{v1, v2}`). docs/protocol.md, "Key conflict paths", pins it.
 */

import { F64, type Value, Ordered, cmpStr, isObj } from "./msgpack.js";

/** Python's `repr(float)`: the shortest digits that round-trip, in Python's layout. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expText] = Math.abs(x).toExponential().split("e");
  const digits = mant!.replace(".", "");
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

function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a value (for values nested in a list or dict). */
export function pyRepr(v: Value): string {
  if (typeof v === "string") return strRepr(v);
  if (Array.isArray(v)) return `[${(v as Value[]).map(pyRepr).join(", ")}]`;
  if (isObj(v)) {
    // Python keeps a dict's insertion order; a decoded map has its wire order.
    return `{${Object.keys(v)
      .map((k) => `${strRepr(k)}: ${pyRepr(v[k])}`)
      .join(", ")}}`;
  }
  return pyStr(v);
}

/** Python's `str()` of a value. */
export function pyStr(v: Value): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === "bigint") return v.toString();
  if (v instanceof F64) return floatRepr(v.value);
  if (v instanceof Uint8Array) return `b'${[...v].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}'`;
  if (v instanceof Ordered) return pyRepr(Object.fromEntries(v.entries) as Value);
  return pyRepr(v);
}

