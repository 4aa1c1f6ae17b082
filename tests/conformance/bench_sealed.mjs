// Sealing throughput of the built TypeScript core (bench/js_core.py writes the input):
// every body sealed as a batch (Ed25519 signature with a WebCrypto key, age encryption)
// to the post-quantum recipient and to the X25519 one, and every sealed pull response
// opened and verified (age decryption with the device's X25519 identity, signature, page
// decode); `rounds` times each, the median round's batches (pages) and MiB per second.
//
//     node tests/conformance/bench_sealed.mjs INPUT.msgpack ROUNDS
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const c = await import(join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));
const input = c.decode(new Uint8Array(readFileSync(process.argv[2])));
const rounds = Number(process.argv[3] ?? 5);
const key = await c.generateSigningKey();

async function timed(job) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    await job();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const bodyBytes = input.bodies.reduce((n, b) => n + b.length, 0);
const pullBytes = input.pulls.reduce((n, b) => n + b.length, 0);
const out = { batches: input.bodies.length, body_bytes: bodyBytes, pulls: input.pulls.length, pull_bytes: pullBytes, webcrypto_signing: !key.extractable };
for (const [name, recipient] of [["seal_pq", input.pq_recipient], ["seal_x25519", input.x_recipient]]) {
  const keyId = c.keyId(recipient);
  await c.sealBatch(input.bodies[0], { deviceId: "dev-1", batchId: c.uuid7(), seq: 1, signingKey: key, serverRecipient: recipient, serverKeyId: keyId });
  const s = await timed(async () => {
    let seq = 0;
    for (const body of input.bodies) {
      await c.sealBatch(body, { deviceId: "dev-1", batchId: "0190f1c2-8a3b-7c4d-9e5f-0a1b2c3d4e5f", seq: ++seq, signingKey: key, serverRecipient: recipient, serverKeyId: keyId });
    }
  });
  out[name] = { seconds: s, per_s: input.bodies.length / s, mib_per_s: bodyBytes / s / 2 ** 20 };
}
const s = await timed(async () => {
  for (const sealed of input.pulls) {
    const o = await c.openPull(sealed, { identities: [input.device_identity], serverPublic: input.server_public, deviceId: "dev-1" });
    c.decodePullPage(o.payload);
  }
});
out.open_pull = { seconds: s, per_s: input.pulls.length / s, mib_per_s: pullBytes / s / 2 ** 20 };
console.log(JSON.stringify(out));
