/**
 * Version vectors (sync/vv.py): actor id to the highest counter seen on one record.
 * Missing actors count as 0; every function returns a new vector.
 */

export type VersionVector = { readonly [actor: string]: number };
export type Order = "before" | "after" | "equal" | "concurrent";

function dict(): { [actor: string]: number } {
  return Object.create(null) as { [actor: string]: number };
}

export function covers(vv: VersionVector, actor: string, counter: number): boolean {
  return (vv[actor] ?? 0) >= counter;
}

export function compare(a: VersionVector, b: VersionVector): Order {
  let less = false;
  let greater = false;
  for (const actor of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[actor] ?? 0;
    const y = b[actor] ?? 0;
    if (x < y) less = true;
    else if (x > y) greater = true;
    if (less && greater) return "concurrent";
  }
  return less ? "before" : greater ? "after" : "equal";
}

export function merge(a: VersionVector, b: VersionVector): { [actor: string]: number } {
  const out = Object.assign(dict(), a);
  for (const [actor, counter] of Object.entries(b)) if (counter > (out[actor] ?? 0)) out[actor] = counter;
  return out;
}

export function withDot(vv: VersionVector, actor: string, counter: number): { [actor: string]: number } {
  const out = Object.assign(dict(), vv);
  if ((out[actor] ?? 0) < counter) out[actor] = counter;
  return out;
}

export function fromDots(dots: Iterable<readonly [string, number]>): { [actor: string]: number } {
  const out = dict();
  for (const [actor, counter] of dots) if (counter > (out[actor] ?? 0)) out[actor] = counter;
  return out;
}
