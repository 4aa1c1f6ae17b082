/**
 * The merge (sync/merge.py): a record as a pure, order-independent function of its ops,
 * with the forensic rules (laws.ts) applied while folding. Each function mirrors its
 * Python namesake; the conformance corpus (tests/conformance) proves the bytes equal.
 */

import { type Value, cmpBytes, cmpStr, encode, toHex } from "./msgpack.js";
import { type Fields, type Op, opDigest } from "./ops.js";
import * as register from "./register.js";
import { type Rules, NO_RULES, covers, guardCode, hasGuarded, isGuarded, itemKey, localRefusals, sortCodes, violates } from "./laws.js";
import {
  EMPTY,
  type Dict,
  type FieldState,
  type ItemState,
  type KeyConflict,
  type Log,
  type LogEntry,
  type Record,
  type Refusal,
  type Write,
  cmpDotPy,
  dict,
  historyOf,
  valueOf,
} from "./record.js";

export class MergeError extends Error {
  code: string = "merge_error";
}
export class DotReuseError extends MergeError {
  override code = "dot_reuse";
}
export class RecordMismatchError extends MergeError {
  override code = "record_mismatch";
}

function isEdit(op: Op): boolean {
  if (op.kind === "retract" || op.kind === "review") return false;
  if (op.kind === "resolve" && op.conflict === "retraction") return false;
  return true;
}

/** Python's `str.isdigit()` on a version, then `int()`: ASCII digits only here. */
function formVersion(form: string): bigint {
  const i = form.lastIndexOf("@");
  const version = i < 0 ? form : form.slice(i + 1);
  return /^[0-9]+$/.test(version) ? BigInt(version) : 0n;
}

function maxForm(a: string, b: string): string {
  const va = formVersion(a);
  const vb = formVersion(b);
  if (va !== vb) return va > vb ? a : b;
  return cmpStr(b, a) > 0 ? b : a;
}

function write(op: Op, value: Value, note = ""): Write {
  return { actor: op.dot.actor, counter: op.dot.counter, value, note };
}

function setFields(fields: Dict<FieldState>, values: Fields, op: Op, log: Log, note = ""): Dict<FieldState> {
  const out = dict(fields);
  for (const name of Object.keys(values)) {
    out[name] = register.add(out[name] ?? EMPTY, write(op, values[name]!, note), log);
  }
  return out;
}

function marks(state: FieldState, edits: Iterable<Write>, log: Log): [Write[], boolean, boolean] {
  const raised = state.live.filter((w) => w.value === true);
  const contest: Write[] = [];
  for (const e of edits) if (raised.some((r) => register.concurrent(log, e, r))) contest.push(e);
  const lowered = state.live.some((w) => w.value !== true);
  return [contest, raised.length > 0, lowered || contest.length > 0];
}

function withEdit(edits: readonly Write[], edit: Write): Write[] {
  return [...edits, edit].sort(cmpDotPy);
}

function itemState(item: ItemState, log: Log): ItemState {
  const removals = item.presence.live.filter((w) => w.value === false);
  const adds = item.presence.live.some((w) => w.value === true);
  const contest = item.edits.filter((e) => removals.some((r) => register.concurrent(log, e, r)));
  const removed = removals.length > 0 && !adds && contest.length === 0;
  const flagged = removals.length > 0 && (adds || contest.length > 0);
  return { ...item, present: !removed, flagged, contest };
}

function newItem(hlc: bigint): ItemState {
  return { created_hlc: hlc, present: true, flagged: false, fields: dict(), presence: EMPTY, edits: [], contest: [] };
}

function applyItem(record: Record, op: Op, group: string, itemId: string): Dict<Dict<ItemState>> {
  const items = dict(record.items);
  const members = dict(items[group]);
  let item = members[itemId] ?? newItem(op.hlc);
  item = { ...item, created_hlc: item.created_hlc < op.hlc ? item.created_hlc : op.hlc };
  const log = record.log;
  switch (op.kind) {
    case "item_add":
      item = {
        ...item,
        presence: register.add(item.presence, write(op, true), log),
        fields: setFields(item.fields, op.fields, op, log),
      };
      break;
    case "item_edit":
      item = { ...item, fields: setFields(item.fields, op.fields, op, log), edits: withEdit(item.edits, write(op, true)) };
      break;
    case "item_remove":
      item = { ...item, presence: register.add(item.presence, write(op, false), log) };
      break;
    case "resolve":
      if (op.conflict === "item") {
        item = { ...item, presence: register.add(item.presence, write(op, op.value, op.reason), log) };
      } else if (op.field !== null) {
        const values = dict<Value>();
        values[op.field] = op.value;
        item = {
          ...item,
          fields: setFields(item.fields, values, op, log, op.reason),
          edits: withEdit(item.edits, write(op, true, op.reason)),
        };
      }
      break;
  }
  members[itemId] = itemState(item, log);
  items[group] = members;
  return items;
}

function* loggedEdits(log: Log): Generator<Write> {
  for (const actor of Object.keys(log)) {
    const entries = log[actor]!;
    for (const counter of Object.keys(entries)) {
      if (entries[counter]!.edit) yield { actor, counter: Number(counter), value: false, note: "" };
    }
  }
}

function retraction(record: Record, state: FieldState): Record {
  const [contest, raised, lowered] = marks(state, loggedEdits(record.log), record.log);
  contest.sort(cmpDotPy);
  return {
    ...record,
    retraction: state,
    retraction_contest: contest,
    retracted: raised && !lowered,
    retraction_conflict: raised && lowered,
  };
}

function contestRetraction(record: Record, op: Op): Record {
  const live = record.retraction.live;
  if (!live.length) return record;
  const edit = write(op, false);
  if (!live.some((w) => w.value === true && register.concurrent(record.log, edit, w))) return record;
  const contest = [...record.retraction_contest, edit].sort(cmpDotPy);
  return { ...record, retraction_contest: contest, retracted: false, retraction_conflict: true };
}

function logEntry(op: Op, digest: Uint8Array, suspect: boolean, refused = false): LogEntry {
  return {
    kind: op.kind,
    hlc: op.hlc,
    wall_time: op.wall_time,
    context: op.context,
    digest,
    suspect,
    edit: isEdit(op) && !refused,
    gps: op.gps,
  };
}

function withLog(log: Log, actor: string, counter: number, entry: LogEntry): Log {
  const out = dict(log);
  const entries = dict(log[actor]);
  entries[String(counter)] = entry;
  out[actor] = entries;
  return out;
}

function emptyRecord(op: Op): Record {
  return {
    id: op.record_id,
    form: op.form,
    fields: dict(),
    items: dict(),
    retracted: false,
    retraction_conflict: false,
    retraction: EMPTY,
    retraction_contest: [],
    review: EMPTY,
    vv: dict(),
    created_hlc: op.hlc,
    updated_hlc: op.hlc,
    op_count: 0,
    log: dict(),
    refused: [],
    key_conflicts: [],
  };
}

export interface ApplyOptions {
  suspect?: boolean;
  rules?: Rules;
}

/** Fold one op into `record` (null starts a new one) and return the new record. */
export function apply(record: Record | null, op: Op, opts: ApplyOptions = {}): Record {
  const suspect = opts.suspect ?? false;
  const rules = opts.rules ?? NO_RULES;
  const { actor, counter } = op.dot;
  const digest = opDigest(op);
  if (record === null) {
    record = emptyRecord(op);
  } else if (op.record_id !== record.id) {
    throw new RecordMismatchError(`op ${actor}:${counter} belongs to record ${op.record_id}, not ${record.id}`);
  } else {
    const seen = record.log[actor]?.[String(counter)];
    if (seen !== undefined) {
      if (cmpBytes(seen.digest, digest) !== 0) {
        throw new DotReuseError(
          `dot ${actor}:${counter} on record ${record.id} was already used by a different op; ` +
            "the device's counter was reset: quarantine this batch and re-enroll the device",
        );
      }
      if (suspect && !seen.suspect) {
        return { ...record, log: withLog(record.log, actor, counter, { ...seen, suspect: true }) };
      }
      return record;
    }
  }
  let codes = rules !== NO_RULES ? localRefusals(rules, op) : [];
  let guarded: string[] = [];
  if ((op.kind === "create" || op.kind === "patch") && hasGuarded(rules)) {
    guarded = Object.keys(op.fields)
      .filter((n) => isGuarded(rules, n))
      .sort(cmpStr);
    if (guarded.length) codes = sortCodes([...codes, ...covered(record, rules, op.fields, op, guarded)]);
  }
  const seenCounter = record.vv[actor] ?? 0;
  const log = withLog(record.log, actor, counter, logEntry(op, digest, suspect, codes.length > 0));
  let vv = record.vv;
  if (seenCounter < counter) {
    vv = dict(vv);
    vv[actor] = counter;
  }
  const meta = {
    form: op.form === record.form ? record.form : maxForm(record.form, op.form),
    vv,
    created_hlc: record.created_hlc < op.hlc ? record.created_hlc : op.hlc,
    updated_hlc: record.updated_hlc > op.hlc ? record.updated_hlc : op.hlc,
    op_count: record.op_count + 1,
    log,
  };
  if (codes.length) {
    const values = op.kind === "create" || op.kind === "patch" ? dict(op.fields) : dict<Value>();
    const refusal: Refusal = { actor, counter, codes, values };
    const next = { ...record, refused: withRefusal(record.refused, refusal), ...meta };
    // A refused write still counts as seen: refuse the ops already here that broke its rule.
    return guarded.length ? refuseFollowers(next, rules, (op as { fields: Fields }).fields, op, guarded) : next;
  }
  if (op.kind === "create" || op.kind === "patch") {
    const fields = setFields(record.fields, op.fields, op, log);
    const next = contestRetraction({ ...record, fields, ...meta }, op);
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
        return retraction(record, register.add(record.retraction, write(op, op.value, op.reason), log));
      }
      if (op.group !== null && op.item_id !== null) {
        record = { ...record, items: applyItem(record, op, op.group, op.item_id) };
        if (hasKey(rules, op.group)) record = withKeyConflicts(record, rules, op.group);
      } else if (op.field !== null) {
        const values = dict<Value>();
        values[op.field] = op.value;
        record = { ...record, fields: setFields(record.fields, values, op, log, op.reason) };
      }
      break;
    case "retract":
      return retraction(record, register.add(record.retraction, write(op, true, op.reason), log));
    case "review":
      return { ...record, review: register.add(record.review, write(op, op.state, op.comment), log) };
  }
  return contestRetraction(record, op);
}

function hasKey(rules: Rules, group: string): boolean {
  return Object.prototype.hasOwnProperty.call(rules.item_keys, group);
}

// -- the forensic rules: refusals that do not depend on arrival order ----------------------

function withRefusal(refused: readonly Refusal[], refusal: Refusal): Refusal[] {
  const others = refused.filter((r) => !(r.actor === refusal.actor && r.counter === refusal.counter));
  return [...others, refusal].sort(cmpDotPy);
}

function* writesOf(record: Record, name: string): Generator<[string, number, Value]> {
  const state = record.fields[name];
  if (state !== undefined) for (const w of historyOf(state)) yield [w.actor, w.counter, w.value];
  for (const r of record.refused) {
    if (Object.prototype.hasOwnProperty.call(r.values, name)) yield [r.actor, r.counter, r.values[name]!];
  }
}

function covered(record: Record, rules: Rules, fields: Fields, op: Op, names: string[]): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    const code = guardCode(rules, name);
    for (const [actor, counter, seen] of writesOf(record, name)) {
      const saw = !(actor === op.dot.actor && counter === op.dot.counter) && covers(op.context, actor, counter);
      if (saw && violates(rules, name, fields[name]!, seen)) {
        out.add(code);
        break;
      }
    }
  }
  return out;
}

function refuseFollowers(record: Record, rules: Rules, opFields: Fields, op: Op, names: string[]): Record {
  const late = new Map<string, [string, number, Set<string>]>();
  for (const name of names) {
    for (const [actor, counter, value] of writesOf(record, name)) {
      if (actor === op.dot.actor && counter === op.dot.counter) continue;
      const entry = record.log[actor]![String(counter)]!;
      if (entry.kind !== "create" && entry.kind !== "patch") continue;
      if (covers(entry.context, op.dot.actor, op.dot.counter) && violates(rules, name, value, opFields[name]!)) {
        const k = JSON.stringify([actor, counter]);
        let slot = late.get(k);
        if (!slot) late.set(k, (slot = [actor, counter, new Set()]));
        slot[2].add(guardCode(rules, name));
      }
    }
  }
  if (!late.size) return record;
  let refused: readonly Refusal[] = record.refused;
  const fields = dict(record.fields);
  let log = record.log;
  const order = [...late.values()].sort((a, b) => cmpDotPy({ actor: a[0], counter: a[1] }, { actor: b[0], counter: b[1] }));
  for (const [actor, counter, codes] of order) {
    const known = refused.find((r) => r.actor === actor && r.counter === counter);
    let refusal: Refusal;
    if (known !== undefined) {
      refusal = { ...known, codes: sortCodes([...known.codes, ...codes]) };
    } else {
      const values = dict<Value>();
      for (const name of Object.keys(fields)) {
        const history = historyOf(fields[name]!);
        const mine = history.find((w) => w.actor === actor && w.counter === counter);
        if (mine !== undefined) {
          values[name] = mine.value;
          fields[name] = register.build(
            history.filter((w) => !(w.actor === actor && w.counter === counter)),
            log,
          );
        }
      }
      const entry = { ...log[actor]![String(counter)]!, edit: false };
      log = withLog(log, actor, counter, entry);
      refusal = { actor, counter, codes: sortCodes(codes), values };
    }
    refused = withRefusal(refused, refusal);
  }
  const kept = dict<FieldState>();
  for (const name of Object.keys(fields)) if (historyOf(fields[name]!).length) kept[name] = fields[name]!;
  const next = { ...record, fields: kept, log, refused };
  return historyOf(next.retraction).length ? retraction(next, next.retraction) : next;
}

function addDots(item: ItemState, log: Log): Write[] {
  return historyOf(item.presence).filter((w) => w.value === true && log[w.actor]![String(w.counter)]!.kind === "item_add");
}

function withKeyConflicts(record: Record, rules: Rules, group: string): Record {
  const byKey = new Map<string, [Uint8Array, Value[], string[]]>();
  const members = record.items[group] ?? dict<ItemState>();
  for (const itemId of Object.keys(members)) {
    const item = members[itemId]!;
    if (!item.present) continue;
    const values = dict<Value>();
    for (const n of Object.keys(item.fields)) values[n] = valueOf(item.fields[n]!);
    const key = itemKey(rules, group, values);
    if (key === null) continue;
    const bytes = encode(key);
    const hex = toHex(bytes);
    let slot = byKey.get(hex);
    if (!slot) byKey.set(hex, (slot = [bytes, key, []]));
    slot[2].push(itemId);
  }
  const log = record.log;
  const found: [Uint8Array, KeyConflict][] = [];
  for (const [bytes, key, ids] of byKey.values()) {
    if (ids.length < 2) continue;
    const adds = ids.flatMap((i) => addDots(members[i]!, log));
    const resolved = ids.some((i) =>
      members[i]!.presence.live.some(
        (w) =>
          w.value === true &&
          log[w.actor]![String(w.counter)]!.kind === "resolve" &&
          adds.every((a) => covers(log[w.actor]![String(w.counter)]!.context, a.actor, a.counter)),
      ),
    );
    found.push([bytes, { group, key, items: [...ids].sort(cmpStr), resolved }]);
  }
  const others: [Uint8Array, KeyConflict][] = record.key_conflicts
    .filter((k) => k.group !== group)
    .map((k) => [encode(k.key as Value[]), k]);
  const merged = [...others, ...found]
    .sort((a, b) => (a[1].group !== b[1].group ? cmpStr(a[1].group, b[1].group) : cmpBytes(a[0], b[0])))
    .map((x) => x[1]);
  return { ...record, key_conflicts: merged };
}

export interface MaterializeOptions {
  suspect?: Iterable<readonly [string, number]>;
  rules?: Rules;
}

/** The record of `ops` (any order, duplicates allowed; at least one op). */
export function materialize(ops: Iterable<Op>, opts: MaterializeOptions = {}): Record {
  const flagged = new Set<string>();
  for (const [a, c] of opts.suspect ?? []) flagged.add(`${c}:${a}`);
  let record: Record | null = null;
  for (const op of ops) {
    record = apply(record, op, { suspect: flagged.has(`${op.dot.counter}:${op.dot.actor}`), rules: opts.rules ?? NO_RULES });
  }
  if (record === null) throw new MergeError("materialize needs at least one op; a record exists only through ops");
  return record;
}

