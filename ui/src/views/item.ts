// One checklist question as the walk screen shows it, and a section of them.
// Nothing here saves or reads: the walk screen passes what to do with an
// answer, and the dashboard's template preview (`preview.ts`) passes its
// own, so a coordinator sees a question exactly as a device will.
import type { AnswerInput, ItemView, PlaceView, SectionView, TermView } from "../bindings";
import { h, fieldError } from "../dom";
import { icon } from "../icons";
import { pick, t } from "../i18n";
import { parseNumber } from "../logic/walk";

export interface ItemRowOptions {
  answer: AnswerInput | undefined;
  /** The walk may not be edited here: every control is disabled. */
  disabled: boolean;
  /** The message under the question (an error, or that it is required). */
  error: string | undefined;
  missing: boolean;
  /** The vocabulary's terms in use; a choice offers those of its group. */
  terms: TermView[];
  /** The named places of the walk's area. */
  places: PlaceView[];
  /** A tap or a choice: the new answer, `null` to clear it. */
  onAnswer(answer: AnswerInput | null): void;
  /** A number field holds text that is not a number. */
  onInvalidNumber(text: string): void;
  /** A keystroke in a text answer: what the field showed before, and now. */
  onText(before: string, now: string): void;
  onPhoto(file: File): void;
  photoThumb(sha256: string): HTMLElement;
  /** The question's "new observation" link; none when absent. */
  onObservation: (() => void) | null;
}

export function itemRow(item: ItemView, o: ItemRowOptions): HTMLElement {
  const { answer, disabled } = o;
  const pressed = (value: unknown) => String(answer !== undefined && answer.value === value);
  // Every control is named by the item's prompt (screen readers, axe).
  const named = `prompt-${item.id}`;
  let control: HTMLElement;
  switch (item.kind) {
    case "yes_no":
      control = h(
        "div",
        { class: "segmented answer", role: "group", "aria-labelledby": named },
        (["yes", "no", "na"] as const).map((v) =>
          h("button", { "data-answer": v, "aria-pressed": pressed(v), disabled, onclick: () => o.onAnswer(answer?.value === v ? null : { kind: "yes_no", value: v }) }, t(`answer.${v}`)),
        ),
      );
      break;
    case "rating":
      control = h(
        "div",
        { class: "segmented answer", role: "group", "aria-labelledby": named },
        [1, 2, 3, 4, 5].map((n) =>
          h("button", { "data-rating": n, "aria-pressed": pressed(n), disabled, onclick: () => o.onAnswer(answer?.value === n ? null : { kind: "rating", value: n }) }, String(n)),
        ),
      );
      break;
    case "number": {
      const input = h("input", { type: "text", inputmode: "decimal", "data-key": `item:${item.id}`, "aria-labelledby": named, disabled, value: answer?.kind === "number" ? String(answer.value) : "" });
      input.addEventListener("input", () => {
        const n = parseNumber(input.value);
        if (n === "invalid") return o.onInvalidNumber(input.value);
        o.onAnswer(n === null ? null : { kind: "number", value: n });
      });
      control = input;
      break;
    }
    case "choice": {
      const terms = o.terms.filter((x) => !item.vocabulary_group || x.group === item.vocabulary_group);
      const select = h("select", { disabled, "aria-labelledby": named, onchange: () => o.onAnswer(select.value ? { kind: "choice", value: select.value } : null) },
        h("option", { value: "" }, t("newwalk.choose")),
        terms.map((x) => h("option", { value: x.code }, pick(x.label_sv, x.label_en))));
      select.value = answer?.kind === "choice" ? answer.value : "";
      control = select;
      break;
    }
    case "location": {
      const select = h("select", { disabled, "aria-labelledby": named, onchange: () => o.onAnswer(select.value ? { kind: "location", value: { lat: null, lon: null, accuracy_m: null, place_id: select.value } } : null) },
        h("option", { value: "" }, t("obs.no_place")),
        o.places.map((p) => h("option", { value: p.id }, p.name)));
      select.value = answer?.kind === "location" ? (answer.value.place_id ?? "") : "";
      control = select;
      break;
    }
    case "photo": {
      const current = answer?.kind === "photos" ? answer.value : [];
      const input = h("input", { type: "file", accept: "image/*", capture: "environment", disabled });
      input.addEventListener("change", () => {
        const f = input.files?.[0];
        if (f) o.onPhoto(f);
      });
      control = h("div", {}, h("label", { class: "file-button" }, t("obs.add_photo"), input), h("div", { class: "thumbs" }, current.map((p) => o.photoThumb(p.sha256))));
      break;
    }
    default: {
      const text = h("textarea", { rows: 2, "data-key": `item:${item.id}`, "aria-labelledby": named, disabled });
      const shown = answer?.kind === "text" ? answer.value : "";
      text.value = shown;
      text.addEventListener("input", () => {
        // What this field showed before the keystroke: the base of the change,
        // so someone else's words that arrived meanwhile are kept.
        const before = text.dataset.sent ?? shown;
        const now = text.value;
        text.dataset.sent = now;
        o.onText(before, now);
      });
      control = text;
    }
  }
  return h(
    "div",
    { class: `item${o.missing ? " missing" : ""}`, "data-item": item.id, "data-kind": item.kind, "data-required": String(item.required), "data-answered": String(answer !== undefined) },
    h("div", { class: "prompt", id: named }, pick(item.prompt_sv, item.prompt_en), item.required ? h("span", { class: "required", title: t("answer.required") }, " *") : null),
    item.help_sv ? h("small", { class: "muted" }, item.help_sv) : null,
    control,
    fieldError(item.id, o.error),
    h("button", { class: "link", onclick: () => o.onObservation?.(), hidden: o.onObservation === null }, icon("plus"), t("walk.add_observation")),
  );
}

/** A section of the checklist: its title and its questions. */
export function sectionCard(section: SectionView, row: (item: ItemView) => HTMLElement): HTMLElement {
  return h("section", { class: "card section" }, h("h2", {}, pick(section.title_sv, section.title_en)), section.items.map(row));
}
