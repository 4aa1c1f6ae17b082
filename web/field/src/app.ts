/**
 * The field app's screens: set up (enroll), the list of records, a form to record, a
 * record with its items, conflicts and review, and sync. Hash routes (#/, #/new/FORM,
 * #/record/ID, #/sync) so the one cached page serves every screen offline.
 */

import { type Conflict, F64, type Fields, type Op, type Value, conflicts, decode, orderedItems, recordSha256, toOp, valueOf } from "../../core/src/index.js";
import type { DraftRow, FileRow } from "./db.js";
import { FieldDevice, Offline, type PublishedForm, UserError, uuid7 } from "./device.js";
import { Editor } from "./editor.js";
import { M, choiceLabel } from "./messages.js";
import { h, show } from "./widgets.js";

let dev: FieldDevice;
let syncing: Promise<void> | null = null;
// Something typed on the current screen and not saved: a sync then leaves the screen be.
let dirty = false;
let persistent = false;
let filesPending = 0;
const main = () => document.getElementById("main")!;

function toast(text: string, bad = false): void {
  const t = document.getElementById("toast")!;
  t.textContent = text;
  t.className = `toast show${bad ? " bad" : ""}`;
  window.clearTimeout((toast as unknown as { timer?: number }).timer);
  (toast as unknown as { timer?: number }).timer = window.setTimeout(() => (t.className = "toast"), 6000);
}

async function refreshCounts(): Promise<void> {
  if (!dev?.enrolled) {
    document.getElementById("counts")!.replaceChildren(navigator.onLine ? "" : h("span", { class: "offline", text: M.offlineBadge }));
    return;
  }
  filesPending = (await dev.pendingFiles()).length;
  const c = dev.counts(filesPending);
  const parts = M.counts(c.pending, c.delivered, c.refused, c.files_pending);
  const box = document.getElementById("counts")!;
  box.replaceChildren(
    ...parts.map((p, i) => h("span", { "data-count": ["pending", "delivered", "refused", "files"][i], text: p })),
    navigator.onLine ? h("a", { href: "#/sync", text: M.sync }) : h("span", { class: "offline", text: M.offlineBadge }),
  );
}

function screen(title: string, ...children: (Node | null | false)[]): void {
  dirty = false;
  document.title = `${title} – ${M.appName}`;
  main().replaceChildren(h("h1", { text: title }), ...children.filter((c): c is Node => !!c));
  main().focus();
}

function when(ms: number | bigint): string {
  return new Date(Number(ms)).toLocaleString();
}

function fail(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  toast(msg, !(e instanceof Offline));
}

// -- enrollment ---------------------------------------------------------------------------

function enrollScreen(): void {
  const code = h("input", { id: "code", type: "text", autocomplete: "off", autocapitalize: "off", spellcheck: "false", "aria-describedby": "code-help" });
  const label = h("input", { id: "label", type: "text", autocomplete: "off", "aria-describedby": "label-help" });
  const status = h("p", { "aria-live": "polite", id: "enroll-status" });
  const go = h("button", { type: "submit", id: "enroll", text: M.enrollButton });
  const scan = h("button", { type: "button", class: "secondary", id: "scan", text: M.scanButton });
  const video = h("video", { muted: true, playsinline: true, hidden: true });
  let stream: MediaStream | null = null;
  const stopScan = () => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    scan.textContent = M.scanButton;
  };
  scan.addEventListener("click", async () => {
    if (stream) return stopScan();
    const Detector = (window as unknown as { BarcodeDetector?: new (o: object) => { detect(v: HTMLVideoElement): Promise<{ rawValue: string }[]> } }).BarcodeDetector;
    if (!Detector || !navigator.mediaDevices) {
      status.textContent = M.scanUnavailable;
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (e) {
      status.textContent = M.scanFailed((e as Error).message);
      return;
    }
    const detector = new Detector({ formats: ["qr_code"] });
    video.srcObject = stream;
    video.hidden = false;
    scan.textContent = M.scanStop;
    await video.play();
    const tick = async () => {
      if (!stream) return;
      try {
        const found = await detector.detect(video);
        const raw = found[0]?.rawValue;
        if (raw) {
          // The console's QR code holds URL/field/#enroll=CODE (or just the code).
          const m = /[?&#](?:enroll|code)=([^&]+)/.exec(raw);
          code.value = m ? decodeURIComponent(m[1]!) : raw.trim();
          stopScan();
          return;
        }
      } catch {
        /* next frame */
      }
      window.setTimeout(tick, 250);
    };
    void tick();
  });
  const form = h(
    "form",
    {},
    h("p", { text: M.enrollIntro }),
    h("div", { class: "field" }, h("label", { for: "code", text: M.enrollCode }), h("p", { class: "help", id: "code-help", text: M.enrollCodeHelp }), code),
    h("div", { class: "row" }, scan),
    video,
    h("div", { class: "field" }, h("label", { for: "label", text: M.enrollLabel }), h("p", { class: "help", id: "label-help", text: M.enrollLabelHelp }), label),
    go,
    status,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    stopScan();
    go.disabled = true;
    status.textContent = M.enrolling;
    try {
      await dev.enroll(code.value, label.value);
      if (navigator.onLine) await dev.refreshForms().catch(() => undefined);
      toast(M.enrolled(dev.deviceId, String(dev.meta.get("project"))));
      location.hash = "#/";
      await route();
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
      go.disabled = false;
    }
  });
  // The console's enrollment link and QR code: URL/field/#enroll=CODE.
  const linked = /^#enroll=([^&]+)/.exec(location.hash);
  if (linked) code.value = decodeURIComponent(linked[1]!);
  screen(M.enrollTitle, form);
}

// -- the list -----------------------------------------------------------------------------

async function homeScreen(): Promise<void> {
  if (!dev.forms.size) {
    screen(M.home, h("p", { class: "problem", text: M.formsMissing }));
    return;
  }
  const search = h("input", { id: "search", type: "search", autocomplete: "off", spellcheck: "false" });
  const list = h("ul", { class: "list", id: "records" });
  const heading = h("h2", {});
  const records = [...dev.records.values()].sort((a, b) => (a.updated_hlc < b.updated_hlc ? 1 : -1));
  const render = () => {
    const q = search.value.normalize("NFKC").trim().toLowerCase();
    const shown = records.filter((r) => !q || dev.identifiers(r).some((i) => i.normalize("NFKC").toLowerCase().includes(q)));
    heading.textContent = M.recordsTitle(records.length);
    list.replaceChildren(
      ...shown.map((r) => {
        const notes: string[] = [];
        if (r.retracted) notes.push(M.retracted);
        if (conflicts(r).length) notes.push(M.inConflict);
        const unsent = [...dev.ops.values()].some((o) => o.record_id === r.id && o.origin === "local" && (o.state === "pending" || o.state === "sealed"));
        if (unsent) notes.push(M.notDelivered);
        return h(
          "li",
          {},
          h(
            "a",
            { href: `#/record/${r.id}`, "data-record": r.id },
            h("strong", { text: dev.title(r) }),
            h("br"),
            h("span", { class: "meta", text: [dev.identifiers(r).slice(1).join(" · "), ...notes].filter(Boolean).join(" · ") }),
          ),
        );
      }),
    );
    if (!records.length) list.replaceChildren(h("li", { text: M.noRecords }));
    else if (!shown.length) list.replaceChildren(h("li", { text: M.noMatch(search.value) }));
  };
  search.addEventListener("input", render);
  render();
  const forms = dev.latestForms();
  const newButtons = h("div", { class: "new" }, ...forms.map((f) => h("a", { class: "button", href: `#/new/${f.id}`, "data-form": f.id, text: f.title })));
  const drafts = await dev.drafts();
  const draftList = drafts.length
    ? h(
        "section",
        {},
        h("h2", { text: M.draftsTitle }),
        h("ul", { class: "list", id: "drafts" }, ...drafts.map((d) => h("li", {}, h("a", { href: `#/new/${d.form.split("@")[0]}?draft=${d.id}`, "data-draft": d.id, text: M.draftLine(dev.form(d.form).def.title, when(d.saved_ms)) })))),
      )
    : null;
  screen(M.home, h("div", { class: "field" }, h("label", { for: "search", text: M.searchLabel }), search), h("h2", { text: M.newRecord }), newButtons, draftList, heading, list);
}

// -- recording ----------------------------------------------------------------------------

interface ItemSlot {
  editor: Editor;
  el: HTMLElement;
}

function revive(v: unknown): Value {
  // Drafts are stored by structured clone: floats kept as {f64: x}.
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    const o = v as { [k: string]: unknown };
    if (Object.keys(o).length === 1 && typeof o.f64 === "number") return new F64(o.f64);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
  }
  return v as Value;
}

function freeze(v: Value): unknown {
  if (Array.isArray(v)) return v.map((x) => freeze(x as Value));
  if (v instanceof F64) return { f64: (v as { value: number }).value };
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, freeze(x as Value)]));
  return v;
}

function newScreen(formId: string, draftId: string | null): void {
  const { def, compiled } = dev.form(formId);
  const editor = new Editor(dev, def.fields, (v) => dev.check(compiled.ref, v));
  const groups = def.fields.filter((f) => f.type === "repeat");
  const slots = new Map<string, ItemSlot[]>();
  const summary = h("div", { "aria-live": "polite", id: "summary" });
  const dupes = h("div", { "aria-live": "polite", id: "duplicates" });
  const draft = draftId ?? uuid7();
  const refreshSummary = () => {
    const items = Object.fromEntries(groups.map((g) => [g.name, slots.get(g.name)?.length ?? 0]));
    const missing = dev.missingRequired(compiled.ref, editor.values(), items);
    summary.replaceChildren(missing.length ? h("p", { class: "warning", text: M.stillMissing(missing) }) : "");
    dupes.replaceChildren(...dev.duplicates(compiled.ref, editor.values(), null).map((t) => h("p", { class: "warning", text: t })));
  };
  editor.onChange(refreshSummary);
  const groupEls = groups.map((g) => {
    const box = h("div", {});
    const list: ItemSlot[] = [];
    slots.set(g.name, list);
    const add = h("button", { type: "button", class: "secondary", "data-add": g.name, text: M.addItem(g.label || g.name) });
    const addSlot = (values?: { [k: string]: Value }) => {
      const index = list.length;
      const ed = new Editor(dev, g.fields ?? [], (v) => dev.checkItem(compiled.ref, g.name, v, index), g.name);
      if (values) ed.fill(values);
      const remove = h("button", { type: "button", class: "secondary", text: M.removeItem });
      const el = h("div", { class: "item", "data-item": `${g.name}-${index}` }, h("h3", { text: M.item(index + 1) }), ed.el, remove);
      const slot = { editor: ed, el };
      remove.addEventListener("click", () => {
        list.splice(list.indexOf(slot), 1);
        el.remove();
        refreshSummary();
      });
      list.push(slot);
      box.append(el);
      refreshSummary();
    };
    add.addEventListener("click", () => addSlot());
    return { g, el: h("section", { class: "group", "data-group": g.name }, h("h2", { text: g.label || g.name }), g.help ? h("p", { class: "help", text: g.help }) : null, box, add), addSlot };
  });
  const save = h("button", { type: "submit", id: "save", text: M.save });
  const keep = h("button", { type: "button", class: "secondary", id: "keep-draft", text: M.saveDraft });
  const remove = draftId ? h("button", { type: "button", class: "danger", id: "delete-draft", text: M.deleteDraft }) : null;
  const status = h("p", { "aria-live": "polite", id: "status" });
  const form = h("form", { novalidate: true }, def.description ? h("p", { class: "help", text: def.description }) : null, editor.el, ...groupEls.map((x) => x.el), summary, dupes, status, save, keep, remove, h("a", { class: "button secondary", href: "#/", text: M.cancel }));
  const draftValues = (): DraftRow => ({
    id: draft,
    form: compiled.ref,
    record_id: null,
    values: freeze({ fields: editor.values(), items: Object.fromEntries([...slots].map(([g, l]) => [g, l.map((s) => s.editor.values())])) } as unknown as Value),
    saved_ms: Date.now(),
  });
  keep.addEventListener("click", async () => {
    try {
      await dev.saveDraft(draftValues());
      toast(M.draftSaved);
      location.hash = "#/";
    } catch (e) {
      fail(e);
    }
  });
  remove?.addEventListener("click", async () => {
    await dev.dropDraft(draft);
    toast(M.draftDeleted);
    location.hash = "#/";
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    status.textContent = M.saving;
    const problems = editor.revalidate();
    const items: { group: string; values: Fields }[] = [];
    let itemProblems = false;
    for (const [g, list] of slots) {
      list.forEach((s) => {
        const p = s.editor.revalidate();
        if (p.some((x) => x.severity === "error")) itemProblems = true;
        items.push({ group: g, values: s.editor.values() });
      });
    }
    if (problems.some((p) => p.severity === "error") || itemProblems) {
      status.textContent = M.notSavedProblems;
      status.className = "problem";
      save.disabled = false;
      return;
    }
    try {
      const files: FileRow[] = [...editor.files(), ...[...slots.values()].flat().flatMap((s) => s.editor.files())];
      const id = await dev.create(compiled.ref, editor.values(), items, editor.gps(), files, draftId);
      editor.stop();
      status.textContent = M.saved;
      status.className = "ok";
      toast(M.saved);
      void refreshCounts();
      autoSync();
      location.hash = `#/record/${id}`;
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
      status.className = "problem";
      if (e instanceof UserError) editor.showProblems(e.problems);
      save.disabled = false;
    }
  });
  screen(M.newOf(def.title), form);
  if (draftId) {
    void dev.db.get<DraftRow>("drafts", draftId).then((d) => {
      if (!d) return;
      const v = revive(d.values) as { fields: { [k: string]: Value }; items: { [g: string]: { [k: string]: Value }[] } };
      editor.fill(v.fields);
      for (const x of groupEls) for (const item of v.items[x.g.name] ?? []) x.addSlot(item);
      editor.revalidate();
    });
  }
}

// -- a record -----------------------------------------------------------------------------

function conflictList(list: Conflict[]): HTMLElement {
  return h(
    "ul",
    { id: "conflicts" },
    ...list.map((c) =>
      h(
        "li",
        {},
        h("strong", { text: c.path }),
        h("ul", {}, ...c.values.map((v) => h("li", { text: M.conflictValue(show(v.value), dev.who(v.actor), when(v.wall_time)) }))),
      ),
    ),
  );
}

/** How people name the record of a refused op, also when the server kept none of it. */
function refusedLabel(r: { record_id: string; blob: Uint8Array }): string {
  if (dev.records.has(r.record_id)) return dev.title(dev.record(r.record_id));
  const op = decodeOp(r.blob);
  try {
    const def = dev.form(op?.form ?? "").def;
    const fields = op && "fields" in op ? op.fields : {};
    const ids = (def.identifiers ?? []).map((rule) => rule.fields.map((f) => fields[f]).filter((v) => v !== undefined && v !== null && v !== "").map(String).join(" ")).filter(Boolean);
    return `${def.title} ${ids[0] ?? r.record_id.slice(0, 8)}`;
  } catch {
    return r.record_id;
  }
}

/** A record none of whose ops the server kept: what was refused, why, and its values. */
function refusedRecordScreen(id: string): void {
  const refused = dev.refusedOps().filter((r) => r.record_id === id);
  screen(
    M.refusedRecordTitle,
    h("p", { text: M.refusedRecordIntro }),
    h(
      "section",
      { id: "refused" },
      h("h2", { text: refused[0] ? refusedLabel(refused[0]) : M.refusedTitle }),
      ...refused.map((r) => {
        const op = decodeOp(r.blob);
        const values = op && "fields" in op ? Object.entries(op.fields).map(([k, v]) => `${k} = ${show(v)}`) : [];
        return h("div", { class: "item" }, h("p", { class: "problem", text: M.refusedOp(r.reason) }), values.length ? h("p", { class: "meta", text: values.join(" · ") }) : null);
      }),
    ),
    h("a", { class: "button secondary", href: "#/", text: M.cancel }),
  );
}

function recordScreen(id: string): void {
  if (!dev.records.has(id) && dev.refusedOps().some((r) => r.record_id === id)) return refusedRecordScreen(id);
  const rec = dev.record(id);
  const { def, compiled } = dev.form(rec.form);
  const rules = dev.rulesFor(rec.form);
  const current: { [k: string]: Value } = {};
  for (const f of def.fields) if (f.type !== "repeat" && rec.fields[f.name]) current[f.name] = valueOf(rec.fields[f.name]!);
  const editor = new Editor(dev, def.fields, (v) => dev.check(rec.form, v));
  editor.fill(current);
  const locked = new Set([...rules.immutable].filter((n) => rec.fields[n]?.live.length));
  editor.lock(locked, M.locked);
  const status = h("p", { "aria-live": "polite", id: "status" });
  const save = h("button", { type: "submit", id: "save", text: M.saveChanges });
  const dupes = h("div", { "aria-live": "polite" });
  editor.onChange(() => dupes.replaceChildren(...dev.duplicates(rec.form, editor.values(), id).map((t) => h("p", { class: "warning", text: t }))));
  const form = h("form", { novalidate: true }, editor.el, dupes, status, save);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const problems = editor.revalidate();
    if (problems.some((p) => p.severity === "error")) {
      status.textContent = M.notSavedProblems;
      status.className = "problem";
      return;
    }
    save.disabled = true;
    status.textContent = M.saving;
    try {
      await dev.patch(id, editor.changed(), editor.gps(), editor.files());
      toast(M.saved);
      void refreshCounts();
      autoSync();
      recordScreen(id);
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
      status.className = "problem";
      if (e instanceof UserError) editor.showProblems(e.problems);
      save.disabled = false;
    }
  });

  const groups = def.fields.filter((f) => f.type === "repeat").map((g) => {
    const fixed = rules.append_only_groups.has(g.name);
    const items = orderedItems(rec, g.name, rules.order_by[g.name] ?? null);
    const rows = items.map(([itemId, item], index) => {
      const vals: { [k: string]: Value } = {};
      for (const [k, s] of Object.entries(item.fields)) vals[k] = valueOf(s);
      const ed = new Editor(dev, g.fields ?? [], (v) => dev.checkItem(rec.form, g.name, v, index), g.name);
      ed.fill(vals);
      const box = h("div", { class: "item", "data-item": itemId }, h("h3", { text: M.item(index + 1) }), ed.el);
      if (fixed) {
        ed.lock(new Set((g.fields ?? []).map((f) => f.name)), "");
      } else {
        const saveItem = h("button", { type: "button", class: "secondary", "data-save-item": itemId, text: M.saveItem });
        const removeItem = h("button", { type: "button", class: "secondary", "data-remove-item": itemId, text: M.removeItem });
        saveItem.addEventListener("click", async () => {
          try {
            await dev.editItem(id, g.name, itemId, ed.changed(), ed.files());
            toast(M.itemSaved);
            void refreshCounts();
            recordScreen(id);
          } catch (e) {
            if (e instanceof UserError) ed.showProblems(e.problems);
            fail(e);
          }
        });
        removeItem.addEventListener("click", async () => {
          try {
            await dev.removeItem(id, g.name, itemId);
            toast(M.itemRemoved);
            void refreshCounts();
            recordScreen(id);
          } catch (e) {
            fail(e);
          }
        });
        box.append(saveItem, removeItem);
      }
      return box;
    });
    const add = new Editor(dev, g.fields ?? [], (v) => dev.checkItem(rec.form, g.name, v, items.length), g.name);
    const addButton = h("button", { type: "button", "data-add": g.name, text: M.addItem(g.label || g.name) });
    addButton.addEventListener("click", async () => {
      const p = add.revalidate();
      if (p.some((x) => x.severity === "error")) return;
      try {
        await dev.addItem(id, g.name, add.values(), add.files());
        toast(M.itemSaved);
        void refreshCounts();
        autoSync();
        recordScreen(id);
      } catch (e) {
        if (e instanceof UserError) add.showProblems(e.problems);
        fail(e);
      }
    });
    return h(
      "section",
      { class: "group", "data-group": g.name },
      h("h2", { text: g.label || g.name }),
      fixed ? h("p", { class: "help", text: M.appendOnly }) : null,
      ...(rows.length ? rows : [h("p", { text: M.noItems })]),
      h("div", { class: "item" }, h("h3", { text: M.addItem(g.label || g.name) }), add.el, addButton),
    );
  });

  const open = conflicts(rec);
  const review = rec.review.live.length
    ? h(
        "section",
        { id: "review" },
        h("h2", { text: M.reviewTitle }),
        ...rec.review.live.map((w) => h("p", { text: M.review(String(w.value), dev.who(w.actor), w.note) })),
      )
    : null;
  const decisions: HTMLElement[] = [];
  for (const [actor, entries] of Object.entries(rec.log)) {
    for (const [counter, e] of Object.entries(entries)) {
      if (e.kind !== "resolve") continue;
      const row = dev.ops.get(`${actor}\u0000${counter}`);
      let what = "";
      let reason = "";
      if (row) {
        const op = decodeOp(row.blob);
        if (op && op.kind === "resolve") {
          what = op.field ?? op.group ?? op.conflict;
          reason = op.reason;
          what = `${what}: ${show(op.value)}`;
        }
      }
      decisions.push(h("li", { text: M.resolution(what, dev.who(actor), reason) }));
    }
  }

  // Retracting keeps the record and its history; it needs a reason (the server refuses one without).
  let retractForm: HTMLElement | null = null;
  if (!rec.retracted) {
    const reason = h("textarea", { id: "retract-reason", name: "reason", "aria-describedby": "retract-status" });
    const retractStatus = h("p", { "aria-live": "polite", id: "retract-status" });
    const retractButton = h("button", { type: "submit", class: "danger", id: "retract", text: M.retractButton });
    retractForm = h(
      "form",
      { novalidate: true, id: "retract-form" },
      h("h2", { text: M.retractTitle }),
      h("p", { class: "help", text: M.retractHelp }),
      h("div", { class: "field" }, h("label", { for: "retract-reason", text: M.retractReasonLabel }), reason),
      retractStatus,
      retractButton,
    );
    reason.addEventListener("input", () => (retractStatus.textContent = ""));
    retractForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      retractButton.disabled = true;
      try {
        await dev.retract(id, reason.value);
        toast(M.recordRetracted);
        void refreshCounts();
        autoSync();
        recordScreen(id);
      } catch (e) {
        retractStatus.textContent = e instanceof Error ? e.message : String(e);
        retractStatus.className = "problem";
        retractButton.disabled = false;
        reason.focus();
      }
    });
  }
  const refused = dev.refusedOps().filter((r) => r.record_id === id);
  screen(
    dev.title(rec),
    h("p", { class: "meta", text: `${def.title} · ${dev.identifiers(rec).join(" · ")}${rec.retracted ? ` · ${M.retracted}` : ""}` }),
    refused.length ? h("section", { id: "refused" }, h("h2", { text: M.refusedTitle }), ...refused.map((r) => h("p", { class: "problem", text: M.refusedOp(r.reason) }))) : null,
    open.length ? h("section", {}, h("h2", { text: M.conflictsTitle }), h("p", { text: M.conflictIntro }), conflictList(open)) : null,
    review,
    decisions.length ? h("section", { id: "decisions" }, h("h2", { text: M.resolutionsTitle }), h("ul", {}, ...decisions)) : null,
    h("h2", { text: M.editTitle }),
    form,
    ...groups,
    retractForm,
    h("a", { class: "button secondary", href: "#/", text: M.cancel }),
  );
}

function decodeOp(blob: Uint8Array): Op | null {
  try {
    return toOp(decode(blob));
  } catch {
    return null;
  }
}

// -- sync ---------------------------------------------------------------------------------

async function syncNow(report?: (t: string) => void): Promise<void> {
  if (!dev.enrolled) return;
  if (syncing) return syncing; // one sync at a time; a second caller waits for it
  syncing = (async () => {
    try {
      const pushed = await dev.push((d, t, what) => report?.(M.syncProgress(d, t, what)));
      const pulled = await dev.pull((d, t, what) => report?.(M.syncProgress(d, t, what)));
      await dev.refreshForms(dev.server()).catch(() => undefined);
      report?.(M.syncDone(pushed.ops, pulled.fresh, pushed.files));
      toast(M.syncDone(pushed.ops, pulled.fresh, pushed.files));
      // New ops, or ops the server refused: the screen may show what is no longer so.
      if ((pulled.fresh || pushed.refused.length) && !dirty) await route();
    } finally {
      syncing = null;
      await refreshCounts();
    }
  })();
  return syncing;
}

function autoSync(): void {
  if (navigator.onLine && dev.enrolled) void syncNow().catch(() => undefined);
}

async function syncScreen(): Promise<void> {
  const status = h("p", { "aria-live": "polite", id: "sync-status" });
  const bar = h("progress", { max: 1, value: 0, "aria-label": M.syncTitle });
  const button = h("button", { type: "button", id: "sync", text: M.syncButton });
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = M.syncing;
    try {
      await syncNow((t) => {
        status.textContent = t;
        const m = /(\d+) of (\d+)/.exec(t);
        if (m) {
          bar.max = Number(m[2]);
          bar.value = Number(m[1]);
        }
      });
      await syncScreen();
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
      status.className = "problem";
      button.disabled = false;
    }
  });
  const c = dev.counts(filesPending);
  const refused = dev.refusedOps();
  const allConflicts = [...dev.records.values()].map((r) => ({ r, list: conflicts(r) })).filter((x) => x.list.length);
  const reviews = [...dev.records.values()].filter((r) => r.review.live.length);
  const last = dev.meta.get("last_pull_ms") as number | undefined;
  screen(
    M.syncTitle,
    h("p", { class: "meta", text: M.deviceInfo(String(dev.meta.get("label") ?? ""), dev.deviceId, String(dev.meta.get("project"))) }),
    h("p", { class: "meta", text: last ? M.lastSync(when(last)) : M.neverSynced }),
    h("p", { class: "meta", text: persistent ? M.storagePersistent : M.storageBestEffort }),
    h("p", { class: "meta", id: "key-storage", text: dev.keysExtractable ? M.keysBytes : M.keysLocked }),
    h("ul", { id: "sync-counts" }, ...M.counts(c.pending, c.delivered, c.refused, c.files_pending).map((t) => h("li", { text: t }))),
    button,
    bar,
    status,
    refused.length
      ? h("section", { id: "refused" }, h("h2", { text: M.refusedTitle }), h("ul", {}, ...refused.map((r) => h("li", {}, h("a", { href: `#/record/${r.record_id}`, text: refusedLabel(r) }), h("br"), h("span", { class: "problem", text: M.refusedOp(r.reason) })))))
      : null,
    allConflicts.length
      ? h("section", {}, h("h2", { text: M.conflictsTitle }), ...allConflicts.map((x) => h("div", {}, h("h3", {}, h("a", { href: `#/record/${x.r.id}`, text: dev.title(x.r) })), conflictList(x.list))))
      : null,
    reviews.length
      ? h("section", {}, h("h2", { text: M.reviewTitle }), h("ul", {}, ...reviews.map((r) => h("li", {}, h("a", { href: `#/record/${r.id}`, text: dev.title(r) }), ": ", ...r.review.live.map((w) => M.review(choiceLabel(String(w.value)), dev.who(w.actor), w.note))))))
      : null,
  );
}

// -- routing ------------------------------------------------------------------------------

async function route(): Promise<void> {
  const hash = location.hash || "#/";
  try {
    await refreshCounts();
    if (!dev.enrolled) return enrollScreen();
    if (!dev.forms.size && navigator.onLine) await dev.refreshForms().catch(() => undefined);
    const [path, query] = hash.slice(1).split("?");
    const parts = (path ?? "/").split("/").filter(Boolean);
    if (parts[0] === "new" && parts[1]) return newScreen(decodeURIComponent(parts[1]), new URLSearchParams(query ?? "").get("draft"));
    if (parts[0] === "record" && parts[1]) return recordScreen(decodeURIComponent(parts[1]));
    if (parts[0] === "sync") return await syncScreen();
    return await homeScreen();
  } catch (e) {
    screen(M.error(""), h("p", { class: "problem", text: e instanceof Error ? e.message : String(e) }), h("a", { class: "button", href: "#/", text: M.home }));
  }
}

async function start(): Promise<void> {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).catch(() => undefined);
  }
  if (navigator.storage?.persist) persistent = await navigator.storage.persist().catch(() => false);
  dev = await FieldDevice.open();
  // For tests and support: the device, and the canonical hash of a record (the same bytes
  // as sync.canonical.record_sha256, to compare replicas).
  (window as unknown as { cairnField: unknown }).cairnField = { dev, syncNow, route, recordSha256: (id: string) => recordSha256(dev.record(id)) };
  window.addEventListener("hashchange", () => void route());
  main().addEventListener("input", () => (dirty = true));
  window.addEventListener("online", () => {
    void refreshCounts();
    autoSync();
  });
  window.addEventListener("offline", () => void refreshCounts());
  document.body.dataset.ready = "1";
  await route();
  autoSync();
}

void start().catch((e) => {
  main().replaceChildren(h("p", { class: "problem", text: M.error(e instanceof Error ? e.message : String(e)) }));
});
