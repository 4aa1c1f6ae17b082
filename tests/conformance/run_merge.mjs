// Runs the merge conformance corpus (gen_merge_corpus.py) against the built TypeScript
// core, server/web/static/core/cairn-core.js (the file a browser loads): every delivery of
// every case must give the Python merge's bytes for the record and its conflicts, the
// same item order, or the same error code. Prints a JSON summary; exits 1 on a mismatch.
//
//     node tests/conformance/run_merge.mjs CORPUS.msgpack
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(process.env.CAIRN_CORE ?? join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const { decode, toOps, rulesFrom, apply, recordBytes, conflicts, conflictsBytes, orderedItems, bytesEqual, toHex } = core;

const corpus = decode(new Uint8Array(readFileSync(process.argv[2])));
let deliveries = 0;
const failures = [];

function describe(bytes) {
  try {
    return JSON.stringify(decode(bytes), (_, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? toHex(v) : v?.constructor?.name === "F64" ? `${v.value}f` : v));
  } catch (e) {
    return toHex(bytes);
  }
}

for (const c of corpus.cases) {
  const rules = rulesFrom(c.rules);
  const ops = toOps(decode(c.ops));
  for (const delivery of c.deliveries) {
    deliveries += 1;
    let record = null;
    try {
      for (const [i, suspect] of delivery) record = apply(record, ops[i], { suspect, rules });
    } catch (e) {
      if (c.error === e.code) continue;
      failures.push({ case: c.name, problem: `threw ${e.code ?? ""} ${e.stack}` });
      break;
    }
    if (c.error !== undefined && c.error !== null) {
      failures.push({ case: c.name, problem: `expected error ${c.error}, got a record` });
      break;
    }
    const got = recordBytes(record);
    if (!bytesEqual(got, c.record)) {
      failures.push({ case: c.name, problem: "record bytes differ", got: describe(got), want: describe(c.record) });
      break;
    }
    const gotC = conflictsBytes(conflicts(record));
    if (!bytesEqual(gotC, c.conflicts)) {
      failures.push({ case: c.name, problem: "conflict bytes differ", got: describe(gotC), want: describe(c.conflicts) });
      break;
    }
    for (const [group, want] of Object.entries(c.order)) {
      const got = orderedItems(record, group, rules.order_by[group] ?? null).map(([id]) => id);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failures.push({ case: c.name, problem: `item order of ${group} differs`, got, want });
        break;
      }
    }
  }
}
const summary = { cases: corpus.cases.length, deliveries, failures: failures.length, first: failures.slice(0, 3) };
console.log(JSON.stringify(summary, null, 1));
process.exit(failures.length ? 1 : 0);
