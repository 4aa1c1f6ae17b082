/**
 * Form validation (forms/validate.py, checkers.py, primitives.py, geo.py) from a form
 * definition as the server publishes it (the FormDef as JSON: fields tagged by `type`).
 * Every problem is returned with the same path, code, severity and message as Python.
 */

import { F64, type Obj, type Value, isObj } from "./msgpack.js";
import { pyRepr } from "./pyrepr.js";

export type Severity = "error" | "warning";
export interface Problem {
  path: string;
  message: string;
  code: string;
  severity: Severity;
}

export interface FieldDef {
  type: string;
  name: string;
  label?: string;
  help?: string;
  required?: boolean;
  immutable?: boolean;
  append_only?: boolean;
  pattern?: string | null;
  max_length?: number | null;
  min?: number | null;
  max?: number | null;
  warn_min?: number | null;
  warn_max?: number | null;
  unit?: string;
  choices?: string[];
  max_h_acc_m?: number | null;
  warn_h_acc_m?: number | null;
  require_xyz?: boolean;
  media_types?: string[];
  fields?: FieldDef[];
  min_items?: number;
  max_items?: number | null;
  item_key?: string[];
  order_by?: string | null;
}

export interface FormDef {
  id: string;
  version: number;
  title: string;
  fields: FieldDef[];
}

type Checker = (v: Value, path: string, out: Problem[]) => void;

const ALT_REFS = ["ellipsoid", "sea_level"];
const GNSS_SOURCES = ["phone", "gnss", "rtk", "total_station", "manual"];
// forms/schema.py FIX_TYPES
export const FIX_TYPES = ["none", "gps", "dgps", "pps", "rtk_fixed", "rtk_float", "estimated", "manual", "simulation"];

function add(out: Problem[], path: string, code: string, text: string, severity: Severity = "error"): void {
  out.push({ path, message: `${path}: ${text}`, code, severity });
}

function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** forms.primitives.show: a short, JSON-flavoured rendering (Python repr, cut at 40). */
export function show(v: Value): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  const text = pyRepr(v);
  const chars = Array.from(text);
  return chars.length <= 40 ? text : chars.slice(0, 37).join("") + "...";
}

/** Python's format(x, "g"). */
export function fmtG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [m, e] = x.toExponential(5).split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    const mant = m!.includes(".") ? m!.replace(/0+$/, "").replace(/\.$/, "") : m!;
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

function isInt(v: Value): v is number | bigint {
  return (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";
}

function isNumber(v: Value): boolean {
  return isInt(v) || (v instanceof F64 && Number.isFinite(v.value));
}

function num(v: Value): number {
  return v instanceof F64 ? v.value : Number(v as number | bigint);
}

function cmpNum(a: Value, b: number): number {
  if (typeof a === "bigint") {
    if (Number.isInteger(b)) {
      const bb = BigInt(b);
      return a < bb ? -1 : a > bb ? 1 : 0;
    }
    const x = Number(a);
    return x < b ? -1 : x > b ? 1 : 0;
  }
  const x = num(a);
  return x < b ? -1 : x > b ? 1 : 0;
}

function wrongType(out: Problem[], path: string, expected: string, v: Value): void {
  add(out, path, "wrong_type", `expected ${expected}, got ${show(v)}`);
}

function checkRange(
  v: Value,
  path: string,
  out: Problem[],
  lo: number | null | undefined,
  hi: number | null | undefined,
  unit = "",
  severity: Severity = "error",
): void {
  const [code, what, tail] = severity === "warning" ? ["unusual_value", "usual", "; check it"] : ["out_of_range", "", " for this form"];
  const u = unit ? ` ${unit}` : "";
  if (lo !== null && lo !== undefined && cmpNum(v, lo) < 0) {
    add(out, path, code, `${show(v)} is below the ${what ? what + " " : ""}minimum of ${fmtG(lo)}${u}${tail}`, severity);
  } else if (hi !== null && hi !== undefined && cmpNum(v, hi) > 0) {
    add(out, path, code, `${show(v)} is above the ${what ? what + " " : ""}maximum of ${fmtG(hi)}${u}${tail}`, severity);
  }
}

// Python's \d is any Unicode decimal digit.
const DATE = /^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}$/u;
const DATETIME = /^\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2}T\p{Nd}{2}:\p{Nd}{2}(?::\p{Nd}{2}(?:\.\p{Nd}{1,9})?)?(Z|[+-]\p{Nd}{2}:\p{Nd}{2})?$/u;
const ASCII_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1]!;
}

/** date.fromisoformat on text that matched DATE. */
function isoDate(v: string): boolean {
  const m = ASCII_DATE.exec(v);
  return m !== null && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

const ASCII_DATETIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(Z|[+-]([0-9]{2}):([0-9]{2}))?$/;

/** datetime.fromisoformat (Python 3.11) on text that matched DATETIME with an offset. */
function isoDatetime(v: string): boolean {
  const m = ASCII_DATETIME.exec(v);
  if (m === null) return false;
  if (!validDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59) return false;
  if (m[6] !== undefined && Number(m[6]) > 59) return false;
  // Python reads any offset of HH:MM below 24 hours (minutes above 59 carry over).
  if (m[9] !== undefined && Number(m[9]) * 60 + Number(m[10]) >= 24 * 60) return false;
  return true;
}

function checkDate(v: Value, path: string, out: Problem[]): void {
  if (typeof v !== "string") return wrongType(out, path, 'a date written "YYYY-MM-DD"', v);
  if (!DATE.test(v) || !isoDate(v)) {
    add(out, path, "bad_date", `${show(v)} is not a valid date; write YYYY-MM-DD, e.g. 2026-05-03`);
  }
}

function checkDatetime(v: Value, path: string, out: Problem[], utc = false): void {
  if (typeof v !== "string") return wrongType(out, path, "a date and time text", v);
  const m = DATETIME.exec(v);
  const example = "e.g. 2026-05-03T10:15:00+04:00 or 2026-05-03T06:15:00Z";
  if (m === null) {
    return add(out, path, "bad_datetime", `${show(v)} is not an ISO 8601 date and time; write it with an offset, ${example}`);
  }
  const offset = m[1];
  if (offset === undefined) return add(out, path, "bad_datetime", `${show(v)} has no timezone offset; add one, ${example}`);
  if (!isoDatetime(v)) return add(out, path, "bad_datetime", `${show(v)} is not a valid date and time`);
  if (utc && offset !== "Z" && offset !== "+00:00") {
    add(out, path, "bad_datetime", `${show(v)} must be in UTC (end with Z or +00:00)`);
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
// Python's \w (Unicode word characters) in forms/checkers.py _MEDIA_TYPE.
const MEDIA_TYPE = /^[\p{L}\p{N}_.+-]+\/[\p{L}\p{N}_.+-]+$/u;
const MAX_CHOICES_SHOWN = 12;

function choicesText(choices: readonly string[]): string {
  if (choices.length <= MAX_CHOICES_SHOWN) return choices.join(", ");
  return `${choices.slice(0, MAX_CHOICES_SHOWN).join(", ")}, … (${choices.length} choices; see \`cairn forms show\`)`;
}

function textChecker(f: FieldDef): Checker {
  const rx = f.pattern ? new RegExp(`^(?:${f.pattern})$`, "u") : null;
  const maxLength = f.type === "text" ? (f.max_length ?? null) : null;
  const hint = f.help ? ` (${f.help})` : "";
  return (v, path, out) => {
    if (typeof v !== "string") return wrongType(out, path, "text", v);
    const n = pyLen(v);
    if (maxLength !== null && n > maxLength) add(out, path, "too_long", `is ${n} characters long; at most ${maxLength}`);
    if (rx !== null && v && !rx.test(v)) add(out, path, "pattern_mismatch", `${show(v)} does not match the pattern ${f.pattern}${hint}`);
  };
}

function numberChecker(f: FieldDef, integer: boolean): Checker {
  const warn = (f.warn_min ?? null) !== null || (f.warn_max ?? null) !== null;
  return (v, path, out) => {
    if (integer ? !isInt(v) : !isNumber(v)) return wrongType(out, path, integer ? "a whole number" : "a finite number", v);
    const n = out.length;
    checkRange(v, path, out, f.min, f.max, f.unit ?? "");
    if (warn && out.length === n) checkRange(v, path, out, f.warn_min, f.warn_max, f.unit ?? "", "warning");
  };
}

function boolChecker(v: Value, path: string, out: Problem[]): void {
  if (typeof v !== "boolean") wrongType(out, path, "true or false", v);
}

function selectOne(f: FieldDef): Checker {
  const choices = new Set(f.choices ?? []);
  const listed = choicesText(f.choices ?? []);
  return (v, path, out) => {
    if (typeof v !== "string") return wrongType(out, path, "one of the choices as text", v);
    if (!choices.has(v)) add(out, path, "unknown_choice", `${show(v)} is not one of: ${listed}`);
  };
}

function selectMultiple(f: FieldDef): Checker {
  const choices = new Set(f.choices ?? []);
  const listed = choicesText(f.choices ?? []);
  return (v, path, out) => {
    if (!Array.isArray(v)) return wrongType(out, path, "a list of choices", v);
    const seen = new Set<string>();
    (v as Value[]).forEach((item, i) => {
      const at = `${path}[${i}]`;
      if (typeof item !== "string") wrongType(out, at, "one of the choices as text", item);
      else if (!choices.has(item)) add(out, at, "unknown_choice", `${show(item)} is not one of: ${listed}`);
      else if (seen.has(item)) add(out, at, "duplicate_choice", `${show(item)} is listed twice`);
      else seen.add(item);
    });
  };
}

function attachment(f: FieldDef): Checker {
  const prefixes = f.media_types ?? [];
  return (v, path, out) => {
    if (!isObj(v)) return wrongType(out, path, 'an attachment {"sha256": …}', v);
    if (!("sha256" in v)) add(out, `${path}.sha256`, "missing_required", "is required (the file's SHA-256)");
    for (const key of Object.keys(v)) {
      const x = v[key]!;
      const at = `${path}.${key}`;
      if (key === "sha256") {
        if (typeof x !== "string" || !SHA256.test(x)) {
          add(out, at, "bad_sha256", `${show(x)} is not a SHA-256: write 64 lowercase hexadecimal characters`);
        }
      } else if (key === "filename") {
        if (typeof x !== "string" || !x) wrongType(out, at, "a file name", x);
      } else if (key === "media_type") {
        if (typeof x !== "string" || !MEDIA_TYPE.test(x)) wrongType(out, at, 'a media type such as "image/jpeg"', x);
        else if (prefixes.length && !prefixes.some((p) => x.startsWith(p))) {
          add(out, at, "unknown_choice", `${show(x)} is not allowed here; use ${prefixes.join(", ")}`);
        }
      } else if (key === "size") {
        if (!isInt(x) || x < 0) wrongType(out, at, "a size in bytes (a whole number ≥ 0)", x);
      } else {
        add(out, at, "unknown_field", "is not an attachment key (sha256, filename, media_type, size)");
      }
    }
  };
}

const GEOPOINT_KEYS = ["lat", "lon", "alt_m", "alt_ref", "h_acc_m", "v_acc_m", "fix_type", "hdop", "sats", "fix_time_utc", "source", "is_mock", "x", "y", "z"];
const GEO_KEYS = new Set(GEOPOINT_KEYS);
const GEO_CHOICES: { [k: string]: string[] } = { alt_ref: ALT_REFS, fix_type: FIX_TYPES, source: GNSS_SOURCES };

function pointChecker(maxH: number | null, warnH: number | null, requireXyz: boolean) {
  return (v: Value, path: string, out: Problem[]): boolean => {
    if (!isObj(v)) {
      wrongType(out, path, 'a point {"lat": …, "lon": …}', v);
      return false;
    }
    let ok = true;
    for (const [key, bound, name] of [["lat", 90, "latitude"], ["lon", 180, "longitude"]] as const) {
      const x = key in v ? v[key]! : null;
      if (x === null) {
        add(out, `${path}.${key}`, "missing_required", `is required (the ${name} in degrees)`);
        ok = false;
      } else if (!isNumber(x)) {
        wrongType(out, `${path}.${key}`, `the ${name} in degrees`, x);
        ok = false;
      } else if (!(cmpNum(x, -bound) >= 0 && cmpNum(x, bound) <= 0)) {
        add(out, `${path}.${key}`, "out_of_range", `${show(x)} is outside the valid ${name} range -${bound} to ${bound}`);
        ok = false;
      }
    }
    for (const key of Object.keys(v)) {
      if (key === "lat" || key === "lon") continue;
      const x = v[key]!;
      const at = `${path}.${key}`;
      if (!GEO_KEYS.has(key)) add(out, at, "unknown_field", `is not a geopoint key (${GEOPOINT_KEYS.join(", ")})`);
      else if (key in GEO_CHOICES) {
        if (typeof x !== "string" || !GEO_CHOICES[key]!.includes(x)) {
          add(out, at, "unknown_choice", `${show(x)} is not one of: ${GEO_CHOICES[key]!.join(", ")}`);
        }
      } else if (key === "fix_time_utc") checkDatetime(x, at, out, true);
      else if (key === "is_mock") {
        if (typeof x !== "boolean") wrongType(out, at, "true or false", x);
        else if (x) add(out, at, "mock_location", "the device reported a mock (simulated) location; check the position", "warning");
      } else if (key === "sats") {
        if (!isInt(x)) wrongType(out, at, "a whole number of satellites", x);
        else checkRange(x, at, out, 0, null);
      } else if (!isNumber(x)) wrongType(out, at, "a finite number", x);
      else if (key === "h_acc_m") {
        if (cmpNum(x, 0) < 0) add(out, at, "out_of_range", `${show(x)} is negative; an accuracy is a radius ≥ 0 m`);
        else if (maxH !== null && cmpNum(x, maxH) > 0) {
          add(out, at, "out_of_range", `${show(x)} is above the maximum of ${fmtG(maxH)} m for this form; take the position again with a better fix`);
        } else if (warnH !== null && cmpNum(x, warnH) > 0) {
          add(out, at, "low_accuracy", `${show(x)} is above ${fmtG(warnH)} m; a better fix is advised`, "warning");
        }
      } else if (key === "v_acc_m" || key === "hdop") checkRange(x, at, out, 0, null, key === "v_acc_m" ? "m" : "");
    }
    if (requireXyz) {
      for (const key of ["x", "y", "z"]) {
        if (!(key in v) || v[key] === null) {
          add(out, `${path}.${key}`, "missing_required", "is required (local coordinate in m relative to the site datum)");
        }
      }
    }
    return ok;
  };
}

function numEq(a: Value, b: Value): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") {
    try {
      return BigInt(a as number | bigint) === BigInt(b as number | bigint);
    } catch {
      return num(a) === num(b);
    }
  }
  return num(a) === num(b);
}

function geoChecker(f: FieldDef): Checker {
  const point = pointChecker(f.max_h_acc_m ?? null, f.warn_h_acc_m ?? null, f.type === "geopoint" && (f.require_xyz ?? false));
  if (f.type === "geopoint") return (v, path, out) => void point(v, path, out);
  if (f.type === "geotrace") {
    return (v, path, out) => {
      if (!Array.isArray(v)) return wrongType(out, path, "a list of points", v);
      const list = v as Value[];
      if (list.length < 2) add(out, path, "bad_geometry", `a line needs at least 2 points, got ${list.length}`);
      list.forEach((p, i) => point(p, `${path}[${i}]`, out));
    };
  }
  return (v, path, out) => {
    if (!Array.isArray(v)) return wrongType(out, path, "a list of points", v);
    const list = v as Value[];
    const usable = list.map((p, i) => point(p, `${path}[${i}]`, out));
    if (list.length < 4) {
      add(out, path, "bad_geometry", `a closed shape needs at least 4 points (3 corners, then the first point again to close it), got ${list.length}`);
    } else if (usable[0] && usable[usable.length - 1]) {
      const first = list[0] as Obj;
      const last = list[list.length - 1] as Obj;
      if (!numEq(first.lat!, last.lat!) || !numEq(first.lon!, last.lon!)) {
        add(out, path, "bad_geometry", "is not closed: the last point must repeat the first point");
      }
    }
  };
}

function compileField(f: FieldDef): Checker {
  switch (f.type) {
    case "text":
    case "reference":
      return textChecker(f);
    case "integer":
      return numberChecker(f, true);
    case "decimal":
      return numberChecker(f, false);
    case "boolean":
      return boolChecker;
    case "date":
      return checkDate;
    case "datetime":
      return (v, path, out) => checkDatetime(v, path, out);
    case "select_one":
      return selectOne(f);
    case "select_multiple":
      return selectMultiple(f);
    case "geopoint":
    case "geotrace":
    case "geoshape":
      return geoChecker(f);
    case "attachment":
      return attachment(f);
  }
  throw new TypeError(`not a field type: ${f.type}`);
}

// -- difflib.get_close_matches (Python's SequenceMatcher, no junk: names are short) ------

function matchingCount(a: string[], b: string[]): number {
  const b2j = new Map<string, number[]>();
  b.forEach((ch, j) => {
    const l = b2j.get(ch);
    if (l) l.push(j);
    else b2j.set(ch, [j]);
  });
  if (b.length >= 200) {
    const ntest = Math.floor(b.length / 100) + 1;
    for (const [ch, idx] of [...b2j]) if (idx.length > ntest) b2j.delete(ch);
  }
  const longest = (alo: number, ahi: number, blo: number, bhi: number): [number, number, number] => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(a[i]!) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    // No junk: the extension loops of difflib only matter with junk or popular elements.
    while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1] && !b2j.has(b[bestj - 1]!)) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] === b[bestj + bestsize] && !b2j.has(b[bestj + bestsize]!)) {
      bestsize++;
    }
    return [besti, bestj, bestsize];
  };
  let total = 0;
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  while (queue.length) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const [i, j, k] = longest(alo, ahi, blo, bhi);
    if (k) {
      total += k;
      if (alo < i && blo < j) queue.push([alo, i, blo, j]);
      if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
    }
  }
  return total;
}

function ratio(word: string[], x: string[]): number {
  const n = word.length + x.length;
  return n ? (2 * matchingCount(x, word)) / n : 1;
}

export function closeMatch(word: string, possibilities: readonly string[], cutoff = 0.6): string | null {
  const w = Array.from(word);
  let best: [number, string] | null = null;
  for (const x of possibilities) {
    const xs = Array.from(x);
    const n = w.length + xs.length;
    // real_quick_ratio, quick_ratio, ratio: the first two only prune.
    if (n && (2 * Math.min(w.length, xs.length)) / n < cutoff) continue;
    const r = ratio(w, xs);
    if (r >= cutoff && (best === null || r > best[0] || (r === best[0] && x > best[1]))) best = [r, x];
  }
  return best === null ? null : best[1];
}

// -- the levels: a record's fields, a group's items ---------------------------------------

const ITEM_ID = "item_id";

function blank(v: Value): boolean {
  return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
}

class ObjectSpec {
  readonly checkers = new Map<string, Checker>();
  readonly required: string[];
  readonly counted: Set<string>;
  readonly names: string[];

  constructor(fields: readonly FieldDef[], readonly owner: string, isItem: boolean) {
    for (const f of fields) this.checkers.set(f.name, f.type === "repeat" ? groupChecker(f) : compileField(f));
    if (isItem) this.checkers.set(ITEM_ID, (v, path, out) => {
      if (typeof v !== "string" || !v) wrongType(out, path, "an item id (text)", v);
    });
    this.required = fields.filter((f) => f.required).map((f) => f.name);
    this.counted = new Set(fields.filter((f) => f.type === "repeat" && (f.min_items ?? 0) > 0).map((f) => f.name));
    this.names = [...this.checkers.keys()];
  }

  check(values: Value, prefix: string, partial: boolean, out: Problem[]): void {
    if (!isObj(values)) return wrongType(out, prefix || "(record)", "an object of field values", values);
    const dot = prefix ? `${prefix}.` : "";
    for (const name of Object.keys(values)) {
      const v = values[name]!;
      const path = `${dot}${name}`;
      const checker = this.checkers.get(name);
      if (checker === undefined) {
        const close = closeMatch(name, this.names);
        add(out, path, "unknown_field", `is not a field of ${this.owner}${close !== null ? `; did you mean ${close}?` : ""}`);
      } else if (v === null) {
        if (partial && this.required.includes(name)) add(out, path, "missing_required", "is required and cannot be cleared");
      } else checker(v, path, out);
    }
    if (!partial) {
      for (const name of this.required) {
        const v = name in values ? values[name]! : null;
        if (blank(v) && !(Array.isArray(v) && v.length === 0 && this.counted.has(name))) {
          add(out, `${dot}${name}`, "missing_required", "is required but has no value");
        }
      }
    }
  }
}

function groupChecker(g: FieldDef): Checker {
  const spec = new ObjectSpec(g.fields ?? [], `the ${g.name} group`, true);
  const lo = g.min_items ?? 0;
  const hi = g.max_items ?? null;
  return (v, path, out) => {
    if (!Array.isArray(v)) return wrongType(out, path, "a list of items", v);
    const list = v as Value[];
    if (list.length < lo) add(out, path, "too_few_items", `needs at least ${lo} item${lo !== 1 ? "s" : ""}, got ${list.length}`);
    if (hi !== null && list.length > hi) add(out, path, "too_many_items", `allows at most ${hi} items, got ${list.length}`);
    list.forEach((item, i) => spec.check(item, `${path}[${i}]`, false, out));
  };
}

/** A form's checkers, built once. */
export class CompiledForm {
  readonly record: ObjectSpec;
  readonly groups = new Map<string, ObjectSpec>();
  readonly ref: string;

  constructor(readonly form: FormDef) {
    this.ref = `${form.id}@${form.version}`;
    this.record = new ObjectSpec(form.fields, this.ref, false);
    for (const f of form.fields) if (f.type === "repeat") this.groups.set(f.name, new ObjectSpec(f.fields ?? [], `the ${f.name} group`, true));
  }

  /** Every problem of a record's values (or of an edit's, with `partial`). */
  validate(values: Value, partial = false): Problem[] {
    const out: Problem[] = [];
    this.record.check(values, "", partial, out);
    return out;
  }

  /** Every problem of one repeat item; paths `group.field`, or `group[index].field`. */
  validateItem(group: string, values: Value, partial = false, index: number | null = null): Problem[] {
    const out: Problem[] = [];
    const spec = this.groups.get(group);
    if (spec === undefined) {
      add(out, group, "unknown_group", `is not a repeat group of ${this.ref}`);
      return out;
    }
    spec.check(values, index === null ? group : `${group}[${index}]`, partial, out);
    return out;
  }
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

