// Merge throughput of the built TypeScript core on a merge corpus (gen_merge_corpus.py):
// each case's ops folded in their first delivery order, the record encoded canonically
// and its conflicts listed, `rounds` times; the median round's ops per second.
//
//     node tests/conformance/bench_merge.mjs CORPUS.msgpack ROUNDS
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const { decode, toOps, rulesFrom, apply, recordBytes, conflicts } = core;
const corpus = decode(new Uint8Array(readFileSync(process.argv[2])));
const rounds = Number(process.argv[3] ?? 5);
const cases = corpus.cases
  .filter((c) => c.error === undefined || c.error === null)
  .map((c) => ({ rules: rulesFrom(c.rules), ops: toOps(decode(c.ops)), order: c.deliveries[0] }));
let ops = 0;
for (const c of cases) ops += c.order.length;
const times = [];
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint();
  for (const c of cases) {
    let record = null;
    for (const [i, suspect] of c.order) record = apply(record, c.ops[i], { suspect, rules: c.rules });
    recordBytes(record);
    conflicts(record);
  }
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({ cases: cases.length, ops, seconds: median, ops_per_s: ops / median }));
