/**
 * Multi-value registers (sync/register.py): write A supersedes write B iff A's context
 * covers B's dot; live writes are those no other write supersedes. Values compare by
 * their deterministic msgpack bytes (`1`, `1.0` and `true` differ).
 */

import { bytesEqual, cmpStr, encode } from "./msgpack.js";
import { EMPTY, type FieldState, type Log, type Write, cmpDotPy, entryOf } from "./record.js";
import type { Context } from "./ops.js";

/** Compare display keys (hlc, actor, counter) of two writes. */
export function cmpDisplay(log: Log, a: Write, b: Write): number {
  const ha = entryOf(log, a).hlc;
  const hb = entryOf(log, b).hlc;
  if (ha !== hb) return ha < hb ? -1 : 1;
  if (a.actor !== b.actor) return cmpStr(a.actor, b.actor);
  return a.counter - b.counter;
}

function coversW(context: Context, a: Write, b: Write): boolean {
  return (context[b.actor] ?? 0) >= b.counter && !(a.actor === b.actor && a.counter === b.counter);
}

export function supersedes(log: Log, a: Write, b: Write): boolean {
  return coversW(entryOf(log, a).context, a, b);
}

export function concurrent(log: Log, a: Write, b: Write): boolean {
  return (
    (entryOf(log, a).context[b.actor] ?? 0) < b.counter && (entryOf(log, b).context[a.actor] ?? 0) < a.counter
  );
}

function finish(live: Write[], superseded: readonly Write[], log: Log): FieldState {
  if (live.length === 1) return { shown: 0, conflict: false, live, superseded };
  const shown = live.length ? live : superseded;
  let winner = 0;
  for (let i = 1; i < shown.length; i++) if (cmpDisplay(log, shown[i]!, shown[winner]!) > 0) winner = i;
  if (!live.length) return { shown: winner, conflict: true, live, superseded };
  const first = encode(live[0]!.value);
  const conflict = live.slice(1).some((w) => !bytesEqual(encode(w.value), first));
  return { shown: winner, conflict, live, superseded };
}

function insort(list: Write[], w: Write): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmpDotPy(w, list[mid]!) < 0) hi = mid;
    else lo = mid + 1;
  }
  list.splice(lo, 0, w);
}

/** The register with `write` added (its op is already in `log`). */
export function add(state: FieldState, write: Write, log: Log): FieldState {
  const context = entryOf(log, write).context;
  let superseded = state.superseded;
  const live = state.live.filter((w) => !coversW(context, write, w));
  if (live.length !== state.live.length) {
    const lost = state.live.filter((w) => coversW(context, write, w));
    superseded = [...superseded, ...lost].sort(cmpDotPy);
  }
  if ([...state.live, ...state.superseded].some((w) => supersedes(log, w, write))) {
    superseded = [...superseded, write].sort(cmpDotPy);
  } else {
    insort(live, write);
  }
  return finish(live, superseded, log);
}

/** A register from scratch, by the definition. */
export function build(writes: readonly Write[], log: Log): FieldState {
  if (!writes.length) return EMPTY;
  const history = [...writes].sort(cmpDotPy);
  const live = history.filter((w) => !history.some((o) => supersedes(log, o, w)));
  const superseded = history.filter((w) => !live.includes(w));
  return finish(live, superseded, log);
}
