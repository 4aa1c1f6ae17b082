/**
 * The forensic rules of a form as laws of the merge (sync/laws.py, docs/rules.md):
 * immutable fields, append-only choice lists and groups, item keys. Decided by an op and
 * its causal context alone.
 */

import { type Value, bytesEqual, cmpStr, encode } from "./msgpack.js";
import type { Context, Op } from "./ops.js";

export interface Rules {
  immutable: ReadonlySet<string>;
  append_only_choices: ReadonlySet<string>;
  groups: ReadonlySet<string>;
  append_only_groups: ReadonlySet<string>;
  item_keys: { readonly [group: string]: readonly string[] };
  order_by: { readonly [group: string]: string };
}

export const NO_RULES: Rules = Object.freeze({
  immutable: new Set<string>(),
  append_only_choices: new Set<string>(),
  groups: new Set<string>(),
  append_only_groups: new Set<string>(),
  item_keys: Object.create(null) as { [group: string]: readonly string[] },
  order_by: Object.create(null) as { [group: string]: string },
});

export function isGuarded(rules: Rules, name: string): boolean {
  return rules.immutable.has(name) || rules.append_only_choices.has(name);
}

export function hasGuarded(rules: Rules): boolean {
  return rules.immutable.size > 0 || rules.append_only_choices.size > 0;
}

/** Rules from their plain-data form ({immutable: [...], item_keys: {g: [...]}, ...}). */
export function rulesFrom(data: {
  immutable?: readonly string[];
  append_only_choices?: readonly string[];
  groups?: readonly string[];
  append_only_groups?: readonly string[];
  item_keys?: { [group: string]: readonly string[] };
  order_by?: { [group: string]: string };
}): Rules {
  const own = <V>(o: { [k: string]: V } | undefined) => Object.assign(Object.create(null) as { [k: string]: V }, o ?? {});
  return {
    immutable: new Set(data.immutable ?? []),
    append_only_choices: new Set(data.append_only_choices ?? []),
    groups: new Set(data.groups ?? []),
    append_only_groups: new Set(data.append_only_groups ?? []),
    item_keys: own(data.item_keys),
    order_by: own(data.order_by),
  };
}

export function covers(context: Context, actor: string, counter: number): boolean {
  return (context[actor] ?? 0) >= counter;
}

/** Codes of every op-local law the op breaks, sorted. */
export function localRefusals(rules: Rules, op: Op): string[] {
  const out: string[] = [];
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

export function sortCodes(codes: Iterable<string>): string[] {
  return [...new Set(codes)].sort(cmpStr);
}

export function guardCode(rules: Rules, name: string): string {
  return `${rules.immutable.has(name) ? "immutable" : "append_only_choices"}:${name}`;
}

export function violates(rules: Rules, name: string, value: Value, seen: Value): boolean {
  if (rules.immutable.has(name)) return true;
  if (rules.append_only_choices.has(name)) {
    const kept = Array.isArray(value) ? (value as Value[]) : [];
    const before = Array.isArray(seen) ? (seen as Value[]) : [];
    const have = kept.map((v) => encode(v));
    return before.some((v) => {
      const b = encode(v);
      return !have.some((h) => bytesEqual(h, b));
    });
  }
  return false;
}

/** The declared key of an item from its displayed values; null if unkeyed or incomplete. */
export function itemKey(rules: Rules, group: string, values: { [name: string]: Value }): Value[] | null {
  const names = rules.item_keys[group];
  if (!names || !names.length) return null;
  const key = names.map((n) => (n in values ? values[n]! : null));
  return key.some((v) => v === null || v === undefined || v === "") ? null : key;
}

const MESSAGES: { [kind: string]: string } = {
  immutable:
    "{name} is fixed once written; record a correction as a new record, or ask a supervisor to resolve it",
  append_only_choices: "{name} may only grow: choices recorded earlier cannot be taken away",
  append_only:
    "rows of {name} are append-only: they are never edited or removed; add a correcting row instead",
  group_field: "{name} is a repeat group: add its rows as items (cairn device item add), never set it as a field",
};

export function refusalMessage(codes: Iterable<string>): string {
  const parts: string[] = [];
  for (const code of codes) {
    const i = code.indexOf(":");
    const kind = i < 0 ? code : code.slice(0, i);
    const name = i < 0 ? "" : code.slice(i + 1);
    const text = MESSAGES[kind];
    parts.push(text ? text.split("{name}").join(name) : code);
  }
  return parts.join("; ");
}
