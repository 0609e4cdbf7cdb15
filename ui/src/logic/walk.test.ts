import { describe, expect, it } from "vitest";
import { missingRequired, parseNumber, progress, type SectionView } from "./walk";

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
