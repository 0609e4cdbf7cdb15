// Rules of the walk screen: progress, unanswered required items, filters.

export interface ItemView {
  id: string;
  kind: string;
  prompt_sv: string;
  prompt_en: string;
  help_sv: string;
  required: boolean;
  vocabulary_group: string | null;
}

export interface SectionView {
  id: string;
  title_sv: string;
  title_en: string;
  items: ItemView[];
}

export type AnswerInput =
  | { kind: "yes_no"; value: "yes" | "no" | "na" }
  | { kind: "rating"; value: number }
  | { kind: "number"; value: number }
  | { kind: "text"; value: string }
  | { kind: "choice"; value: string }
  | { kind: "photos"; value: unknown[] }
  | { kind: "location"; value: unknown };

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

export const WALK_STATUSES = ["planned", "in_progress", "completed", "reported"] as const;
