// Runs the sealed-message corpus (gen_sealed_corpus.py) against the built TypeScript core:
// every sealed batch (opened as the server does), sealed pull response (opened as a device
// does, then its page decoded) and receipt must give the Python verdict: the same error
// code, or the same decoded fields and hashes. Prints a JSON summary; exits 1 on a mismatch.
//
//     node tests/conformance/run_sealed.mjs CORPUS.msgpack
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(process.env.CAIRN_CORE ?? join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const { decode, encode, bytesEqual, toHex, openBatch, openPull, decodePullPage, verifyReceipt, CairnCryptoError } = core;

const corpus = decode(new Uint8Array(readFileSync(process.argv[2])));
const keys = corpus.keys;
const batchIdentities = new Map(Object.entries(keys.batch_identities));
const signers = keys.signers;
const lookup = (id) => (signers[id] ? { device_id: id, public_key: signers[id].public, revoked: signers[id].revoked } : null);
const hex = (b) => createHash("sha256").update(b).digest("hex");

async function verdict(c) {
  if (c.kind === "batch") {
    const o = await openBatch(c.data, batchIdentities, lookup);
    const r = o.routing;
    return encode([r.device_id, r.batch_id, r.seq, r.key_id, o.signed_at, o.sealed_sha256, hex(o.body), hex(o.signed)]);
  }
  if (c.kind === "pull") {
    const o = await openPull(c.data, { identities: [keys.devices[c.device]], serverPublic: keys.server_public, deviceId: c.device_id ?? undefined });
    const h = o.header;
    const p = decodePullPage(o.payload);
    return encode([h.device_id, h.cursor, h.key_id, h.signed_at, hex(o.payload), p.ops, p.cursor, p.more, p.server_time_ms, p.suspect, p.batch_key_id, p.batch_recipient, p.labels]);
  }
  const r = verifyReceipt(c.data, c.public);
  return encode([
    r.batch_id, r.device_id, r.seq, r.sealed_sha256, r.received_at, r.audit_head, r.missing_seqs,
    r.refused.map((x) => [x.index, x.reason, x.code, x.dot === null ? null : [...x.dot], x.kept]),
    r.accepted_ops, r.server_key_id, r.audit_seq,
  ]);
}

const failures = [];
const counts = {};
for (const c of corpus.cases) {
  counts[c.kind] = (counts[c.kind] ?? 0) + 1;
  let got;
  try {
    const summary = await verdict(c);
    if (c.expect !== "") {
      failures.push({ kind: c.kind, case: c.name, problem: `opened, expected ${c.expect}` });
    } else if (!bytesEqual(summary, c.summary)) {
      failures.push({ kind: c.kind, case: c.name, problem: "decoded fields differ", got: toHex(summary), want: toHex(c.summary) });
    }
    continue;
  } catch (e) {
    got = e instanceof CairnCryptoError ? e.code : `not a crypto error: ${e && e.stack}`;
  }
  if (got !== c.expect) failures.push({ kind: c.kind, case: c.name, problem: `gave ${got}, expected ${c.expect || "to open"}` });
}
console.log(JSON.stringify({ cases: corpus.cases.length, counts, failures: failures.length, first: failures.slice(0, 20) }, null, 1));
process.exit(failures.length ? 1 : 0);
