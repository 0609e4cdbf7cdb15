// Finding a category in the common vocabulary as one types: by Swedish or
// English label, code or definition; "belysn", "Lighting" and "belysning"
// all find the same term. Diacritics are folded so "oro" finds "oro" and
// "skadegorelse" finds "skadegörelse".

import type { TermView } from "../bindings";

export type Term = TermView;

export function fold(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/** Terms matching every word of `query`, best first (label prefix, label, other). */
export function searchTerms(terms: Term[], query: string, groupOrder: string[] = []): Term[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  const rank = (term: Term): number => {
    if (words.length === 0) return 2;
    const labels = fold(`${term.label_sv} ${term.label_en}`);
    const all = fold(`${labels} ${term.code} ${term.definition_sv} ${term.definition_en}`);
    if (!words.every((w) => all.includes(w))) return -1;
    if (fold(term.label_sv).startsWith(words[0]) || fold(term.label_en).startsWith(words[0])) return 0;
    if (words.every((w) => labels.includes(w))) return 1;
    return 2;
  };
  const groupIndex = (g: string) => {
    const i = groupOrder.indexOf(g);
    return i < 0 ? groupOrder.length : i;
  };
  return terms
    .map((term) => ({ term, r: rank(term) }))
    .filter((x) => x.r >= 0)
    .sort(
      (a, b) =>
        a.r - b.r || groupIndex(a.term.group) - groupIndex(b.term.group) || a.term.label_sv.localeCompare(b.term.label_sv, "sv"),
    )
    .map((x) => x.term);
}
