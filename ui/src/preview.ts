// The template preview the dashboard's editor shows in a frame: the walk
// screen's own question rendering (`views/item.ts`) and style sheet, so a
// coordinator sees each question exactly as a device will, and can try
// the answers. The editor sends the version being written as a message;
// nothing here is saved or sent anywhere.
import "./style.css";
import type { AnswerInput, SectionView, TermView } from "./bindings";
import { h, swapKeepingFocus } from "./dom";
import { setLanguage, t, type Language } from "./i18n";
import { itemRow, sectionCard } from "./views/item";

/** What the editor sends: the version as written, and the terms in use. */
export interface PreviewMessage {
  type: "trygg-preview";
  /** Answered back once drawn, so the editor knows the frame shows it. */
  seq: number;
  title: string;
  sections: SectionView[];
  terms: TermView[];
  language: Language;
}

export function isPreviewMessage(data: unknown): data is PreviewMessage {
  const m = data as PreviewMessage | null;
  return typeof m === "object" && m !== null && m.type === "trygg-preview" && Array.isArray(m.sections) && Array.isArray(m.terms);
}

/** Draws `m` into `root`; answers tried in the preview live in `answers`. */
export function drawPreview(root: HTMLElement, m: PreviewMessage, answers: Record<string, AnswerInput>): void {
  setLanguage(m.language === "en" ? "en" : "sv");
  // A question or section not yet written still shows where it goes.
  const sections = m.sections.map((s, si) => ({
    ...s,
    title_sv: s.title_sv || t("preview.untitled_section"),
    items: s.items.map((i, ii) => ({ ...i, id: i.id || `new-${si}-${ii}`, prompt_sv: i.prompt_sv || t("preview.untitled_item") })),
  }));
  const row = (item: SectionView["items"][number]): HTMLElement =>
    itemRow(item, {
      answer: answers[item.id],
      disabled: false,
      error: undefined,
      missing: false,
      terms: m.terms,
      places: [],
      onAnswer: (a) => {
        if (a === null) delete answers[item.id];
        else answers[item.id] = a;
        const old = root.querySelector(`[data-item="${CSS.escape(item.id)}"]`);
        if (old) swapKeepingFocus(old, row(item));
      },
      onInvalidNumber: () => {},
      onText: (_before, now) => {
        answers[item.id] = { kind: "text", value: now };
      },
      // Nothing leaves the preview: a picked photo is not kept.
      onPhoto: () => {},
      photoThumb: () => h("span"),
      onObservation: () => {},
    });
  root.replaceChildren(
    h(
      "div",
      { class: "screen walk" },
      h("div", { class: "screen-head" }, h("div", {}, h("h1", {}, m.title), h("p", { class: "muted" }, t("preview.note")))),
      sections.map((s) => sectionCard(s, row)),
    ),
  );
}

/** Listens for the editor (same origin, the parent window only). */
export function startPreview(root: HTMLElement): void {
  let answers: Record<string, AnswerInput> = {};
  let shown = "";
  window.addEventListener("message", (event) => {
    if (event.origin !== location.origin || event.source !== window.parent || !isPreviewMessage(event.data)) return;
    const m = event.data;
    // Another template: answers tried on the last one go.
    if (m.title !== shown) answers = {};
    shown = m.title;
    drawPreview(root, m, answers);
    window.parent.postMessage({ type: "trygg-preview-drawn", seq: m.seq }, location.origin);
  });
  window.parent.postMessage({ type: "trygg-preview-ready" }, location.origin);
}

const root = document.getElementById("preview");
if (root) startPreview(root);
