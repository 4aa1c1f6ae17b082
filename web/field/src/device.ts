/**
 * The field device in the browser: what `sync.client.Device` does, over IndexedDB.
 *
 * Every edit is one op (dot = this device and its next counter, context = the record's
 * version vector as seen here, an HLC stamp, the wall time, an optional GPS fix),
 * validated with the core's copy of the server's validation, checked against the form's
 * rules by merging it locally, and committed to IndexedDB (strict durability) before
 * the caller is told it is saved. Push seals pending ops into batches and stores the
 * sealed bytes first; only a receipt that verifies marks ops delivered. Pull verifies
 * each sealed page before anything of it is merged.
 */

import {
  CairnCryptoError,
  CompiledForm,
  DecodeError,
  type DeviceKeys,
  type FetchLike,
  ServerRefused,
  WrongReceipt,
  type Receipt,
  type PullPage,
  type FieldDef,
  type FormDef,
  type Op,
  type Record as CRecord,
  type Rules,
  type Value,
  HybridClock,
  NO_RULES,
  apply,
  decode,
  encode,
  encodeBatchBody,
  sealBatch,
  enroll as coreEnroll,
  fromHex,
  hasErrors,
  isObj,
  materialize,
  opWire,
  pullPage,
  pushBatch,
  refusalMessage,
  rulesFrom,
  toHex,
  toOp,
  valueOf,
  type Problem,
  type GpsFix,
  type Fields,
} from "../../core/src/index.js";
import { type BatchRow, Db, type DraftRow, type FileRow, type OpRow, opKey } from "./db.js";
import { M } from "./messages.js";
import * as att from "./attachment.js";
import { KEYS, loadKeys, makeKeys } from "./keystore.js";

export const BATCH_OPS = 5000;
export const PULL_LIMIT = 5000;
export const CHUNK_BYTES = 4 * 1024 * 1024;
/** How often an upload resumes after dropped connections within one sync. */
export const RESUMES = 5;

export interface IdentifierRule {
  name: string;
  fields: string[];
  scope?: string;
  across_forms?: boolean;
}

export interface PublishedForm extends FormDef {
  description?: string;
  identifiers?: IdentifierRule[];
}

export interface FormsDoc {
  forms: PublishedForm[];
  rules: { [ref: string]: Parameters<typeof rulesFrom>[0] };
}

/** A message for the person at the device; nothing was stored. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly problems: Problem[] = [],
    readonly status = 0,
    readonly code = "",
  ) {
    super(message);
  }
}

/** The server could not be reached; nothing was lost. */
export class Offline extends UserError {}

export function uuid7(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** sync/media.py: the media type from a file's first bytes, never from its name. */
export function sniff(head: Uint8Array): string {
  const starts = (sig: number[], at = 0) => sig.every((x, i) => head[at + i] === x);
  const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
  const table: [number[], string][] = [
    [[0xff, 0xd8, 0xff], "image/jpeg"],
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "image/png"],
    [ascii("GIF87a"), "image/gif"],
    [ascii("GIF89a"), "image/gif"],
    [[0x49, 0x49, 0x2a, 0x00], "image/tiff"],
    [[0x4d, 0x4d, 0x00, 0x2a], "image/tiff"],
    [ascii("BM"), "image/bmp"],
    [ascii("%PDF-"), "application/pdf"],
  ];
  for (const [sig, type] of table) if (starts(sig)) return type;
  if (starts(ascii("RIFF")) && starts(ascii("WEBP"), 8)) return "image/webp";
  if (starts(ascii("ftyp"), 4)) {
    const brand = String.fromCharCode(...head.subarray(8, 12));
    const heif: { [b: string]: string } = { heic: "image/heic", heix: "image/heic", mif1: "image/heif" };
    if (heif[brand]) return heif[brand]!;
  }
  return "application/octet-stream";
}

/** How people compare identifiers (the server's duplicates rule): NFKC, trimmed, case-folded. */
export function normalIdentifier(v: Value): string {
  return String(v ?? "").normalize("NFKC").trim().toLowerCase();
}

export interface SyncCounts {
  pending: number;
  delivered: number;
  refused: number;
  files_pending: number;
}

export type Progress = (done: number, total: number, what: string) => void;

export interface NewFile {
  bytes: Uint8Array;
  filename: string;
}

export class FieldDevice {
  readonly records = new Map<string, CRecord>();
  readonly ops = new Map<string, OpRow>();
  forms = new Map<string, { def: PublishedForm; compiled: CompiledForm }>();
  latest = new Map<string, string>();
  rules = new Map<string, Rules>();
  clock: HybridClock;
  /** The bytes of one upload chunk (smaller in tests, to cut an upload in the middle). */
  chunkBytes = CHUNK_BYTES;
  private suspect = new Set<string>();
  private keys: DeviceKeys | null = null;

  private constructor(
    readonly db: Db,
    readonly meta: Map<string, unknown>,
    readonly fetcher: typeof fetch,
  ) {
    this.clock = new HybridClock(() => Date.now(), { last: BigInt((meta.get("hlc") as string | undefined) ?? "0") });
  }

  static async open(db?: Db, fetcher: typeof fetch = fetch.bind(globalThis)): Promise<FieldDevice> {
    const store = db ?? (await Db.open());
    const dev = new FieldDevice(store, await store.metaAll(), fetcher);
    dev.keys = await loadKeys(store, dev.meta);
    const forms = dev.meta.get("forms") as FormsDoc | undefined;
    if (forms) dev.useForms(forms);
    const rows = await store.all<OpRow>("ops");
    const byRecord = new Map<string, Op[]>();
    for (const row of rows) {
      dev.ops.set(row.key, row);
      if (row.suspect) dev.suspect.add(row.key);
      if (row.excluded) continue;
      const op = toOp(decode(row.blob));
      const list = byRecord.get(op.record_id);
      if (list) list.push(op);
      else byRecord.set(op.record_id, [op]);
    }
    for (const [id, list] of byRecord) dev.records.set(id, dev.fold(list));
    return dev;
  }

  private fold(list: Op[]): CRecord {
    const rules = this.rulesFor(list[0]!.form);
    const suspect = list.filter((o) => this.suspect.has(opKey(o.dot.actor, o.dot.counter))).map((o) => [o.dot.actor, o.dot.counter] as const);
    return materialize(list, { rules, suspect });
  }

  // -- forms ----------------------------------------------------------------------------

  useForms(doc: FormsDoc): void {
    this.forms = new Map();
    this.latest = new Map();
    this.rules = new Map();
    for (const def of doc.forms) {
      const ref = `${def.id}@${def.version}`;
      this.forms.set(ref, { def, compiled: new CompiledForm(def) });
      const known = this.latest.get(def.id);
      if (!known || this.forms.get(known)!.def.version < def.version) this.latest.set(def.id, ref);
    }
    for (const [ref, data] of Object.entries(doc.rules)) this.rules.set(ref.split("@")[0]!, rulesFrom(data));
  }

  /** Fetch the server's form definitions and keep them for offline use. */
  async refreshForms(base = ""): Promise<void> {
    const r = await this.fetcher(`${base}/v1/forms`, { cache: "no-store" });
    if (!r.ok) throw new UserError(M.formsFailed(r.status));
    const doc = (await r.json()) as FormsDoc;
    await this.db.write(["meta"], (tx) => Db.put(tx, "meta", doc, "forms"));
    this.meta.set("forms", doc);
    this.useForms(doc);
  }

  form(ref: string): { def: PublishedForm; compiled: CompiledForm } {
    const exact = this.forms.get(ref) ?? this.forms.get(this.latest.get(ref) ?? "");
    if (!exact) throw new UserError(M.unknownForm(ref));
    return exact;
  }

  rulesFor(ref: string): Rules {
    return this.rules.get(ref.split("@")[0]!) ?? NO_RULES;
  }

  latestForms(): PublishedForm[] {
    return [...this.latest.values()].map((ref) => this.forms.get(ref)!.def).sort((a, b) => a.title.localeCompare(b.title));
  }

  // -- enrollment -----------------------------------------------------------------------

  get enrolled(): boolean {
    return typeof this.meta.get("device_id") === "string";
  }

  get deviceId(): string {
    const id = this.meta.get("device_id");
    if (typeof id !== "string") throw new UserError(M.notEnrolled);
    return id;
  }

  labels(): { [actor: string]: string } {
    return (this.meta.get("labels") as { [a: string]: string } | undefined) ?? {};
  }

  who(actor: string): string {
    if (this.enrolled && actor === this.deviceId) return M.thisDevice(String(this.meta.get("label") ?? ""));
    return this.labels()[actor] ?? actor;
  }

  async enroll(code: string, label: string, base = ""): Promise<void> {
    if (this.enrolled) throw new UserError(M.alreadyEnrolled(this.deviceId));
    const trimmed = code.trim();
    if (!trimmed) throw new UserError(M.codeNeeded);
    const { keys, stored } = await makeKeys();
    let m;
    try {
      m = await coreEnroll(base || location.origin, trimmed, keys, { label: label.trim(), fetch: this.net() });
    } catch (e) {
      if (e instanceof DecodeError) throw new UserError(M.badServerAnswer);
      throw this.refusal(e);
    }
    const values: [string, unknown][] = [
      ["device_id", m.device_id],
      ["project", m.project],
      ["label", label.trim()],
      ["server_url", base || location.origin],
      ["server_signing_public", m.server_signing_public],
      ["server_signing_key_id", m.server_signing_key_id],
      ["batch_recipient", m.batch_recipient],
      ["batch_key_id", m.batch_key_id],
      ["signing_public", keys.signing.publicKey],
      [KEYS, stored],
      ["counter", 0],
      ["cursor", 0],
      ["seq", 0],
      ["clock_offset_ms", Number(m.server_time_ms ?? Date.now()) - Date.now()],
    ];
    await this.db.write(["meta"], (tx) => {
      for (const [k, v] of values) Db.put(tx, "meta", v, k);
    });
    for (const [k, v] of values) this.meta.set(k, v);
    this.keys = keys;
  }

  private get deviceKeys(): DeviceKeys {
    if (!this.keys) throw new UserError(M.notEnrolled);
    return this.keys;
  }

  /** How the private keys are held: non-extractable CryptoKeys, or bytes (older browsers). */
  get keysExtractable(): boolean {
    return this.deviceKeys.signing.extractable || this.deviceKeys.encryption.extractable;
  }

  // -- recording ------------------------------------------------------------------------

  record(id: string): CRecord {
    const r = this.records.get(id);
    if (!r) throw new UserError(M.noRecord(id));
    return r;
  }

  value(record: CRecord, name: string): Value {
    const s = record.fields[name];
    return s ? valueOf(s) : null;
  }

  /** Problems of `values` for a new record or an edit (partial: required checked at the end). */
  check(formRef: string, values: Fields): Problem[] {
    return this.form(formRef).compiled.validate(values, true);
  }

  checkItem(formRef: string, group: string, values: Fields, index: number | null = null): Problem[] {
    return this.form(formRef).compiled.validateItem(group, values, true, index);
  }

  /** Required fields (and required groups) a record still lacks. */
  missingRequired(formRef: string, values: Fields, items: { [group: string]: number }): string[] {
    const def = this.form(formRef).def;
    return def.fields
      .filter((f) => f.required && (f.type === "repeat" ? (items[f.name] ?? 0) === 0 : values[f.name] === undefined || values[f.name] === null))
      .map((f) => f.label || f.name);
  }

  /** Identifiers of this record already used by another record on this device. */
  duplicates(formRef: string, values: Fields, self: string | null): string[] {
    const def = this.form(formRef).def;
    const out: string[] = [];
    for (const rule of def.identifiers ?? []) {
      const mine = rule.fields.map((f) => values[f]);
      if (mine.some((v) => v === undefined || v === null || v === "")) continue;
      const key = mine.map(normalIdentifier).join("\u0000");
      for (const [id, rec] of this.records) {
        if (id === self || rec.retracted) continue;
        const other = this.form(rec.form).def;
        const sameForm = other.id === def.id;
        if (!sameForm && !rule.across_forms) continue;
        const theirRule = sameForm ? rule : (other.identifiers ?? []).find((r) => r.name === rule.name && r.across_forms);
        if (!theirRule) continue;
        const theirs = theirRule.fields.map((f) => this.value(rec, f));
        if (theirs.map(normalIdentifier).join("\u0000") === key) {
          out.push(M.duplicate(rule.fields.join(" + "), mine.map(String).join(" "), this.title(rec)));
          break;
        }
      }
    }
    return out;
  }

  /** The record's human identifiers (grave, body, sample numbers…), as people name it. */
  identifiers(rec: CRecord): string[] {
    const def = this.form(rec.form).def;
    const out: string[] = [];
    for (const rule of def.identifiers ?? []) {
      const vals = rule.fields.map((f) => this.value(rec, f)).filter((v) => v !== null && v !== undefined && v !== "");
      if (vals.length) out.push(vals.map(String).join(" "));
    }
    return out;
  }

  title(rec: CRecord): string {
    const ids = this.identifiers(rec);
    return `${this.form(rec.form).def.title} ${ids[0] ?? rec.id.slice(0, 8)}`;
  }

  private base(recordId: string, form: string, counter: number, gps: GpsFix | null) {
    const existing = this.records.get(recordId);
    return {
      dot: { actor: this.deviceId, counter },
      record_id: recordId,
      form,
      hlc: this.clock.now(),
      context: existing ? { ...existing.vv } : {},
      wall_time: Date.now(),
      gps,
    };
  }

  /** Merge `ops` locally (refused by the form's rules: nothing stored), then commit them
   * (and the files they reference) in one durable transaction. */
  private async commit(ops: Op[], files: FileRow[] = []): Promise<void> {
    let record = this.records.get(ops[0]!.record_id) ?? null;
    for (const op of ops) {
      record = apply(record, op, { rules: this.rulesFor(op.form) });
      const refusal = record.refused.find((r) => r.actor === op.dot.actor && r.counter === op.dot.counter);
      if (refusal) throw new UserError(M.ruleRefused(refusalMessage(refusal.codes)));
    }
    const rows: OpRow[] = ops.map((op) => ({
      key: opKey(op.dot.actor, op.dot.counter),
      actor: op.dot.actor,
      counter: op.dot.counter,
      record_id: op.record_id,
      origin: "local",
      blob: encode(opWire(op)),
      state: "pending",
      batch_id: null,
      reason: "",
      code: "",
      excluded: false,
    }));
    const counter = ops[ops.length - 1]!.dot.counter;
    const hlc = this.clock.last.toString();
    await this.db.write(["ops", "meta", "files", "drafts"], (tx) => {
      for (const row of rows) Db.put(tx, "ops", row);
      for (const f of files) Db.put(tx, "files", f);
      Db.put(tx, "meta", counter, "counter");
      Db.put(tx, "meta", hlc, "hlc");
    });
    this.meta.set("counter", counter);
    this.meta.set("hlc", hlc);
    for (const row of rows) this.ops.set(row.key, row);
    this.records.set(record!.id, record!);
  }

  private nextCounter(): number {
    return Number(this.meta.get("counter") ?? 0) + 1;
  }

  private checked(problems: Problem[]): void {
    if (hasErrors(problems)) throw new UserError(M.notSavedProblems, problems.filter((p) => p.severity === "error"));
  }

  /** A file attached on this device: its value for the record, and the row to keep it. */
  async attach(file: NewFile): Promise<{ value: Value; row: FileRow }> {
    const digest = toHex(att.sha256(file.bytes));
    const media = sniff(file.bytes.subarray(0, 32));
    const value = { sha256: digest, filename: file.filename, media_type: media, size: file.bytes.length };
    return { value, row: { sha256: digest, bytes: file.bytes, size: file.bytes.length, media_type: media, filename: file.filename, delivered: false, receipt: null } };
  }

  /** Create a record with its first repeat-group items, as one durable commit. */
  async create(formRef: string, values: Fields, items: { group: string; values: Fields }[] = [], gps: GpsFix | null = null, files: FileRow[] = [], draftId: string | null = null): Promise<string> {
    const form = this.form(formRef);
    this.checked(this.check(formRef, values));
    items.forEach((it, i) => this.checked(this.checkItem(formRef, it.group, it.values, i)));
    const recordId = uuid7();
    let counter = this.nextCounter();
    const ops: Op[] = [{ kind: "create", fields: values, ...this.base(recordId, form.compiled.ref, counter++, gps) }];
    for (const it of items) {
      ops.push({ kind: "item_add", group: it.group, item_id: uuid7(), fields: it.values, ...this.base(recordId, form.compiled.ref, counter++, null) });
    }
    await this.commit(ops, files);
    if (draftId) await this.dropDraft(draftId);
    return recordId;
  }

  /** Set fields of a record; a fixed field set to the value it holds is left out. */
  async patch(recordId: string, values: Fields, gps: GpsFix | null = null, files: FileRow[] = []): Promise<void> {
    const rec = this.record(recordId);
    this.checked(this.check(rec.form, values));
    const fixed = this.rulesFor(rec.form).immutable;
    const changed: Fields = {};
    for (const [k, v] of Object.entries(values)) {
      const s = rec.fields[k];
      if (fixed.has(k) && s && !s.conflict && s.live.length && sameValue(valueOf(s), v)) continue;
      changed[k] = v;
    }
    if (!Object.keys(changed).length) throw new UserError(M.nothingToChange);
    await this.commit([{ kind: "patch", fields: changed, ...this.base(recordId, rec.form, this.nextCounter(), gps) }], files);
  }

  async addItem(recordId: string, group: string, values: Fields, files: FileRow[] = []): Promise<string> {
    const rec = this.record(recordId);
    this.checked(this.checkItem(rec.form, group, values));
    const itemId = uuid7();
    await this.commit([{ kind: "item_add", group, item_id: itemId, fields: values, ...this.base(recordId, rec.form, this.nextCounter(), null) }], files);
    return itemId;
  }

  async editItem(recordId: string, group: string, itemId: string, values: Fields, files: FileRow[] = []): Promise<void> {
    const rec = this.record(recordId);
    this.checked(this.checkItem(rec.form, group, values));
    await this.commit([{ kind: "item_edit", group, item_id: itemId, fields: values, ...this.base(recordId, rec.form, this.nextCounter(), null) }], files);
  }

  async removeItem(recordId: string, group: string, itemId: string): Promise<void> {
    const rec = this.record(recordId);
    await this.commit([{ kind: "item_remove", group, item_id: itemId, ...this.base(recordId, rec.form, this.nextCounter(), null) }]);
  }

  async retract(recordId: string, reason: string): Promise<void> {
    if (!reason.trim()) throw new UserError(M.retractReason);
    const rec = this.record(recordId);
    await this.commit([{ kind: "retract", reason: reason.trim(), ...this.base(recordId, rec.form, this.nextCounter(), null) }]);
  }

  // -- drafts ---------------------------------------------------------------------------

  async saveDraft(d: DraftRow): Promise<void> {
    await this.db.write(["drafts"], (tx) => Db.put(tx, "drafts", d));
  }

  async drafts(): Promise<DraftRow[]> {
    return (await this.db.all<DraftRow>("drafts")).sort((a, b) => b.saved_ms - a.saved_ms);
  }

  async dropDraft(id: string): Promise<void> {
    await this.db.write(["drafts"], (tx) => Db.del(tx, "drafts", id));
  }

  async file(sha: string): Promise<FileRow | undefined> {
    return this.db.get<FileRow>("files", sha);
  }

  // -- sync -----------------------------------------------------------------------------

  counts(filesPending = 0): SyncCounts {
    let pending = 0;
    let delivered = 0;
    let refused = 0;
    for (const row of this.ops.values()) {
      if (row.origin !== "local") continue;
      if (row.state === "pending" || row.state === "sealed") pending++;
      else if (row.state === "delivered") delivered++;
      else refused++;
    }
    return { pending, delivered, refused, files_pending: filesPending };
  }

  refusedOps(): OpRow[] {
    return [...this.ops.values()].filter((r) => r.origin === "local" && r.state === "refused").sort((a, b) => a.counter - b.counter);
  }

  /** `fetch` for the core's client: a network failure is "offline", nothing lost. */
  private net(): FetchLike {
    return async (url, init) => {
      try {
        return await this.fetcher(url, { method: init.method, body: init.body as BufferSource, headers: init.headers, cache: "no-store" });
      } catch {
        throw new Offline(M.offline);
      }
    };
  }

  /** A server's refusal in plain words: busy (retried later) or refused. */
  private refusal(e: unknown): unknown {
    if (!(e instanceof ServerRefused)) return e;
    if (e.status >= 500 || e.status === 429) return new Offline(M.serverBusy(e.message));
    return new UserError(M.serverRefused(e.message), [], e.status, e.error);
  }

  private async post(url: string, body: Uint8Array, type = "application/msgpack"): Promise<{ status: number; body: Uint8Array; json: { [k: string]: unknown } | null }> {
    let r: Response;
    try {
      r = await this.fetcher(url, { method: "POST", body: body as BufferSource, headers: { "content-type": type }, cache: "no-store" });
    } catch {
      throw new Offline(M.offline);
    }
    if (r.ok) return { status: r.status, body: new Uint8Array(await r.arrayBuffer()), json: null };
    let message = `HTTP ${r.status}`;
    let j: { message?: string; error?: string; details?: { [k: string]: unknown } } = {};
    try {
      j = (await r.json()) as typeof j;
      message = `${j.message ?? message} [${r.status} ${j.error ?? ""}]`;
    } catch {
      /* not JSON */
    }
    if (r.status >= 500 || r.status === 429) throw new Offline(M.serverBusy(message));
    if (r.status === 409 && typeof j.details?.offset === "number") return { status: 409, body: new Uint8Array(), json: j.details };
    throw new UserError(M.serverRefused(message), [], r.status, j.error ?? "");
  }

  /** Seal every pending op into batches; the sealed bytes are stored before any is sent. */
  async sealPending(): Promise<void> {
    const pending = [...this.ops.values()].filter((r) => r.origin === "local" && r.state === "pending").sort((a, b) => a.counter - b.counter);
    for (let start = 0; start < pending.length; start += BATCH_OPS) {
      const chunk = pending.slice(start, start + BATCH_OPS);
      const body = encodeBatchBody(chunk.map((r) => r.blob));
      const batchId = uuid7();
      const seq = Number(this.meta.get("seq") ?? 0) + 1;
      const sealed = await sealBatch(body, {
        deviceId: this.deviceId,
        batchId,
        seq,
        signingKey: this.deviceKeys.signing,
        serverRecipient: String(this.meta.get("batch_recipient")),
        serverKeyId: String(this.meta.get("batch_key_id")),
        signedAt: Date.now(),
      });
      const batch: BatchRow = { batch_id: batchId, seq, dots: chunk.map((r) => r.key), sealed, created_ms: Date.now(), receipt: null, received_ms: null, refused: 0 };
      const updated = chunk.map((r) => ({ ...r, state: "sealed" as const, batch_id: batchId }));
      await this.db.write(["batches", "ops", "meta"], (tx) => {
        Db.put(tx, "batches", batch);
        for (const r of updated) Db.put(tx, "ops", r);
        Db.put(tx, "meta", seq, "seq");
      });
      this.meta.set("seq", seq);
      for (const r of updated) this.ops.set(r.key, r);
    }
  }

  async awaitingReceipt(): Promise<BatchRow[]> {
    return (await this.db.all<BatchRow>("batches")).filter((b) => b.receipt === null).sort((a, b) => a.seq - b.seq);
  }

  /** Seal, then send every batch without a receipt; then upload the files they name. */
  async push(progress?: Progress): Promise<{ batches: number; ops: number; refused: string[]; files: number }> {
    await this.sealPending();
    const batches = await this.awaitingReceipt();
    const serverPublic = this.meta.get("server_signing_public") as Uint8Array;
    const refused: string[] = [];
    let sent = 0;
    for (const [i, batch] of batches.entries()) {
      let receipt: Receipt;
      let answer: Uint8Array;
      try {
        ({ receipt, bytes: answer } = await pushBatch(this.base_url(), batch.sealed!, { batchId: batch.batch_id, deviceId: this.deviceId, serverPublic, fetch: this.net() }));
      } catch (e) {
        if (e instanceof WrongReceipt) throw new UserError(M.receiptOther);
        if (e instanceof CairnCryptoError) throw new UserError(M.receiptBad(e.message));
        throw this.refusal(e);
      }
      const rows: OpRow[] = batch.dots.map((k) => this.ops.get(k)!).map((r) => ({ ...r, state: "delivered" as const }));
      const touched = new Set<string>();
      for (const x of receipt.refused) {
        const key = x.dot ? opKey(x.dot[0], Number(x.dot[1])) : batch.dots[Number(x.index)];
        const at = rows.findIndex((r) => r.key === key);
        if (at < 0) continue;
        rows[at] = { ...rows[at]!, state: "refused", reason: x.reason, code: x.code, excluded: !x.kept };
        if (!x.kept) touched.add(rows[at]!.record_id);
        refused.push(M.refusedLine(batch.seq, Number(x.index), x.reason));
      }
      const done: BatchRow = { ...batch, sealed: null, receipt: answer, received_ms: Number(receipt.received_at), refused: receipt.refused.length };
      await this.db.write(["batches", "ops"], (tx) => {
        Db.put(tx, "batches", done);
        for (const r of rows) Db.put(tx, "ops", r);
      });
      for (const r of rows) this.ops.set(r.key, r);
      for (const id of touched) this.rebuild(id);
      sent += rows.length;
      progress?.(i + 1, batches.length, "batches");
    }
    const files = await this.uploadFiles(progress);
    return { batches: batches.length, ops: sent, refused, files };
  }

  private rebuild(recordId: string): void {
    const list = [...this.ops.values()].filter((r) => r.record_id === recordId && !r.excluded).map((r) => toOp(decode(r.blob)));
    if (list.length) this.records.set(recordId, this.fold(list));
    else this.records.delete(recordId);
  }

  server(): string {
    const url = String(this.meta.get("server_url") ?? "");
    return url === location.origin ? "" : url;
  }

  /** The server's absolute URL (the core's client needs one). */
  private base_url(): string {
    return String(this.meta.get("server_url") || location.origin);
  }

  async pendingFiles(): Promise<FileRow[]> {
    return (await this.db.all<FileRow>("files")).filter((f) => !f.delivered);
  }

  /** Upload each file whose op the server has, until its receipt verifies. */
  async uploadFiles(progress?: Progress): Promise<number> {
    const files = await this.pendingFiles();
    const delivered = new Set<string>();
    for (const row of this.ops.values()) {
      if (row.origin !== "local" || row.state !== "delivered") continue;
      for (const sha of fileRefs(toOp(decode(row.blob)))) delivered.add(sha);
    }
    let done = 0;
    const serverPublic = this.meta.get("server_signing_public") as Uint8Array;
    for (const f of files) {
      if (!delivered.has(f.sha256) || !f.bytes) continue;
      const receipt = await this.uploadOne(f);
      try {
        att.verifyAttachmentReceipt(receipt, serverPublic, { deviceId: this.deviceId, sha256: f.sha256, size: f.size });
      } catch (e) {
        throw new UserError(M.receiptBad((e as Error).message));
      }
      const kept: FileRow = { ...f, delivered: true, receipt, sealed: null, upload_id: null };
      await this.db.write(["files"], (tx) => Db.put(tx, "files", kept));
      done++;
      progress?.(done, files.length, "files");
    }
    return done;
  }

  /**
   * The sealed copy of a file for the current batch key, made once and kept in IndexedDB
   * before its first byte is sent: after a restart the same sealing (same upload id) is
   * resumed from where the server stands, as sync/uploads.py does with its outbox.
   */
  private async sealedFile(f: FileRow): Promise<FileRow & { sealed: Uint8Array; upload_id: Uint8Array }> {
    const keyId = String(this.meta.get("batch_key_id"));
    if (f.sealed && f.upload_id && f.sealed_key_id === keyId) return f as FileRow & { sealed: Uint8Array; upload_id: Uint8Array };
    const { sealed, uploadId } = await att.sealAttachment(f.bytes!, {
      deviceId: this.deviceId,
      sha256: fromHex(f.sha256),
      keyId,
      recipient: String(this.meta.get("batch_recipient")),
      mediaType: f.media_type,
      signedAt: Date.now(),
      signing: this.deviceKeys.signing,
    });
    const row = { ...f, sealed, upload_id: uploadId, sealed_key_id: keyId };
    await this.db.write(["files"], (tx) => Db.put(tx, "files", row));
    return row;
  }

  /** Upload one sealed file from the server's offset until it answers a receipt. */
  private async uploadOne(file: FileRow): Promise<Uint8Array> {
    const f = await this.sealedFile(file);
    const sha = fromHex(f.sha256);
    const url = `${this.server()}/v1/device/attachments/`;
    let offset: number | null = null; // unknown: ask the server where it stands
    let drops = 0;
    for (let step = 0; step < 100000; step++) {
      const data = offset === null ? new Uint8Array() : f.sealed.subarray(offset, Math.min(offset + this.chunkBytes, f.sealed.length));
      const final = offset !== null && offset + data.length >= f.sealed.length;
      const body = await att.sealChunk(data, { deviceId: this.deviceId, uploadId: f.upload_id, sha256: sha, offset: offset ?? 0, final, signedAt: Date.now(), signing: this.deviceKeys.signing });
      let answer: Awaited<ReturnType<FieldDevice["post"]>>;
      try {
        answer = await this.post(url, body, "application/msgpack");
      } catch (e) {
        if (!(e instanceof Offline) || ++drops > RESUMES) throw e instanceof Offline ? new Offline(M.uploadUnfinished(f.filename)) : e;
        offset = null; // the chunk in flight may or may not have landed
        continue;
      }
      if (answer.status === 409) {
        offset = Number(answer.json!.offset);
        continue;
      }
      let state: att.UploadState;
      try {
        state = att.uploadState(answer.body);
      } catch (e) {
        throw new UserError(M.receiptBad((e as Error).message));
      }
      if (state.receipt.length) return state.receipt;
      if (final) throw new UserError(M.uploadUnfinished(f.filename));
      offset = state.offset;
    }
    throw new UserError(M.uploadUnfinished(f.filename));
  }

  /** Fetch and merge every op after the cursor; each sealed page verified before use. */
  async pull(progress?: Progress): Promise<{ ops: number; fresh: number }> {
    const keys = this.deviceKeys;
    const serverPublic = this.meta.get("server_signing_public") as Uint8Array;
    let total = 0;
    let fresh = 0;
    for (let page = 0; page < 100000; page++) {
      const cursor = Number(this.meta.get("cursor") ?? 0);
      let m: PullPage;
      let ops: Op[];
      try {
        m = await pullPage(this.base_url(), { deviceId: this.deviceId, cursor, signing: keys.signing, identity: keys.encryption.identity, serverPublic, limit: PULL_LIMIT, fetch: this.net() });
        ops = m.ops.map((raw) => toOp(decode(raw)));
      } catch (e) {
        if (e instanceof ServerRefused || e instanceof Offline) throw this.refusal(e);
        throw new UserError(M.pullBad((e as Error).message));
      }
      const suspect = new Set(m.suspect.map(([a, c]) => opKey(a, Number(c))));
      const rows: OpRow[] = [];
      const merged = new Map<string, CRecord>();
      for (const [i, op] of ops.entries()) {
        const key = opKey(op.dot.actor, op.dot.counter);
        this.clock.observe(op.hlc);
        if (this.ops.has(key)) continue;
        const before = merged.get(op.record_id) ?? this.records.get(op.record_id) ?? null;
        merged.set(op.record_id, apply(before, op, { rules: this.rulesFor(op.form), suspect: suspect.has(key) }));
        // The server's exact bytes, as the Python device keeps them (never re-encoded).
        rows.push({ key, actor: op.dot.actor, counter: op.dot.counter, record_id: op.record_id, origin: "pulled", blob: m.ops[i]!, state: "delivered", batch_id: null, reason: "", code: "", excluded: false, suspect: suspect.has(key) });
      }
      const meta: [string, unknown][] = [
        ["cursor", Number(m.cursor)],
        ["clock_offset_ms", Number(m.server_time_ms) - Date.now()],
        ["last_pull_ms", Date.now()],
        ["hlc", this.clock.last.toString()],
      ];
      if (m.batch_key_id && m.batch_recipient) meta.push(["batch_key_id", m.batch_key_id], ["batch_recipient", m.batch_recipient]);
      if (Object.keys(m.labels).length) meta.push(["labels", { ...this.labels(), ...m.labels }]);
      await this.db.write(["ops", "meta"], (tx) => {
        for (const r of rows) Db.put(tx, "ops", r);
        for (const [k, v] of meta) Db.put(tx, "meta", v, k);
      });
      for (const [k, v] of meta) this.meta.set(k, v);
      for (const r of rows) {
        this.ops.set(r.key, r);
        if (r.suspect) this.suspect.add(r.key);
      }
      for (const [id, rec] of merged) this.records.set(id, rec);
      total += ops.length;
      fresh += rows.length;
      progress?.(total, total + (m.more ? 1 : 0), "ops");
      if (!m.more) break;
    }
    return { ops: total, fresh };
  }
}

function sameValue(a: Value, b: Value): boolean {
  try {
    return toHex(encode(a)) === toHex(encode(b));
  } catch {
    return false;
  }
}

/** The SHA-256 of every file an op's values name ({sha256, filename, media_type, size}). */
export function fileRefs(op: Op): string[] {
  const out: string[] = [];
  const walk = (v: Value) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) {
      if (typeof v.sha256 === "string" && /^[0-9a-f]{64}$/.test(v.sha256) && "size" in v) out.push(v.sha256);
      else Object.values(v).forEach(walk);
    }
  };
  if ("fields" in op) walk(op.fields as Value);
  return out;
}

export type { FieldDef };
