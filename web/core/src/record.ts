/**
 * Consolidated records (sync/record.py): what the merge computes. Treated as immutable:
 * the merge copies what it changes. Dict-like members are null-prototype objects (keys
 * come from devices: `__proto__` is just a name); their order does not matter, since the
 * canonical encoding sorts every map (canonical.ts). Arrays are kept in the order the
 * Python side keeps its tuples (by dot, by path...).
 */

import { type Value, cmpStr } from "./msgpack.js";
import type { Context, Fields, GpsFix, Kind } from "./ops.js";

export interface Write {
  actor: string;
  counter: number;
  value: Value;
  note: string;
}

export interface FieldState {
  shown: number;
  conflict: boolean;
  live: readonly Write[];
  superseded: readonly Write[];
}

export interface ItemState {
  created_hlc: bigint;
  present: boolean;
  flagged: boolean;
  fields: Dict<FieldState>;
  presence: FieldState;
  edits: readonly Write[];
  contest: readonly Write[];
}

export interface LogEntry {
  kind: Kind;
  hlc: bigint;
  wall_time: number | bigint;
  context: Context;
  digest: Uint8Array;
  suspect: boolean;
  edit: boolean;
  gps: GpsFix | null;
}

export type Dict<V> = { [key: string]: V };
export type Log = Dict<Dict<LogEntry>>;

export interface Refusal {
  actor: string;
  counter: number;
  codes: readonly string[];
  values: Fields;
}

export interface KeyConflict {
  group: string;
  key: readonly Value[];
  items: readonly string[];
  resolved: boolean;
}

export interface Record {
  id: string;
  form: string;
  fields: Dict<FieldState>;
  items: Dict<Dict<ItemState>>;
  retracted: boolean;
  retraction_conflict: boolean;
  retraction: FieldState;
  retraction_contest: readonly Write[];
  review: FieldState;
  vv: Dict<number>;
  created_hlc: bigint;
  updated_hlc: bigint;
  op_count: number;
  log: Log;
  refused: readonly Refusal[];
  key_conflicts: readonly KeyConflict[];
}

export interface ConflictValue {
  actor: string;
  counter: number;
  kind: string;
  hlc: bigint;
  wall_time: number | bigint;
  value: Value;
  note: string;
  gps: GpsFix | null;
  suspect_clock: boolean;
}

export type ConflictKind = "field" | "item" | "retraction" | "key";

export interface Conflict {
  kind: ConflictKind;
  path: string;
  values: readonly ConflictValue[];
}

export const EMPTY: FieldState = Object.freeze({ shown: 0, conflict: false, live: [], superseded: [] });

export function dict<V>(from?: Dict<V>): Dict<V> {
  const out = Object.create(null) as Dict<V>;
  return from ? Object.assign(out, from) : out;
}

export function entryOf(log: Log, w: { actor: string; counter: number }): LogEntry {
  return log[w.actor]![String(w.counter)]!;
}

/** The displayed value of a register: its display winner's (null when empty). */
export function valueOf(state: FieldState): Value {
  const writes = state.live.length ? state.live : state.superseded;
  return writes.length ? writes[state.shown]!.value : null;
}

/** Every write of a register, sorted by dot. */
export function historyOf(state: FieldState): readonly Write[] {
  if (!state.superseded.length) return state.live;
  if (!state.live.length) return state.superseded;
  return [...state.live, ...state.superseded].sort(cmpDotPy);
}

/** Dot order with Python's string order on actor ids. */
export function cmpDotPy(a: { actor: string; counter: number }, b: { actor: string; counter: number }): number {
  return a.actor === b.actor ? a.counter - b.counter : cmpStr(a.actor, b.actor);
}
