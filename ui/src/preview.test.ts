// The dashboard's template preview in a DOM (happy-dom): it draws the
// questions with the walk screen's own rendering, lets answers be tried
// without saving them, and ignores messages that are not the editor's.
import { beforeEach, describe, expect, it } from "vitest";
import type { TermView } from "./bindings";
import { drawPreview, isPreviewMessage, type PreviewMessage } from "./preview";
import { setLanguage } from "./i18n";

const term = (code: string, group: string, label_sv: string): TermView => ({ code, group, label_sv, label_en: `${label_sv} (en)`, definition_sv: "", definition_en: "" });

const message = (over: Partial<PreviewMessage> = {}): PreviewMessage => ({
  type: "trygg-preview",
  seq: 1,
  title: "Kvällsvandring",
  language: "sv",
  terms: [term("klotter", "underhall", "Klotter"), term("nedskrap", "underhall", "Nedskräpning"), term("morkt", "belysning", "Mörkt")],
  sections: [
    {
      id: "s1", title_sv: "Belysning", title_en: "Lighting",
      items: [
        { id: "q1", kind: "yes_no", prompt_sv: "Är gångvägen upplyst?", prompt_en: "Is the path lit?", help_sv: "Titta efter trasiga lampor", required: true, vocabulary_group: null },
        { id: "", kind: "choice", prompt_sv: "", prompt_en: "", help_sv: "", required: false, vocabulary_group: "underhall" },
        { id: "q3", kind: "text", prompt_sv: "Övrigt", prompt_en: "", help_sv: "", required: false, vocabulary_group: null },
      ],
    },
  ],
  ...over,
});

describe("the template preview", () => {
  let root: HTMLElement;
  beforeEach(() => {
    setLanguage("sv");
    root = document.createElement("div");
    document.body.replaceChildren(root);
  });

  it("draws each question as the walk screen does", () => {
    drawPreview(root, message(), {});
    expect(root.querySelector("h1")?.textContent).toBe("Kvällsvandring");
    expect(root.querySelector("section.card.section h2")?.textContent).toBe("Belysning");
    const items = [...root.querySelectorAll<HTMLElement>(".item")];
    expect(items.map((i) => i.dataset.kind)).toEqual(["yes_no", "choice", "text"]);
    expect(items[0].querySelector(".prompt")?.textContent).toBe("Är gångvägen upplyst? *");
    expect(items[0].querySelector("small")?.textContent).toBe("Titta efter trasiga lampor");
    expect([...items[0].querySelectorAll("button[data-answer]")].map((b) => b.textContent)).toEqual(["Ja", "Nej", "Ej aktuellt"]);
    // A question not yet written shows where it goes; a choice offers its group's terms.
    expect(items[1].querySelector(".prompt")?.textContent).toBe("(frågan saknar text)");
    expect([...items[1].querySelectorAll("option")].map((o) => o.textContent)).toEqual(["Välj …", "Klotter", "Nedskräpning"]);
  });

  it("lets an answer be tried and keeps it while the form changes", () => {
    const answers = {};
    drawPreview(root, message(), answers);
    root.querySelector<HTMLButtonElement>("[data-item='q1'] [data-answer='no']")!.click();
    expect(root.querySelector("[data-item='q1'] [data-answer='no']")?.getAttribute("aria-pressed")).toBe("true");
    expect(root.querySelector("[data-item='q1']")?.getAttribute("data-answered")).toBe("true");
    // The editor sends the form again (a prompt changed): the answer stays.
    drawPreview(root, message({ seq: 2 }), answers);
    expect(root.querySelector("[data-item='q1'] [data-answer='no']")?.getAttribute("aria-pressed")).toBe("true");
    // A second tap clears it, as on a device.
    root.querySelector<HTMLButtonElement>("[data-item='q1'] [data-answer='no']")!.click();
    expect(root.querySelector("[data-item='q1']")?.getAttribute("data-answered")).toBe("false");
  });

  it("speaks English when asked", () => {
    drawPreview(root, message({ language: "en" }), {});
    expect(root.querySelector("h2")?.textContent).toBe("Lighting");
    expect(root.querySelector("[data-item='q1'] .prompt")?.textContent).toBe("Is the path lit? *");
    expect(root.querySelector("[data-item='q1'] [data-answer='na']")?.textContent).toBe("Not applicable");
    // No English text: the Swedish one.
    expect(root.querySelector("[data-item='q3'] .prompt")?.textContent).toBe("Övrigt");
  });

  it("takes only the editor's messages", () => {
    expect(isPreviewMessage(message())).toBe(true);
    expect(isPreviewMessage({ type: "trygg-preview", sections: "x", terms: [] })).toBe(false);
    expect(isPreviewMessage({ type: "other", sections: [], terms: [] })).toBe(false);
    expect(isPreviewMessage(null)).toBe(false);
  });
});
