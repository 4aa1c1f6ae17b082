/**
 * Form widgets: one per field type of a published form definition. Each turns what the
 * person typed into the Value the server validates (integers as numbers, decimals as
 * floats, dates and times as ISO text with an offset, points as the GNSS block), and
 * shows the core's validation messages next to itself. All text comes from messages.ts;
 * values from records are only ever set as text, never as HTML.
 */

import { F64, type FieldDef, type GpsFix, type Value, isObj } from "../../core/src/index.js";
import type { FileRow } from "./db.js";
import type { FieldDevice } from "./device.js";
import { M, choiceLabel } from "./messages.js";

let uid = 0;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: { [k: string]: string | boolean | number | undefined } = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** A value as people read it. */
export function show(v: Value): string {
  if (v === null || v === undefined) return M.noValue;
  if (v instanceof F64) return String(v.value);
  if (typeof v === "boolean") return v ? M.yes : M.no;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) {
    if (v.length && isObj(v[0] as Value) && "lat" in (v[0] as object)) return M.points(v.length);
    return v.map((x) => show(x as Value)).join(", ");
  }
  if (isObj(v)) {
    if ("lat" in v && "lon" in v) {
      const acc = v.h_acc_m !== undefined ? ` ± ${show(v.h_acc_m)} m` : "";
      const xyz = v.x !== undefined ? ` (x ${show(v.x)}, y ${show(v.y)}, z ${show(v.z)})` : "";
      return `${show(v.lat)}, ${show(v.lon)}${acc}${xyz}`;
    }
    if ("sha256" in v && "filename" in v) return `${show(v.filename)} (${String(v.sha256).slice(0, 12)}…)`;
    return Object.entries(v)
      .map(([k, x]) => `${k}: ${show(x)}`)
      .join("; ");
  }
  return String(v);
}

export interface Widget {
  field: FieldDef;
  el: HTMLElement;
  get(): Value | undefined;
  set(v: Value): void;
  lock(note: string): void;
  showProblems(errors: string[], warnings: string[]): void;
  files(): FileRow[];
  gps?(): GpsFix | null;
  onChange(fn: () => void): void;
  stop?(): void;
}

function offsetText(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const a = Math.abs(off);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The common frame: label, help, the control, problems; accessible names and errors. */
function frame(field: FieldDef, control: HTMLElement, id: string, group = false): { el: HTMLElement; problems: HTMLElement } {
  const problems = h("div", { id: `${id}-problems`, "aria-live": "polite" });
  const help = field.help ? h("p", { class: "help", id: `${id}-help`, text: field.help }) : null;
  const labelText = [field.label || field.name, field.unit ? ` (${field.unit})` : ""].join("");
  const req = field.required ? h("span", { class: "req", "aria-hidden": "true", text: ` ${M.requiredMark}` }) : null;
  const srReq = field.required ? h("span", { class: "sr-only", text: ` (${M.required})` }) : null;
  let el: HTMLElement;
  if (group) {
    el = h("fieldset", { class: "field", "data-field": field.name }, h("legend", {}, labelText, req, srReq), help, control, problems);
  } else {
    el = h("div", { class: "field", "data-field": field.name }, h("label", { for: id }, labelText, req, srReq), help, control, problems);
  }
  return { el, problems };
}

function problemsInto(box: HTMLElement, errors: string[], warnings: string[], inputs: HTMLElement[]): void {
  box.replaceChildren(...errors.map((t) => h("p", { class: "problem", text: t })), ...warnings.map((t) => h("p", { class: "warning", text: t })));
  for (const i of inputs) {
    if (errors.length) i.setAttribute("aria-invalid", "true");
    else i.removeAttribute("aria-invalid");
  }
}

function describe(input: HTMLElement, id: string, field: FieldDef): void {
  input.setAttribute("aria-describedby", [field.help ? `${id}-help` : "", `${id}-problems`].filter(Boolean).join(" "));
}

export function widget(field: FieldDef, dev: FieldDevice): Widget {
  switch (field.type) {
    case "select_multiple":
      return multiWidget(field);
    case "geopoint":
      return gpsWidget(field);
    case "geotrace":
    case "geoshape":
      return traceWidget(field);
    case "attachment":
      return fileWidget(field, dev);
    default:
      return inputWidget(field);
  }
}

function inputWidget(field: FieldDef): Widget {
  const id = `f${++uid}-${field.name}`;
  let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  let extra: HTMLElement | null = null;
  const t = field.type;
  if (t === "select_one" || t === "boolean") {
    const s = h("select", { id, name: field.name });
    s.append(h("option", { value: "", text: M.choose }));
    const choices = t === "boolean" ? [["true", M.yes], ["false", M.no]] : (field.choices ?? []).map((c) => [c, choiceLabel(c)]);
    for (const [v, label] of choices) s.append(h("option", { value: v!, text: label! }));
    input = s;
  } else if (t === "date") {
    input = h("input", { id, name: field.name, type: "date" });
  } else if (t === "datetime") {
    input = h("input", { id, name: field.name, type: "datetime-local", step: "1" });
    const now = h("button", { type: "button", class: "secondary", text: M.now });
    now.addEventListener("click", () => {
      (input as HTMLInputElement).value = localInput(new Date());
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    extra = now;
  } else if (t === "text" && !field.pattern && (field.max_length ?? 1000) > 200 && /description|notes|activities|deviation|incidents/.test(field.name)) {
    input = h("textarea", { id, name: field.name });
  } else {
    const numeric = t === "integer" ? "numeric" : t === "decimal" ? "decimal" : undefined;
    input = h("input", { id, name: field.name, type: "text", inputmode: numeric, autocomplete: "off", autocapitalize: "off", spellcheck: "false" });
  }
  describe(input, id, field);
  const control = extra ? h("div", { class: "row" }, input, extra) : input;
  const { el, problems } = frame(field, control, id);
  let tz = "";
  return {
    field,
    el,
    get() {
      const raw = input.value;
      if (raw === "") return undefined;
      if (t === "integer") return /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
      if (t === "decimal") return /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw.trim()) ? new F64(parseFloat(raw)) : raw;
      if (t === "boolean") return raw === "true";
      if (t === "datetime") {
        const withSeconds = /T\d\d:\d\d$/.test(raw) ? `${raw}:00` : raw;
        return withSeconds + (tz || offsetText(new Date(raw)));
      }
      return raw;
    },
    set(v: Value) {
      if (v === null || v === undefined) input.value = "";
      else if (t === "boolean") input.value = v === true ? "true" : v === false ? "false" : "";
      else if (t === "datetime" && typeof v === "string") {
        const m = /^(.*T\d\d:\d\d(?::\d\d)?)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(v);
        input.value = m ? m[1]! : v;
        tz = m ? (m[2] === "Z" ? "Z" : m[2]!) : "";
      } else input.value = v instanceof F64 ? String(v.value) : String(v);
    },
    lock(note: string) {
      input.disabled = true;
      if (extra) (extra as HTMLButtonElement).disabled = true;
      el.append(h("p", { class: "locked", text: note }));
    },
    showProblems(errors, warnings) {
      problemsInto(problems, errors, warnings, [input]);
    },
    files: () => [],
    onChange(fn) {
      input.addEventListener("input", fn);
      input.addEventListener("change", fn);
    },
  };
}

function multiWidget(field: FieldDef): Widget {
  const id = `f${++uid}-${field.name}`;
  const boxes = (field.choices ?? []).map((c, i) => {
    const cid = `${id}-${i}`;
    const box = h("input", { type: "checkbox", id: cid, value: c, name: field.name });
    return { c, box, row: h("label", { class: "choice", for: cid }, box, choiceLabel(c)) };
  });
  const control = h("div", { id, role: "group" }, ...boxes.map((b) => b.row));
  describe(control, id, field);
  const { el, problems } = frame(field, control, id, true);
  return {
    field,
    el,
    get() {
      const on = boxes.filter((b) => b.box.checked).map((b) => b.c);
      return on.length ? on : undefined;
    },
    set(v: Value) {
      const chosen = new Set(Array.isArray(v) ? v.map(String) : []);
      for (const b of boxes) b.box.checked = chosen.has(b.c);
    },
    lock(note) {
      for (const b of boxes) b.box.disabled = true;
      el.append(h("p", { class: "locked", text: note }));
    },
    showProblems(errors, warnings) {
      problemsInto(problems, errors, warnings, boxes.map((b) => b.box));
    },
    files: () => [],
    onChange(fn) {
      for (const b of boxes) b.box.addEventListener("change", fn);
    },
  };
}

interface Fix {
  lat: number;
  lon: number;
  acc: number;
  alt: number | null;
  altAcc: number | null;
  time: number;
}

function fixFrom(p: GeolocationPosition): Fix {
  return { lat: p.coords.latitude, lon: p.coords.longitude, acc: p.coords.accuracy, alt: p.coords.altitude, altAcc: p.coords.altitudeAccuracy, time: p.timestamp };
}

/** The GNSS block of a geopoint (forms/geo.py keys) from a Geolocation fix. */
export function gnssBlock(f: Fix): { [k: string]: Value } {
  const v: { [k: string]: Value } = { lat: new F64(f.lat), lon: new F64(f.lon), h_acc_m: new F64(f.acc) };
  if (f.alt !== null && Number.isFinite(f.alt)) {
    v.alt_m = new F64(f.alt);
    v.alt_ref = "ellipsoid";
  }
  if (f.altAcc !== null && Number.isFinite(f.altAcc)) v.v_acc_m = new F64(f.altAcc);
  v.fix_time_utc = new Date(f.time).toISOString().replace(/\.\d+Z$/, "Z");
  v.source = "phone";
  return v;
}

function gpsWidget(field: FieldDef): Widget {
  const id = `f${++uid}-${field.name}`;
  let watch: number | null = null;
  let current: Fix | null = null;
  let chosen: { [k: string]: Value } | null = null;
  let chosenFix: Fix | null = null;
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((f) => f());
  const start = h("button", { type: "button", id, text: M.gpsStart });
  const useNow = h("button", { type: "button", class: "secondary", text: M.gpsUseNow, disabled: true });
  const thresholdId = `${id}-threshold`;
  const threshold = h("input", { id: thresholdId, type: "text", inputmode: "decimal", value: String(field.max_h_acc_m ?? field.warn_h_acc_m ?? 5), size: 4 });
  const live = h("p", { class: "acc", "aria-live": "polite", text: M.gpsNone });
  const where = h("p", { class: "meta" });
  const recorded = h("p", { class: "ok", "aria-live": "polite" });
  const xyzInputs = field.require_xyz
    ? (["x", "y", "z"] as const).map((axis) => {
        const xid = `${id}-${axis}`;
        const i = h("input", { id: xid, type: "text", inputmode: "decimal", autocomplete: "off" });
        i.addEventListener("input", changed);
        return { axis, i, row: h("div", {}, h("label", { for: xid, text: M.xyz(axis) }), i) };
      })
    : [];
  const stop = () => {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    start.textContent = M.gpsStart;
  };
  const take = (f: Fix) => {
    chosen = gnssBlock(f);
    chosenFix = f;
    recorded.textContent = M.gpsRecorded(f.acc.toFixed(1), new Date(f.time).toLocaleTimeString());
    changed();
  };
  start.addEventListener("click", () => {
    if (watch !== null) return stop();
    if (!("geolocation" in navigator)) {
      live.textContent = M.gpsUnavailable;
      return;
    }
    live.textContent = M.gpsWaiting;
    start.textContent = M.gpsStop;
    watch = navigator.geolocation.watchPosition(
      (p) => {
        current = fixFrom(p);
        useNow.disabled = false;
        live.textContent = M.gpsAccuracy(current.acc.toFixed(1));
        where.textContent = M.gpsFix(current.lat.toFixed(6), current.lon.toFixed(6), current.alt !== null ? current.alt.toFixed(1) : "");
        const limit = parseFloat(threshold.value);
        if (Number.isFinite(limit) && current.acc <= limit) {
          take(current);
          stop();
        }
      },
      (e) => {
        live.textContent = M.gpsError(e.message);
        stop();
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: 120000 },
    );
  });
  useNow.addEventListener("click", () => {
    if (current) take(current);
    stop();
  });
  const control = h(
    "div",
    { class: "gps" },
    h("div", { class: "row" }, start, useNow),
    h("div", {}, h("label", { for: thresholdId, text: M.gpsThreshold }), threshold),
    live,
    where,
    recorded,
    ...xyzInputs.map((x) => x.row),
  );
  const { el, problems } = frame(field, control, id, true);
  const num = (s: string): Value => (s === "" ? undefined : /^-?(\d+\.?\d*|\.\d+)$/.test(s.trim()) ? new F64(parseFloat(s)) : s);
  return {
    field,
    el,
    get() {
      if (!chosen && !xyzInputs.some((x) => x.i.value)) return undefined;
      const v: { [k: string]: Value } = { ...(chosen ?? {}) };
      for (const x of xyzInputs) {
        const n = num(x.i.value);
        if (n !== undefined) v[x.axis] = n;
      }
      return v;
    },
    set(v: Value) {
      if (!isObj(v)) return;
      chosen = { ...v };
      recorded.textContent = show(v);
      for (const x of xyzInputs) {
        const n = v[x.axis];
        x.i.value = n === undefined || n === null ? "" : n instanceof F64 ? String(n.value) : String(n);
      }
    },
    lock(note) {
      stop();
      start.disabled = true;
      useNow.disabled = true;
      threshold.disabled = true;
      for (const x of xyzInputs) x.i.disabled = true;
      el.append(h("p", { class: "locked", text: note }));
    },
    showProblems(errors, warnings) {
      problemsInto(problems, errors, warnings, [start, ...xyzInputs.map((x) => x.i)]);
    },
    files: () => [],
    gps() {
      const f = chosenFix;
      return f ? { lat: f.lat, lon: f.lon, h_acc_m: f.acc, fix_time: f.time, alt_m: f.alt } : null;
    },
    onChange(fn) {
      listeners.push(fn);
    },
    stop,
  };
}

function traceWidget(field: FieldDef): Widget {
  const id = `f${++uid}-${field.name}`;
  let pts: { [k: string]: Value }[] = [];
  const listeners: (() => void)[] = [];
  const count = h("p", { class: "meta", "aria-live": "polite", text: M.points(0) });
  const add = h("button", { type: "button", id, text: M.addPoint });
  const close = h("button", { type: "button", class: "secondary", text: M.closeShape });
  const clear = h("button", { type: "button", class: "secondary", text: M.clearPoints });
  const update = () => {
    count.textContent = M.points(pts.length);
    listeners.forEach((f) => f());
  };
  add.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition(
      (p) => {
        pts = [...pts, gnssBlock(fixFrom(p))];
        update();
      },
      (e) => {
        count.textContent = M.gpsError(e.message);
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 },
    );
  });
  close.addEventListener("click", () => {
    if (pts.length) pts = [...pts, { ...pts[0]! }];
    update();
  });
  clear.addEventListener("click", () => {
    pts = [];
    update();
  });
  const control = h("div", { class: "gps" }, h("div", { class: "row" }, add, field.type === "geoshape" ? close : null, clear), count);
  const { el, problems } = frame(field, control, id, true);
  return {
    field,
    el,
    get: () => (pts.length ? pts : undefined),
    set(v) {
      pts = Array.isArray(v) ? (v.filter((x) => isObj(x as Value)) as { [k: string]: Value }[]) : [];
      count.textContent = M.points(pts.length);
    },
    lock(note) {
      add.disabled = close.disabled = clear.disabled = true;
      el.append(h("p", { class: "locked", text: note }));
    },
    showProblems(errors, warnings) {
      problemsInto(problems, errors, warnings, [add]);
    },
    files: () => [],
    onChange(fn) {
      listeners.push(fn);
    },
  };
}

function fileWidget(field: FieldDef, dev: FieldDevice): Widget {
  const id = `f${++uid}-${field.name}`;
  const accept = (field.media_types ?? []).map((m) => (m.endsWith("/") ? `${m}*` : m)).join(",") || "image/*,application/pdf";
  const input = h("input", { id, type: "file", accept, capture: accept.startsWith("image") ? "environment" : undefined });
  describe(input, id, field);
  const info = h("div", { "aria-live": "polite" });
  let value: Value | undefined;
  let row: FileRow | null = null;
  const listeners: (() => void)[] = [];
  const preview = (bytes: Uint8Array, type: string, name: string, size: number) => {
    const parts: Node[] = [h("p", { class: "meta", text: M.fileKept(name, size) })];
    if (type.startsWith("image/")) {
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
      parts.unshift(h("img", { class: "thumb", src: url, alt: name }));
    }
    info.replaceChildren(...parts);
  };
  input.addEventListener("change", async () => {
    const f = input.files?.[0];
    if (!f) return;
    const bytes = new Uint8Array(await f.arrayBuffer());
    const made = await dev.attach({ bytes, filename: f.name });
    value = made.value;
    row = made.row;
    preview(bytes, made.row.media_type, f.name, bytes.length);
    listeners.forEach((fn) => fn());
  });
  const { el, problems } = frame(field, h("div", {}, input, info), id);
  return {
    field,
    el,
    get: () => value,
    set(v) {
      value = v ?? undefined;
      if (isObj(v as Value) && typeof (v as { sha256?: unknown }).sha256 === "string") {
        const o = v as { sha256: string; filename: string; media_type: string; size: number };
        void dev.file(o.sha256).then((r) => {
          if (r?.bytes) preview(r.bytes, r.media_type, o.filename, o.size);
          else info.replaceChildren(h("p", { class: "meta", text: `${o.filename} — ${r?.delivered ? M.fileDelivered : M.fileNotDelivered}` }));
        });
      }
    },
    lock(note) {
      input.disabled = true;
      el.append(h("p", { class: "locked", text: note }));
    },
    showProblems(errors, warnings) {
      problemsInto(problems, errors, warnings, [input]);
    },
    files: () => (row ? [row] : []),
    onChange(fn) {
      listeners.push(fn);
    },
  };
}
