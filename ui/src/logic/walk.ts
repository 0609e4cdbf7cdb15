// Rules of the walk screen: progress, unanswered required items, filters.

import type { AnswerInput, ItemView, SectionView } from "../bindings";

export type { AnswerInput, ItemView, SectionView };

export function items(sections: SectionView[]): ItemView[] {
  return sections.flatMap((s) => s.items);
}

export function missingRequired(sections: SectionView[], answers: Record<string, AnswerInput>): string[] {
  return items(sections)
    .filter((i) => i.required && !(i.id in answers))
    .map((i) => i.id);
}

export function progress(sections: SectionView[], answers: Record<string, AnswerInput>): { answered: number; total: number } {
  const all = items(sections);
  return { answered: all.filter((i) => i.id in answers).length, total: all.length };
}

/** Reads a number field; `null` for empty, `NaN` never leaves here. */
export function parseNumber(text: string): number | null | "invalid" {
  const s = text.trim().replace(",", ".");
  if (!s) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : "invalid";
}

/**
 * A planned walk's date and time as a person types it, `YYYY-MM-DD HH:MM`
 * (or with a `T` between), in the device's time zone: milliseconds, `null`
 * when empty, `"invalid"` otherwise. A plain text field: WebKit's date
 * fields can make Tab stop at each of their parts (not tried here).
 */
export function parsePlannedAt(text: string): number | null | "invalid" {
  const t = text.trim();
  if (!t) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$/.exec(t);
  if (!m) return "invalid";
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const at = new Date(y, mo - 1, d, h, mi);
  // 2026-02-30 rolls over to March: not a date.
  if (at.getFullYear() !== y || at.getMonth() !== mo - 1 || at.getDate() !== d || at.getHours() !== h || at.getMinutes() !== mi) return "invalid";
  return at.getTime();
}

export const WALK_STATUSES = ["planned", "in_progress", "completed", "reported"] as const;

/** What a change to a walk names: answers set (`null`: cleared), observations added or changed, and removed. */
export interface WalkParts<O> {
  answers: Record<string, AnswerInput | null>;
  observations: O[];
  removed: string[];
}

/**
 * A walk's answers and observations after a change that named only these
 * parts; observations stay in the walk's order (time observed, then id).
 */
export function withParts<O extends { id: string; observed_at: number }>(
  answers: Record<string, AnswerInput>,
  observations: O[],
  u: WalkParts<O>,
): { answers: Record<string, AnswerInput>; observations: O[] } {
  const nextAnswers = { ...answers };
  for (const [item, a] of Object.entries(u.answers)) {
    if (a === null) delete nextAnswers[item];
    else nextAnswers[item] = a;
  }
  const changed = new Set(u.observations.map((o) => o.id));
  const removed = new Set(u.removed);
  const next = observations.filter((o) => !removed.has(o.id) && !changed.has(o.id)).concat(u.observations);
  next.sort((a, b) => a.observed_at - b.observed_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { answers: nextAnswers, observations: next };
}
