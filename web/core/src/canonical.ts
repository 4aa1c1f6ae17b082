/**
 * Canonical encoding of consolidated records and conflict sets (sync/canonical.py):
 * msgpack with every map's keys sorted, the register Structs (Write, FieldState,
 * LogEntry) as positional arrays in declared field order, integers shortest, floats
 * float64.
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { type Obj, type Value, cmpStr, encode, toHex } from "./msgpack.js";
import { gpsValue } from "./ops.js";
import type { Conflict, Dict, FieldState, ItemState, LogEntry, Record, Write } from "./record.js";

function writeV(w: Write): Value {
  return [w.actor, w.counter, w.value, w.note];
}

function stateV(s: FieldState): Value {
  return [s.shown, s.conflict, s.live.map(writeV), s.superseded.map(writeV)];
}

function mapV<V>(o: Dict<V>, f: (v: V) => Value): Obj {
  const out = Object.create(null) as Obj;
  for (const k of Object.keys(o)) out[k] = f(o[k]!);
  return out;
}

function itemV(i: ItemState): Value {
  return {
    created_hlc: i.created_hlc,
    present: i.present,
    flagged: i.flagged,
    fields: mapV(i.fields, stateV),
    presence: stateV(i.presence),
    edits: i.edits.map(writeV),
    contest: i.contest.map(writeV),
  };
}

function entryV(e: LogEntry): Value {
  return [e.kind, e.hlc, e.wall_time, e.context, e.digest, e.suspect, e.edit, gpsValue(e.gps)];
}

/** The record as a tree of values the canonical encoder writes. */
export function recordValue(r: Record): Value {
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
    key_conflicts: r.key_conflicts.map((k) => ({ group: k.group, key: [...k.key], items: [...k.items], resolved: k.resolved })),
  };
}

export function recordBytes(r: Record): Uint8Array {
  return encode(recordValue(r));
}

export function recordSha256(r: Record): string {
  return toHex(sha256(recordBytes(r)));
}

export function conflictValue(c: Conflict): Value {
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
      suspect_clock: v.suspect_clock,
    })),
  };
}

/** The canonical encoding of a conflict set, sorted by (path, kind). */
export function conflictsBytes(cs: readonly Conflict[]): Uint8Array {
  const sorted = [...cs].sort((a, b) => cmpStr(a.path, b.path) || cmpStr(a.kind, b.kind));
  return encode(sorted.map(conflictValue));
}

export function conflictsSha256(cs: readonly Conflict[]): string {
  return toHex(sha256(conflictsBytes(cs)));
}
