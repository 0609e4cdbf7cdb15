import { describe, expect, it } from "vitest";
import { fold, searchTerms, type Term } from "./vocabulary";

const term = (code: string, group: string, sv: string, en: string, def = ""): Term => ({
  code, group, label_sv: sv, label_en: en, definition_sv: def, definition_en: "",
});
const terms = [
  term("belysning", "physical", "Belysning", "Lighting", "Trasig eller otillräcklig belysning"),
  term("skadegorelse", "maintenance", "Skadegörelse", "Vandalism"),
  term("klotter", "maintenance", "Klotter", "Graffiti"),
  term("otrygg_plats", "social", "Otrygg plats", "Place felt unsafe", "En plats som upplevs otrygg, t.ex. dålig belysning"),
];

describe("vocabulary search", () => {
  it("folds diacritics and case", () => {
    expect(fold("Skadegörelse ÅÄÖ")).toBe("skadegorelse aao");
  });

  it("finds by Swedish or English label, without diacritics", () => {
    expect(searchTerms(terms, "skadegorelse").map((t) => t.code)).toEqual(["skadegorelse"]);
    expect(searchTerms(terms, "graff").map((t) => t.code)).toEqual(["klotter"]);
  });

  it("ranks a label match above a definition match", () => {
    expect(searchTerms(terms, "belysning").map((t) => t.code)).toEqual(["belysning", "otrygg_plats"]);
  });

  it("requires every word and returns all for an empty query, by group order", () => {
    expect(searchTerms(terms, "otrygg plats").map((t) => t.code)).toEqual(["otrygg_plats"]);
    expect(searchTerms(terms, "klotter nope")).toEqual([]);
    expect(searchTerms(terms, "", ["social", "physical", "maintenance"]).map((t) => t.code)).toEqual([
      "otrygg_plats", "belysning", "klotter", "skadegorelse",
    ]);
  });
});
