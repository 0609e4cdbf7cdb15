import { describe, expect, it } from "vitest";
import { missingRequired, parseNumber, parsePlannedAt, progress, withParts, type SectionView } from "./walk";

const sections: SectionView[] = [
  {
    id: "s1", title_sv: "Belysning", title_en: "Lighting",
    items: [
      { id: "a", kind: "yes_no", prompt_sv: "", prompt_en: "", help_sv: "", required: true, vocabulary_group: null },
      { id: "b", kind: "rating", prompt_sv: "", prompt_en: "", help_sv: "", required: false, vocabulary_group: null },
    ],
  },
  { id: "s2", title_sv: "", title_en: "", items: [{ id: "c", kind: "text", prompt_sv: "", prompt_en: "", help_sv: "", required: true, vocabulary_group: null }] },
];

describe("walk rules", () => {
  it("lists unanswered required items in template order", () => {
    expect(missingRequired(sections, {})).toEqual(["a", "c"]);
    expect(missingRequired(sections, { c: { kind: "text", value: "x" } })).toEqual(["a"]);
  });

  it("counts progress over all items", () => {
    expect(progress(sections, { b: { kind: "rating", value: 3 } })).toEqual({ answered: 1, total: 3 });
  });

  it("reads numbers with a Swedish decimal comma", () => {
    expect(parseNumber("3,5")).toBe(3.5);
    expect(parseNumber(" ")).toBeNull();
    expect(parseNumber("tre")).toBe("invalid");
  });
});

describe("withParts", () => {
  const o = (id: string, observed_at: number, note = "") => ({ id, observed_at, note });
  const shown = [o("a", 1), o("b", 2), o("c", 3)];

  it("replaces a changed observation in place and leaves the rest", () => {
    const next = withParts({}, shown, { answers: {}, observations: [o("b", 2, "ny text")], removed: [] });
    expect(next.observations).toEqual([o("a", 1), o("b", 2, "ny text"), o("c", 3)]);
    expect(next.observations[0]).toBe(shown[0]);
  });

  it("puts an added observation in time order and drops a removed one", () => {
    const next = withParts({}, shown, { answers: {}, observations: [o("d", 2)], removed: ["a"] });
    expect(next.observations.map((x) => x.id)).toEqual(["b", "d", "c"]);
  });

  it("sets and clears answers without touching the others or the input", () => {
    const answers = { a: { kind: "yes_no", value: "yes" } as const, b: { kind: "rating", value: 3 } as const };
    const next = withParts(answers, shown, { answers: { a: null, c: { kind: "text", value: "x" } }, observations: [], removed: [] });
    expect(next.answers).toEqual({ b: { kind: "rating", value: 3 }, c: { kind: "text", value: "x" } });
    expect(answers.a).toBeDefined();
  });
});

describe("parsePlannedAt", () => {
  it("reads a date and time in local time, and names nonsense", () => {
    expect(parsePlannedAt("")).toBeNull();
    expect(parsePlannedAt("2026-12-14 18:00")).toBe(new Date(2026, 11, 14, 18, 0).getTime());
    expect(parsePlannedAt(" 2026-12-14T8:05 ")).toBe(new Date(2026, 11, 14, 8, 5).getTime());
    for (const bad of ["på tisdag", "2026-02-30 18:00", "2026-12-14", "14/12 18:00", "2026-12-14 25:00"]) {
      expect(parsePlannedAt(bad)).toBe("invalid");
    }
  });
});
