// Runs the validation corpus (gen_validation_corpus.py) against the built TypeScript core:
// every case must give exactly Python's problems (path, message, code, severity), in order.
//
//     node tests/conformance/run_validation.mjs CORPUS.msgpack
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(process.env.CAIRN_CORE ?? join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const { decode, CompiledForm } = core;

const corpus = decode(new Uint8Array(readFileSync(process.argv[2])));
const forms = new Map();
for (const f of corpus.forms) forms.set(`${f.id}@${f.version}`, new CompiledForm(JSON.parse(JSON.stringify(f, (_, v) => (v?.constructor?.name === "F64" ? v.value : v)))));
const failures = [];
const codes = new Set();
let problems = 0;
for (const c of corpus.cases) {
  const form = forms.get(c.form);
  const found = c.group === undefined ? form.validate(c.values, c.partial) : form.validateItem(c.group, c.values, c.partial, c.index);
  const got = found.map((p) => [p.path, p.message, p.code, p.severity]);
  for (const p of c.problems) codes.add(p[2]);
  problems += c.problems.length;
  if (JSON.stringify(got) !== JSON.stringify(c.problems)) {
    failures.push({ form: c.form, group: c.group, values: String(JSON.stringify(c.values, (_, v) => (typeof v === "bigint" ? `${v}n` : v?.constructor?.name === "F64" ? `${v.value}f` : v))).slice(0, 200), got, want: c.problems });
  }
}
const summary = { cases: corpus.cases.length, problems, codes: [...codes].sort(), failures: failures.length, first: failures.slice(0, 5) };
console.log(JSON.stringify(summary, null, 1));
process.exit(failures.length ? 1 : 0);
