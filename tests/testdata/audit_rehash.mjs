// An independent check of a Cairn archive's audit chain, written from docs/audit.md alone
// with nothing but Node's standard library (node:crypto, node:fs). It shares no code with
// the Python implementation: JCS (RFC 8785) is done here the way the RFC's appendix does
// it in ECMAScript, where JSON.stringify already writes numbers and strings as JCS wants.
//
// usage: node audit_rehash.mjs ARCHIVE_DIR
// prints one JSON line {entries, head, chain, legacy_end} and exits 0, or prints the
// problems and exits 1.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ZERO = "0".repeat(64);

function jcs(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(jcs).join(",") + "]";
  // Object.keys().sort() compares UTF-16 code units, which is the order JCS prescribes.
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + jcs(value[k])).join(",") + "}";
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
const lines = (path) =>
  readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));

const dir = process.argv[2];
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const chain = "project:" + manifest.project;
const problems = [];

let prev = ZERO;
let seq = 0;
let anchor = null;
for (const entry of lines(join(dir, "audit.jsonl"))) {
  const { hash, ...body } = entry;
  const where = `audit.jsonl entry ${entry.seq}`;
  if (body.v !== 2) problems.push(`${where}: format ${body.v}`);
  if (body.chain !== chain) problems.push(`${where}: chain ${body.chain}, not ${chain}`);
  if (body.seq !== seq + 1) problems.push(`${where}: expected entry ${seq + 1}`);
  if (body.prev !== prev) problems.push(`${where}: does not link to the entry before it`);
  if (sha256(Buffer.from(jcs(body), "utf8")) !== hash) problems.push(`${where}: hash differs`);
  if (body.seq === 1) {
    if (body.kind !== "chain.open") problems.push(`${where}: the first entry is not chain.open`);
    anchor = body.data.legacy;
  }
  if (body.data.project !== undefined && body.data.project !== manifest.project) {
    problems.push(`${where}: names project ${body.data.project}`);
  }
  prev = hash;
  seq = body.seq;
}
if (prev !== manifest.audit.head) problems.push(`head ${prev} is not the manifest's`);

let legacyEnd = null;
const v1 = join(dir, "audit-v1.jsonl");
if (existsSync(v1)) {
  let before = ZERO;
  let last = 0;
  for (const line of lines(v1)) {
    const where = `audit-v1.jsonl entry ${line.first}`;
    if (line.first !== last + 1 || line.prev_hash !== before) problems.push(`${where}: gap`);
    if (line.body !== undefined && line.body !== null) {
      const input = Buffer.concat([Buffer.from(line.prev_hash, "hex"), Buffer.from(line.body, "utf8")]);
      if (sha256(input) !== line.hash) problems.push(`${where}: hash differs`);
      if (JSON.parse(line.body)[0] !== line.first) problems.push(`${where}: body is another entry`);
    }
    before = line.hash;
    last = line.last;
  }
  legacyEnd = [last, before];
  if (anchor === null || anchor.seq !== last || anchor.head !== before) {
    problems.push(`audit-v1.jsonl ends at ${last} ${before}, not at the anchor`);
  }
} else if (anchor !== null) {
  problems.push("the chain anchors a format-1 log, but audit-v1.jsonl is missing");
}

if (problems.length) {
  for (const p of problems) console.log(p);
  process.exit(1);
}
console.log(JSON.stringify({ entries: seq, head: prev, chain, legacy_end: legacyEnd }));
