// Runs the official age test vectors (tests/testdata/age, C2SP/CCTV) against the built
// TypeScript core's ageDecrypt: each vector must open to the plaintext of the SHA-256 it
// names, or fail with the error code the Python side gives for it (a stricter check than
// the vector's failure kind: truncated_payload and tampered_payload are told apart, as
// are unsupported_age_version and malformed_header). The expectations come from
// tests/conformance/test_age_vectors_ts.py (Python's verdicts) as JSON.
//
//     node tests/conformance/run_age_vectors.mjs EXPECTED.json
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { inflateSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(process.env.CAIRN_CORE ?? join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const { ageDecrypt, CairnCryptoError } = core;
const vectors = join(here, "..", "testdata", "age");
const expected = JSON.parse(readFileSync(process.argv[2], "utf8"));

function load(name) {
  const raw = readFileSync(join(vectors, name));
  const split = raw.indexOf("\n\n");
  const fields = {};
  for (const line of raw.subarray(0, split).toString("utf8").split("\n")) {
    const i = line.indexOf(": ");
    (fields[line.slice(0, i)] ??= []).push(line.slice(i + 2));
  }
  let body = raw.subarray(split + 2);
  if (fields.compressed?.[0] === "zlib") body = inflateSync(body);
  return { fields, body: new Uint8Array(body) };
}

const failures = [];
const ran = {};
for (const [name, want] of Object.entries(expected)) {
  const { fields, body } = load(name);
  const identities = fields.identity ?? [];
  const armored = fields.armored?.[0] === "yes";
  let got;
  try {
    const plain = await ageDecrypt(body, identities, { armored });
    got = "ok:" + createHash("sha256").update(plain).digest("hex");
  } catch (e) {
    got = e instanceof CairnCryptoError ? e.code : `not a crypto error: ${e && e.stack}`;
  }
  const kind = name.split("_")[0];
  ran[kind] = (ran[kind] ?? 0) + 1;
  if (got !== want) failures.push({ vector: name, got, want, comment: fields.comment?.[0] ?? "" });
}
console.log(JSON.stringify({ vectors: Object.keys(expected).length, ran, failures: failures.length, first: failures.slice(0, 30) }, null, 1));
process.exit(failures.length ? 1 : 0);
