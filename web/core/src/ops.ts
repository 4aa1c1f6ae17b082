/**
 * Operations: the only way a record changes (sync/ops.py), their wire decoding and the
 * content digest that detects a reused dot.
 *
 * An op is a plain object shaped like its msgpack wire form. Integers a replica must keep
 * exact are typed: `hlc` is a `bigint` (a stamp is 48 bits of milliseconds above 16 bits
 * of counter, beyond a double's 53), counters are safe `number`s (see docs/protocol.md,
 * "Integers"), field values are {@link Value}s (floats as {@link F64}).
 */

import { F64, Ordered, type Obj, type Value, encode, isObj } from "./msgpack.js";
import { sha256 } from "@noble/hashes/sha2.js";

export interface Dot {
  actor: string;
  counter: number;
}

export interface GpsFix {
  lat: number;
  lon: number;
  h_acc_m: number;
  fix_time: number | bigint;
  alt_m: number | null;
}

export type Context = { [actor: string]: number };
export type Fields = { [name: string]: Value };

interface Base {
  dot: Dot;
  record_id: string;
  form: string;
  hlc: bigint;
  context: Context;
  wall_time: number | bigint;
  gps: GpsFix | null;
}

export interface Create extends Base {
  kind: "create";
  fields: Fields;
}
export interface Patch extends Base {
  kind: "patch";
  fields: Fields;
}
export interface ItemAdd extends Base {
  kind: "item_add";
  group: string;
  item_id: string;
  fields: Fields;
}
export interface ItemEdit extends Base {
  kind: "item_edit";
  group: string;
  item_id: string;
  fields: Fields;
}
export interface ItemRemove extends Base {
  kind: "item_remove";
  group: string;
  item_id: string;
}
export interface Retract extends Base {
  kind: "retract";
  reason: string;
}
export interface Resolve extends Base {
  kind: "resolve";
  conflict: "field" | "item" | "retraction";
  value: Value;
  reason: string;
  field: string | null;
  group: string | null;
  item_id: string | null;
}
export type ReviewState = "received" | "has_issues" | "approved" | "rejected";
export interface Review extends Base {
  kind: "review";
  state: ReviewState;
  comment: string;
}

export type Op = Create | Patch | ItemAdd | ItemEdit | ItemRemove | Retract | Resolve | Review;
export type Kind = Op["kind"];

/** An op that does not match the schema of sync/ops.py (the server's 422 malformed_body). */
export class OpError extends Error {
  readonly code = "malformed_body";
}

const MAX_STAMP = (1n << 63n) - 1n;
const REVIEW_STATES = new Set(["received", "has_issues", "approved", "rejected"]);
const KINDS: Record<string, readonly string[]> = {
  create: ["fields"],
  patch: ["fields"],
  item_add: ["group", "item_id", "fields"],
  item_edit: ["group", "item_id", "fields"],
  item_remove: ["group", "item_id"],
  retract: ["reason"],
  resolve: ["conflict", "value", "reason", "field", "group", "item_id"],
  review: ["state", "comment"],
};
const BASE = ["dot", "record_id", "form", "hlc", "context", "wall_time", "gps"] as const;

function fail(where: string, what: string): never {
  throw new OpError(`${what} - at \`${where}\``);
}

function str(v: Value, where: string, minLength = 0): string {
  if (typeof v !== "string") fail(where, "Expected `str`");
  if (v.length < minLength) fail(where, `Expected \`str\` of length >= ${minLength}`);
  return v;
}

function int(v: Value, where: string): number | bigint {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return v;
  fail(where, "Expected `int`");
}

function counter(v: Value, where: string): number {
  const n = int(v, where);
  if (typeof n === "bigint") fail(where, "Expected `int` below 2**53 (a counter)");
  if (n < 1) fail(where, "Expected `int` >= 1");
  return n;
}

function float(v: Value, where: string): number {
  if (v instanceof F64) return v.value;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return Number(v);
  fail(where, "Expected `float`");
}

function obj(v: Value, where: string): Obj {
  if (!isObj(v)) fail(where, "Expected `object`");
  return v;
}

function decodeGps(v: Value, where: string): GpsFix | null {
  if (v === null || v === undefined) return null;
  const o = obj(v, where);
  const lat = float(o.lat, `${where}.lat`);
  const lon = float(o.lon, `${where}.lon`);
  const h = float(o.h_acc_m, `${where}.h_acc_m`);
  if (!(lat >= -90 && lat <= 90)) fail(`${where}.lat`, "Expected `float` >= -90.0 and <= 90.0");
  if (!(lon >= -180 && lon <= 180)) fail(`${where}.lon`, "Expected `float` >= -180.0 and <= 180.0");
  if (!(h >= 0)) fail(`${where}.h_acc_m`, "Expected `float` >= 0.0");
  if (o.fix_time === undefined) fail(where, "Object missing required field `fix_time`");
  const alt = o.alt_m === undefined || o.alt_m === null ? null : float(o.alt_m, `${where}.alt_m`);
  return { lat, lon, h_acc_m: h, fix_time: int(o.fix_time, `${where}.fix_time`), alt_m: alt };
}

function fields(v: Value, where: string): Fields {
  const o = obj(v, where);
  const out: Fields = Object.create(null) as Fields;
  for (const k of Object.keys(o)) out[k] = o[k];
  return out;
}

function reason(v: Value, where: string): string {
  const s = str(v, where, 1);
  if (!/\S/u.test(s)) fail(where, "Expected `str` matching regex '\\\\S'");
  return s;
}

/** Validate one decoded wire value as an op (the checks msgspec makes on sync.ops.Op). */
export function toOp(v: Value, where = "$"): Op {
  const o = obj(v, where);
  const kind = o.kind;
  if (typeof kind !== "string" || !(kind in KINDS)) {
    fail(`${where}.kind`, `Invalid value ${JSON.stringify(String(kind))}`);
  }
  for (const name of ["dot", "record_id", "form", "hlc", "context", "wall_time"]) {
    if (o[name] === undefined) fail(where, `Object missing required field \`${name}\``);
  }
  const d = obj(o.dot, `${where}.dot`);
  const dot: Dot = {
    actor: str(d.actor, `${where}.dot.actor`, 1),
    counter: counter(d.counter, `${where}.dot.counter`),
  };
  const hlcRaw = int(o.hlc, `${where}.hlc`);
  const hlc = BigInt(hlcRaw);
  if (hlc < 0n || hlc > MAX_STAMP) fail(`${where}.hlc`, "Expected `int` >= 0 and <= 9223372036854775807");
  const ctxRaw = obj(o.context, `${where}.context`);
  const context: Context = Object.create(null) as Context;
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
    gps: decodeGps(o.gps, `${where}.gps`),
  };
  let op: Op;
  switch (kind) {
    case "create":
      op = { kind, ...base, fields: o.fields === undefined ? Object.create(null) : fields(o.fields, `${where}.fields`) };
      break;
    case "patch":
      if (o.fields === undefined) fail(where, "Object missing required field `fields`");
      op = { kind, ...base, fields: fields(o.fields, `${where}.fields`) };
      break;
    case "item_add":
    case "item_edit":
    case "item_remove": {
      if (o.group === undefined) fail(where, "Object missing required field `group`");
      if (o.item_id === undefined) fail(where, "Object missing required field `item_id`");
      const group = str(o.group, `${where}.group`);
      const item_id = str(o.item_id, `${where}.item_id`);
      if (kind === "item_remove") op = { kind, ...base, group, item_id };
      else if (kind === "item_add")
        op = { kind, ...base, group, item_id, fields: o.fields === undefined ? Object.create(null) : fields(o.fields, `${where}.fields`) };
      else {
        if (o.fields === undefined) fail(where, "Object missing required field `fields`");
        op = { kind, ...base, group, item_id, fields: fields(o.fields, `${where}.fields`) };
      }
      break;
    }
    case "retract":
      if (o.reason === undefined) fail(where, "Object missing required field `reason`");
      op = { kind, ...base, reason: reason(o.reason, `${where}.reason`) };
      break;
    case "resolve": {
      for (const name of ["conflict", "value", "reason"]) {
        if (o[name] === undefined) fail(where, `Object missing required field \`${name}\``);
      }
      const conflict = o.conflict;
      if (conflict !== "field" && conflict !== "item" && conflict !== "retraction") {
        fail(`${where}.conflict`, `Invalid enum value ${JSON.stringify(String(conflict))}`);
      }
      const opt = (x: Value, w: string) => (x === undefined || x === null ? null : str(x, w));
      const r: Resolve = {
        kind,
        ...base,
        conflict,
        value: o.value,
        reason: reason(o.reason, `${where}.reason`),
        field: opt(o.field, `${where}.field`),
        group: opt(o.group, `${where}.group`),
        item_id: opt(o.item_id, `${where}.item_id`),
      };
      if ((r.group === null) !== (r.item_id === null)) {
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
      if (o.state === undefined) fail(where, "Object missing required field `state`");
      const state = o.state;
      if (typeof state !== "string" || !REVIEW_STATES.has(state)) {
        fail(`${where}.state`, `Invalid enum value ${JSON.stringify(String(state))}`);
      }
      const comment = o.comment === undefined ? "" : str(o.comment, `${where}.comment`);
      op = { kind: "review", ...base, state: state as ReviewState, comment };
    }
  }
  if ((op.context[op.dot.actor] ?? 0) >= op.dot.counter) {
    throw new OpError(
      `op ${op.dot.actor}:${op.dot.counter} has a context that already covers its own dot; ` +
        "the context must be the record's version vector before the edit",
    );
  }
  return op;
}

/** Decode a msgpack list of ops already parsed to a {@link Value}. */
export function toOps(v: Value): Op[] {
  if (!Array.isArray(v)) throw new OpError("Expected `array`, got another type - at `$`");
  return (v as Value[]).map((x, i) => toOp(x, `$[${i}]`));
}

function gpsWire(g: GpsFix | null): Value {
  if (g === null) return null;
  return new Ordered([
    ["lat", new F64(g.lat)],
    ["lon", new F64(g.lon)],
    ["h_acc_m", new F64(g.h_acc_m)],
    ["fix_time", g.fix_time],
    ["alt_m", g.alt_m === null ? null : new F64(g.alt_m)],
  ]);
}

/** The GpsFix as a record stores it (a keyed Struct: the canonical encoder sorts its keys). */
export function gpsValue(g: GpsFix | null): Value {
  if (g === null) return null;
  return {
    lat: new F64(g.lat),
    lon: new F64(g.lon),
    h_acc_m: new F64(g.h_acc_m),
    fix_time: g.fix_time,
    alt_m: g.alt_m === null ? null : new F64(g.alt_m),
  };
}

/** The op as msgspec writes it: the `kind` tag first, then every field in declared order. */
export function opWire(op: Op): Ordered {
  const o = op as unknown as Record<string, Value>;
  const entries: [string, Value][] = [["kind", op.kind]];
  for (const name of BASE) {
    if (name === "dot") entries.push(["dot", new Ordered([["actor", op.dot.actor], ["counter", op.dot.counter]])]);
    else if (name === "gps") entries.push(["gps", gpsWire(op.gps)]);
    else entries.push([name, o[name]]);
  }
  for (const name of KINDS[op.kind]!) entries.push([name, o[name]]);
  return new Ordered(entries);
}

/** Encode ops for the wire (msgspec's default encoder: Struct fields in declared order). */
export function encodeOps(ops: readonly Op[]): Uint8Array {
  return encode(ops.map(opWire));
}

/** The 16-byte content digest that detects a reused dot (sync.merge.op_digest). */
export function opDigest(op: Op): Uint8Array {
  return sha256(encode(opWire(op))).subarray(0, 16);
}
