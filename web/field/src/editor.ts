/**
 * A form (or one repeat-group item) as widgets, with the core's validation shown next to
 * each field as the person types, before anything is saved.
 */

import type { FieldDef, Fields, GpsFix, Problem, Value } from "../../core/src/index.js";
import type { FileRow } from "./db.js";
import type { FieldDevice } from "./device.js";
import { type Widget, h, widget } from "./widgets.js";

/** The top-level field a problem's path names (`location.x` → `location`). */
export function fieldOf(path: string): string {
  return path.split(/[.[]/)[0] ?? path;
}

export class Editor {
  readonly el: HTMLElement;
  readonly widgets: Widget[];
  private listeners: (() => void)[] = [];
  private initial = new Map<string, string>();

  constructor(
    readonly dev: FieldDevice,
    readonly fields: FieldDef[],
    readonly validate: (values: Fields) => Problem[],
    /** The repeat group this editor is an item of: its problems' paths start with it. */
    readonly group: string | null = null,
  ) {
    this.widgets = fields.filter((f) => f.type !== "repeat").map((f) => widget(f, dev));
    this.el = h("div", { class: "editor" }, ...this.widgets.map((w) => w.el));
    for (const w of this.widgets) w.onChange(() => this.revalidate());
  }

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Fill with values (e.g. a draft or a record); remembered to tell what changed. */
  fill(values: { [k: string]: Value }): void {
    for (const w of this.widgets) {
      if (w.field.name in values) {
        w.set(values[w.field.name]!);
        this.initial.set(w.field.name, key(values[w.field.name]!));
      }
    }
  }

  lock(names: Set<string>, note: string): void {
    for (const w of this.widgets) if (names.has(w.field.name)) w.lock(note);
  }

  values(): Fields {
    const out: Fields = {};
    for (const w of this.widgets) {
      const v = w.get();
      if (v !== undefined) out[w.field.name] = v;
    }
    return out;
  }

  /** Only the fields whose value differs from what `fill` put there. */
  changed(): Fields {
    const out: Fields = {};
    for (const [k, v] of Object.entries(this.values())) if (this.initial.get(k) !== key(v)) out[k] = v;
    return out;
  }

  files(): FileRow[] {
    return this.widgets.flatMap((w) => w.files());
  }

  gps(): GpsFix | null {
    for (const w of this.widgets) {
      const g = w.gps?.();
      if (g) return g;
    }
    return null;
  }

  stop(): void {
    for (const w of this.widgets) w.stop?.();
  }

  /** Show the core's problems for the current values next to their fields. */
  revalidate(extra: Problem[] = []): Problem[] {
    const problems = [...this.validate(this.values()), ...extra];
    this.showProblems(problems);
    for (const fn of this.listeners) fn();
    return problems;
  }

  showProblems(problems: Problem[]): void {
    const by = new Map<string, { e: string[]; w: string[] }>();
    for (const p of problems) {
      // An item's problems name it `group[index].field` (live) or `group.field` (on save).
      const path = this.group !== null && (p.path.startsWith(`${this.group}[`) || p.path.startsWith(`${this.group}.`)) ? p.path.slice(this.group.length).replace(/^\[\d+\]/, "").slice(1) : p.path;
      const name = fieldOf(path);
      const slot = by.get(name) ?? { e: [], w: [] };
      (p.severity === "error" ? slot.e : slot.w).push(p.message);
      by.set(name, slot);
    }
    for (const w of this.widgets) {
      const s = by.get(w.field.name);
      w.showProblems(s?.e ?? [], s?.w ?? []);
    }
  }
}

function key(v: Value): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x && typeof x === "object" && "value" in x && Object.keys(x).length === 1 ? { f64: x.value } : x));
}
