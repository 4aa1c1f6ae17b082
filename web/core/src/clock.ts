/**
 * Hybrid logical clocks (sync/clock.py; Kulkarni et al., OPODIS 2014, figure 5). A stamp
 * packs 48 bits of milliseconds above a 16-bit logical counter into one 64-bit integer,
 * so it is a `bigint` here: a JavaScript number would round it.
 */

export const LOGICAL_BITS = 16n;
export const MAX_LOGICAL = (1n << LOGICAL_BITS) - 1n;
export const MAX_PHYSICAL = (1n << 48n) - 1n;
export const DEFAULT_MAX_AHEAD_MS = 5 * 60 * 1000;

export function wallClockMs(): number {
  return Date.now();
}

export function pack(physical: bigint | number, logical: bigint | number): bigint {
  const p = BigInt(physical);
  const l = BigInt(logical);
  if (p < 0n || p > MAX_PHYSICAL) {
    throw new RangeError(`physical time ${p} ms is outside 0..2**48-1; check the clock`);
  }
  if (l < 0n || l > MAX_LOGICAL) throw new RangeError(`logical counter ${l} is outside 0..65535`);
  return (p << LOGICAL_BITS) | l;
}

export function unpack(stamp: bigint): [bigint, bigint] {
  if (stamp < 0n || stamp >= 1n << 64n) {
    throw new RangeError(`HLC stamp ${stamp} is not an unsigned 64-bit integer`);
  }
  return [stamp >> LOGICAL_BITS, stamp & MAX_LOGICAL];
}

export function physicalMs(stamp: bigint): bigint {
  return unpack(stamp)[0];
}

export function isSuspect(stamp: bigint, nowMs: number, maxAheadMs = DEFAULT_MAX_AHEAD_MS): boolean {
  return physicalMs(stamp) - BigInt(nowMs) > BigInt(maxAheadMs);
}

export class HybridClock {
  private l: bigint;
  private c: bigint;
  private readonly maxAhead: bigint;

  constructor(
    private readonly time: () => number = wallClockMs,
    opts: { maxAheadMs?: number; last?: bigint } = {},
  ) {
    const ahead = opts.maxAheadMs ?? DEFAULT_MAX_AHEAD_MS;
    if (ahead < 0) throw new RangeError("max_ahead_ms must be zero or positive");
    this.maxAhead = BigInt(ahead);
    [this.l, this.c] = unpack(opts.last ?? 0n);
  }

  get last(): bigint {
    return pack(this.l, this.c);
  }

  private set(physical: bigint, logical: bigint): bigint {
    if (logical > MAX_LOGICAL) {
      physical += 1n;
      logical = 0n;
    }
    this.l = physical;
    this.c = logical;
    return pack(physical, logical);
  }

  now(): bigint {
    const pt = BigInt(this.time());
    if (pt > this.l) return this.set(pt, 0n);
    return this.set(this.l, this.c + 1n);
  }

  observe(remote: bigint): bigint {
    const pt = BigInt(this.time());
    let [rl, rc] = unpack(remote);
    const cap = pt + this.maxAhead;
    if (rl > cap) {
      rl = cap;
      rc = 0n;
    }
    let top = this.l > rl ? this.l : rl;
    if (pt > top) top = pt;
    let logical: bigint;
    if (top === this.l && top === rl) logical = (this.c > rc ? this.c : rc) + 1n;
    else if (top === this.l) logical = this.c + 1n;
    else if (top === rl) logical = rc + 1n;
    else logical = 0n;
    return this.set(top, logical);
  }
}
