/**
 * Typed reading of decoded msgpack maps, with msgspec's rules for a Struct (what the
 * Python side decodes wire messages into): the value must be a map with string keys;
 * unknown keys are ignored; a field without a default must be there; `int` is a msgpack
 * integer (never a float or a bool), `str` is text, `bytes` is bin, `bool` is a bool,
 * `T | None` admits nil, `tuple[str, int]` is an array of exactly those. A mismatch
 * throws {@link ShapeError}, which each caller turns into its own error class.
 */
import { isObj, type Obj, type Value } from "./msgpack.js";

export class ShapeError extends Error {}

export type Int = number | bigint;

export function asMap(v: Value, what: string): Obj {
  if (!isObj(v)) throw new ShapeError(`${what}: expected a map`);
  return v;
}

function has(m: Obj, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, k);
}

export function isInt(v: Value): v is Int {
  return (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
}

export function int(m: Obj, k: string, dflt?: Int): Int {
  if (!has(m, k)) {
    if (dflt === undefined) throw new ShapeError(`missing field ${k}`);
    return dflt;
  }
  const v = m[k]!;
  if (!isInt(v)) throw new ShapeError(`${k}: expected an int`);
  return v;
}

export function str(m: Obj, k: string, dflt?: string): string {
  if (!has(m, k)) {
    if (dflt === undefined) throw new ShapeError(`missing field ${k}`);
    return dflt;
  }
  const v = m[k];
  if (typeof v !== "string") throw new ShapeError(`${k}: expected a str`);
  return v;
}

export function bin(m: Obj, k: string, dflt?: Uint8Array): Uint8Array {
  if (!has(m, k)) {
    if (dflt === undefined) throw new ShapeError(`missing field ${k}`);
    return dflt;
  }
  const v = m[k];
  if (!(v instanceof Uint8Array)) throw new ShapeError(`${k}: expected bytes`);
  return v;
}

export function bool(m: Obj, k: string, dflt?: boolean): boolean {
  if (!has(m, k)) {
    if (dflt === undefined) throw new ShapeError(`missing field ${k}`);
    return dflt;
  }
  const v = m[k];
  if (typeof v !== "boolean") throw new ShapeError(`${k}: expected a bool`);
  return v;
}

export function list(m: Obj, k: string, dflt?: Value[]): Value[] {
  if (!has(m, k)) {
    if (dflt === undefined) throw new ShapeError(`missing field ${k}`);
    return dflt;
  }
  const v = m[k];
  if (!Array.isArray(v)) throw new ShapeError(`${k}: expected an array`);
  return v as Value[];
}

/** `tuple[str, int]` (a dot). */
export function dotOf(v: Value, what: string): [string, Int] {
  if (!Array.isArray(v) || v.length !== 2) throw new ShapeError(`${what}: expected [str, int]`);
  const [a, c] = v as Value[];
  if (typeof a !== "string" || !isInt(c!)) throw new ShapeError(`${what}: expected [str, int]`);
  return [a, c as Int];
}

export function intOf(v: Value, what: string): Int {
  if (!isInt(v)) throw new ShapeError(`${what}: expected an int`);
  return v;
}
