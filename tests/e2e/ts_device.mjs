// A field device on the built TypeScript core (server/web/static/core/cairn-core.js), for
// the wire tests against a real `cairn serve` (tests/e2e/test_ts_device.py). It keeps its
// state in memory and takes one JSON command per line on stdin, answering one JSON line
// on stdout: enroll, new, edit, seal, push, pull, record, status, push_tampered.
// Byte values (field values, record bytes) travel as hex of their msgpack.
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const c = await import(process.env.CAIRN_CORE ?? join(here, "..", "..", "server", "web", "static", "core", "cairn-core.js"));

const state = {
  url: "",
  keys: null,
  enrolled: null,
  serverPublic: null,
  batchKey: { batch_key_id: "", batch_recipient: "" },
  counter: 0,
  cursor: 0,
  clock: new c.HybridClock(),
  records: new Map(), // record_id -> Record
  rules: new Map(), // form ref -> Rules
  pending: [], // op bytes not yet in a batch
  batches: [], // { batchId, seq, sealed, keyId, receipt }
  seq: 0,
  labels: {},
};

function rulesOf(form) {
  return state.rules.get(form) ?? c.NO_RULES;
}

function commit(op) {
  const bytes = c.encode(c.opWire(op));
  const record = c.apply(state.records.get(op.record_id) ?? null, op, { rules: rulesOf(op.form) });
  if (record.refused.some((r) => r.actor === op.dot.actor && r.counter === op.dot.counter)) {
    throw new Error("not stored: the form's rules refuse this edit");
  }
  state.records.set(op.record_id, record);
  state.pending.push(bytes);
  state.counter = op.dot.counter;
}

function base(recordId, form) {
  const record = state.records.get(recordId);
  return {
    dot: { actor: state.enrolled.device_id, counter: state.counter + 1 },
    record_id: recordId,
    form,
    hlc: state.clock.now(),
    context: record ? { ...record.vv } : {},
    wall_time: Date.now(),
    gps: null,
  };
}

async function seal() {
  if (state.pending.length === 0) return null;
  const body = c.encodeBatchBody(state.pending);
  const batchId = c.uuid7();
  const seq = ++state.seq;
  const sealed = await c.sealBatch(body, {
    deviceId: state.enrolled.device_id,
    batchId,
    seq,
    signingKey: state.keys.signing,
    serverRecipient: state.batchKey.batch_recipient,
    serverKeyId: state.batchKey.batch_key_id,
  });
  state.batches.push({ batchId, seq, sealed, keyId: state.batchKey.batch_key_id, receipt: null });
  state.pending = [];
  return { batch_id: batchId, seq, key_id: state.batchKey.batch_key_id };
}

async function push() {
  await seal();
  const done = [];
  for (const b of state.batches.filter((x) => x.receipt === null)) {
    const { receipt } = await c.pushBatch(state.url, b.sealed, {
      batchId: b.batchId,
      deviceId: state.enrolled.device_id,
      serverPublic: state.serverPublic,
    });
    b.receipt = receipt;
    done.push({
      batch_id: receipt.batch_id,
      seq: Number(receipt.seq),
      key_id: b.keyId,
      accepted_ops: Number(receipt.accepted_ops),
      refused: receipt.refused.map((r) => `${r.code}: ${r.reason}`),
      missing_seqs: receipt.missing_seqs.map(Number),
      sealed_sha256: receipt.sealed_sha256,
    });
  }
  return { receipts: done };
}

async function pull() {
  let total = 0;
  for (;;) {
    const page = await c.pullPage(state.url, {
      deviceId: state.enrolled.device_id,
      cursor: state.cursor,
      signing: state.keys.signing,
      identity: state.keys.encryption.identity,
      serverPublic: state.serverPublic,
    });
    const suspect = new Set(page.suspect.map(([a, n]) => `${a}\u0000${n}`));
    for (const bytes of page.ops) {
      const op = c.toOp(c.decode(bytes));
      const flagged = suspect.has(`${op.dot.actor}\u0000${op.dot.counter}`);
      state.records.set(op.record_id, c.apply(state.records.get(op.record_id) ?? null, op, { suspect: flagged, rules: rulesOf(op.form) }));
      state.clock.observe(op.hlc);
    }
    state.batchKey = c.batchKeyAfter(state.batchKey, page);
    Object.assign(state.labels, page.labels);
    total += page.ops.length;
    state.cursor = page.cursor;
    if (!page.more) break;
  }
  return { ops: total, cursor: Number(state.cursor), batch_key_id: state.batchKey.batch_key_id };
}

const commands = {
  async enroll({ url, code, label, rules }) {
    state.url = url;
    state.keys = await c.generateDeviceKeys();
    const answer = await c.enroll(url, code, state.keys, { label });
    state.enrolled = answer;
    state.serverPublic = answer.server_signing_public;
    state.batchKey = { batch_key_id: answer.batch_key_id, batch_recipient: answer.batch_recipient };
    for (const [form, data] of Object.entries(rules ?? {})) state.rules.set(form, c.rulesFrom(data));
    return {
      device_id: answer.device_id,
      project: answer.project,
      batch_key_id: answer.batch_key_id,
      signing_extractable: state.keys.signing.extractable,
      encryption_extractable: state.keys.encryption.extractable,
      signing_public: c.toHex(state.keys.signing.publicKey),
      recipient: state.keys.encryption.recipient,
    };
  },
  async new({ form, fields }) {
    const recordId = c.uuid7();
    commit({ kind: "create", ...base(recordId, form), fields: c.decode(c.fromHex(fields)) });
    return { record_id: recordId };
  },
  async edit({ record_id, fields }) {
    const record = state.records.get(record_id);
    commit({ kind: "patch", ...base(record_id, record.form), fields: c.decode(c.fromHex(fields)) });
    return {};
  },
  seal,
  push,
  pull,
  async record({ record_id }) {
    const record = state.records.get(record_id);
    return record ? { bytes: c.toHex(c.recordBytes(record)), conflicts: c.conflictPaths(record) } : { bytes: null };
  },
  async push_tampered() {
    // A batch altered in transit: the server must refuse it and store nothing.
    const b = state.batches.at(-1);
    const bad = b.sealed.slice();
    bad[bad.length - 3] ^= 0x10;
    try {
      await c.pushBatch(state.url, bad, { batchId: b.batchId, deviceId: state.enrolled.device_id, serverPublic: state.serverPublic });
      return { refused: null };
    } catch (e) {
      return { refused: e.error ?? e.code, status: e.status };
    }
  },
};

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const msg = JSON.parse(line);
  try {
    const result = await commands[msg.cmd](msg);
    process.stdout.write(JSON.stringify({ ok: true, ...result }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack), code: e?.code ?? e?.error ?? "" }) + "\n");
  }
}
