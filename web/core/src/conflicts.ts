/**
 * Reading a consolidated record (sync/conflicts.py): open conflicts with every live value
 * and its provenance, sorted by path; item order.
 */

import { F64, type Value, cmpBytes, cmpStr, encode } from "./msgpack.js";
import { pyStr } from "./pyrepr.js";
import type { Conflict, ConflictKind, ConflictValue, Dict, FieldState, ItemState, KeyConflict, Record, Write } from "./record.js";
import { entryOf, historyOf } from "./record.js";

function sortedKeys<V>(o: Dict<V>): string[] {
  return Object.keys(o).sort(cmpStr);
}

function side(record: Record, w: Write): ConflictValue {
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
    suspect_clock: e.suspect,
  };
}

function conflict(record: Record, kind: ConflictKind, path: string, writes: readonly Write[]): Conflict {
  const ordered = [...writes].sort((a, b) => {
    if (a.actor !== b.actor) return cmpStr(a.actor, b.actor);
    if (a.counter !== b.counter) return a.counter - b.counter;
    return Number(a.value === true) - Number(b.value === true);
  });
  return { kind, path, values: ordered.map((w) => side(record, w)) };
}

export function keyPath(k: KeyConflict): string {
  return `${k.group}{${k.key.map((v) => pyStr(v)).join(", ")}}`;
}

function liveOrHistory(s: FieldState): readonly Write[] {
  return s.live.length ? s.live : historyOf(s);
}

function keyConflict(record: Record, key: KeyConflict): Conflict {
  const members = record.items[key.group] ?? {};
  const sides: ConflictValue[] = [];
  for (const itemId of key.items) {
    const item = members[itemId]!;
    let adds = historyOf(item.presence).filter((w) => w.value === true);
    if (!adds.length) adds = [...item.edits];
    let first = adds[0]!;
    for (const w of adds.slice(1)) {
      const a = entryOf(record.log, w).hlc;
      const b = entryOf(record.log, first).hlc;
      const less =
        a !== b ? a < b : w.actor !== first.actor ? cmpStr(w.actor, first.actor) < 0 : w.counter < first.counter;
      if (less) first = w;
    }
    sides.push(side(record, { actor: first.actor, counter: first.counter, value: itemId, note: "" }));
  }
  return { kind: "key", path: keyPath(key), values: sides };
}

function byPath(a: Conflict, b: Conflict): number {
  return cmpStr(a.path, b.path);
}

/** Every open conflict of `record`, sorted by path. */
export function conflicts(record: Record): Conflict[] {
  const out: Conflict[] = [];
  for (const name of sortedKeys(record.fields)) {
    const state = record.fields[name]!;
    if (state.conflict) out.push(conflict(record, "field", name, liveOrHistory(state)));
  }
  for (const group of sortedKeys(record.items)) {
    const members = record.items[group]!;
    for (const itemId of sortedKeys(members)) {
      const item = members[itemId]!;
      for (const name of sortedKeys(item.fields)) {
        const state = item.fields[name]!;
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

export function conflictCount(record: Record): number {
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

export function conflictPaths(record: Record): string[] {
  return [...new Set(conflicts(record).map((c) => c.path))].sort(cmpStr);
}

type Rank = [number, Value];

function orderValue(v: Value): Rank {
  if (v === null || v === undefined || typeof v === "boolean") return [3, encode(v ?? null)];
  if (typeof v === "number" || typeof v === "bigint") return [0, v];
  if (v instanceof F64) return [0, v.value];
  if (typeof v === "string") return [1, v];
  return [2, encode(v)];
}

function cmpRank(a: Rank, b: Rank): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  const x = a[1];
  const y = b[1];
  if (a[0] === 0) {
    const p = x as number | bigint;
    const q = y as number | bigint;
    return p < q ? -1 : p > q ? 1 : 0;
  }
  if (a[0] === 1) return cmpStr(x as string, y as string);
  return cmpBytes(x as Uint8Array, y as Uint8Array);
}

/** A group's items ordered by `orderField` if given, then by (created HLC, item id). */
export function orderedItems(
  record: Record,
  group: string,
  orderField: string | null = null,
  includeRemoved = false,
): [string, ItemState][] {
  const members = record.items[group] ?? {};
  const chosen: [string, ItemState, Rank][] = [];
  for (const id of Object.keys(members)) {
    const item = members[id]!;
    if (!includeRemoved && !item.present) continue;
    const state = orderField ? item.fields[orderField] : undefined;
    const writes = state ? (state.live.length ? state.live : state.superseded) : [];
    const rank: Rank = state !== undefined ? orderValue(writes.length ? writes[state.shown]!.value : null) : [4, new Uint8Array()];
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
