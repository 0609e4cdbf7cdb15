// The template editor: a coordinator writes a version's sections and
// questions in the page (every kind the field app answers; a choice bound
// to a group of the common vocabulary) and saves them as the template's
// draft; the server checks them with the core's rules and names each
// problem under its place in the form, which is marked here. Beside the
// form, a preview shows the questions with the field app's own code (see
// `drawPreview`). A published
// version is never changed: saving always writes the draft.
// Everything shown is built with textContent: no markup from data.

import { $, api, el } from "/dashboard/common.js";

/** The answer kinds, in the order the editor offers them. */
export const KINDS = [
  ["yes_no", "Ja / Nej / Ej aktuellt"],
  ["rating", "Betyg 1–5"],
  ["number", "Tal"],
  ["text", "Fritext"],
  ["choice", "Val ur terminologin"],
  ["photo", "Foto"],
  ["location", "Plats"],
];

let template; // the template being edited (from the list)
let sections = []; // the form's state, as the server takes it
let vocabulary = { groups: [], terms: [] };
// Called with the saved draft's number; answers the template as listed now.
let onSaved = async () => template;

const blankItem = () => ({ id: "", kind: "yes_no", prompt_sv: "", prompt_en: "", help_sv: "", required: false, vocabulary_group: null });
const blankSection = () => ({ id: "", title_sv: "", title_en: "", items: [blankItem()] });

/**
 * Opens the editor on `t`, starting from `version` (a number) or from one
 * empty question; `saved(version)` reloads the list and answers `t` anew.
 */
export async function openEditor(t, version, saved) {
  template = t;
  onSaved = saved;
  vocabulary = await api("/dashboard/api/vocabulary");
  if (version === undefined) {
    sections = [blankSection()];
  } else {
    const body = await api(`/dashboard/api/templates/${encodeURIComponent(t.doc_id)}/versions/${version}`);
    sections = body.sections.map((s) => ({
      id: s.id,
      title_sv: s.title_sv,
      title_en: s.title_en,
      items: s.items.map((i) => ({
        id: i.id,
        kind: i.kind,
        prompt_sv: i.prompt_sv,
        prompt_en: i.prompt_en,
        help_sv: i.help_sv,
        required: i.required,
        vocabulary_group: i.vocabulary_group,
      })),
    }));
  }
  const draft = t.versions.find((v) => !v.published_at);
  const from = version === undefined ? "en tom mall" : `version ${version}`;
  $("ed-h").textContent = `Redigera ${t.title_sv}`;
  $("ed-note").textContent = draft && draft.version !== version
    ? `Utgår från ${from}. Att spara ersätter utkastet version ${draft.version}.`
    : draft
      ? `Utkastet version ${draft.version}: att spara ändrar det.`
      : `Utgår från ${from}. Att spara gör ett nytt utkast; den publicerade versionen ändras inte.`;
  say("");
  drawForm();
  $("tpl-editor").hidden = false;
  $("ed-sections").querySelector("input")?.focus();
}

function say(text, ok = false) {
  $("ed-message").textContent = text;
  $("ed-message").hidden = !text;
  $("ed-message").className = ok ? "ok" : "";
}

function labelled(text, control) {
  const l = el("label", text);
  l.append(control);
  return l;
}

function input(path, value, set, attrs = {}) {
  const i = el("input", undefined, { "data-path": path, ...attrs });
  i.value = value;
  i.addEventListener("input", () => {
    set(i.value);
    drawPreview();
  });
  return i;
}

function button(text, act, onClick, attrs = {}) {
  const b = el("button", text, { type: "button", class: "secondary", "data-act": act, ...attrs });
  b.addEventListener("click", () => {
    onClick();
    drawForm();
  });
  return b;
}

/** Moves `list[at]` by `by` places. */
function move(list, at, by) {
  const to = at + by;
  if (to < 0 || to >= list.length) return;
  [list[at], list[to]] = [list[to], list[at]];
}

function itemForm(s, si, item, ii) {
  const path = `sections.${si}.items.${ii}`;
  const box = el("fieldset", undefined, { class: "ed-item", "data-path": path });
  box.append(el("legend", `Fråga ${ii + 1}${item.id ? ` (${item.id})` : " (ny)"}`));
  const kind = el("select", undefined, { "data-path": `${path}.kind` });
  for (const [code, label] of KINDS) kind.append(el("option", label, { value: code }));
  kind.value = item.kind;
  kind.addEventListener("change", () => {
    item.kind = kind.value;
    item.vocabulary_group = item.kind === "choice" ? (vocabulary.groups[0]?.code ?? null) : null;
    drawForm();
  });
  const row = el("div", undefined, { class: "row" });
  row.append(
    labelled("Fråga (svenska)", input(`${path}.prompt_sv`, item.prompt_sv, (v) => (item.prompt_sv = v), { maxlength: "300", class: "wide" })),
    labelled("Fråga (engelska)", input(`${path}.prompt_en`, item.prompt_en, (v) => (item.prompt_en = v), { maxlength: "300", class: "wide" })),
  );
  const row2 = el("div", undefined, { class: "row" });
  row2.append(labelled("Svar", kind));
  if (item.kind === "choice") {
    const group = el("select", undefined, { "data-path": `${path}.vocabulary_group` });
    for (const g of vocabulary.groups) group.append(el("option", g.label_sv, { value: g.code }));
    group.value = item.vocabulary_group ?? "";
    group.addEventListener("change", () => {
      item.vocabulary_group = group.value;
      drawPreview();
    });
    row2.append(labelled("Termgrupp", group));
  }
  const required = el("input", undefined, { type: "checkbox", "data-path": `${path}.required` });
  required.checked = item.required;
  required.addEventListener("change", () => {
    item.required = required.checked;
    drawPreview();
  });
  const requiredLabel = labelled("Obligatorisk", required);
  requiredLabel.className = "inline";
  row2.append(requiredLabel);
  const help = el("textarea", undefined, { rows: "2", maxlength: "1000", "data-path": `${path}.help_sv` });
  help.value = item.help_sv;
  help.addEventListener("input", () => {
    item.help_sv = help.value;
    drawPreview();
  });
  const up = button("Upp", "item-up", () => move(s.items, ii, -1));
  const down = button("Ner", "item-down", () => move(s.items, ii, 1));
  up.disabled = ii === 0;
  down.disabled = ii === s.items.length - 1;
  const acts = el("div", undefined, { class: "row" });
  acts.append(up, down, button("Ta bort frågan", "item-remove", () => s.items.splice(ii, 1)));
  box.append(row, row2, labelled("Hjälptext", help), acts);
  return box;
}

function sectionForm(s, si) {
  const path = `sections.${si}`;
  const box = el("fieldset", undefined, { class: "ed-section", "data-path": path });
  box.append(el("legend", `Avsnitt ${si + 1}${s.id ? ` (${s.id})` : " (nytt)"}`));
  const row = el("div", undefined, { class: "row" });
  row.append(
    labelled("Rubrik (svenska)", input(`${path}.title_sv`, s.title_sv, (v) => (s.title_sv = v), { maxlength: "300" })),
    labelled("Rubrik (engelska)", input(`${path}.title_en`, s.title_en, (v) => (s.title_en = v), { maxlength: "300" })),
  );
  box.append(row, ...s.items.map((item, ii) => itemForm(s, si, item, ii)));
  const up = button("Avsnittet upp", "section-up", () => move(sections, si, -1));
  const down = button("Avsnittet ner", "section-down", () => move(sections, si, 1));
  up.disabled = si === 0;
  down.disabled = si === sections.length - 1;
  const acts = el("div", undefined, { class: "row" });
  acts.append(
    button("Ny fråga", "item-add", () => s.items.push(blankItem())),
    up,
    down,
    button("Ta bort avsnittet", "section-remove", () => sections.splice(si, 1)),
  );
  box.append(acts);
  return box;
}

function drawForm() {
  $("ed-sections").replaceChildren(...sections.map(sectionForm));
  drawPreview();
}

// The preview is a frame (`/dashboard/preview.html`) running the field
// app's own question rendering and style sheet; it draws what it is sent.
// `data-sent` and `data-drawn` on the frame say whether it shows the latest.
let previewSeq = 0;

function drawPreview() {
  const frame = $("ed-preview-frame");
  previewSeq += 1;
  frame.dataset.sent = String(previewSeq);
  // A device offers the terms in use only.
  const terms = vocabulary.terms
    .filter((t) => !t.deprecated)
    .map((t) => ({ code: t.code, group: t.group, label_sv: t.label_sv, label_en: t.label_en, definition_sv: t.definition_sv ?? "", definition_en: t.definition_en ?? "" }));
  frame.contentWindow?.postMessage(
    { type: "trygg-preview", seq: previewSeq, title: template?.title_sv ?? "", sections, terms, language: $("ed-preview-lang").value },
    location.origin,
  );
}

/** Marks each field the server named (`sections.0.items.2.prompt_sv: …`). */
function mark(message) {
  for (const e of $("ed-sections").querySelectorAll("[aria-invalid], .ed-error")) {
    if (e.classList.contains("ed-error")) e.remove();
    else e.removeAttribute("aria-invalid");
  }
  let marked = 0;
  for (const part of message.split("; ")) {
    const at = part.indexOf(": ");
    if (at < 0) continue;
    const [path, text] = [part.slice(0, at), part.slice(at + 2)];
    const field = $("ed-sections").querySelector(`[data-path="${CSS.escape(path)}"]`);
    if (!field) continue;
    field.setAttribute("aria-invalid", "true");
    field.closest("label, fieldset")?.append(el("span", text, { class: "ed-error" }));
    marked += 1;
  }
  return marked;
}

async function save() {
  $("ed-save").disabled = true;
  try {
    const done = await api(`/dashboard/api/templates/${encodeURIComponent(template.doc_id)}/draft`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sections }),
    });
    mark("");
    // Ids given by the server (for new sections and questions) come back
    // with the draft, so saving again keeps them.
    await openEditor(await onSaved(done.version), done.version, onSaved);
    say(`Utkast version ${done.version} är sparat. Publicera det när det är klart.`, true);
  } catch (e) {
    const marked = mark(e.message);
    say(marked ? `Rätta ${marked} fält som är markerade: ${e.message}` : e.message);
  } finally {
    $("ed-save").disabled = false;
  }
}

export function startEditor() {
  window.addEventListener("message", (e) => {
    const frame = $("ed-preview-frame");
    if (e.origin !== location.origin || e.source !== frame.contentWindow) return;
    // A frame that loaded after the last draw asks for it.
    if (e.data?.type === "trygg-preview-ready") drawPreview();
    else if (e.data?.type === "trygg-preview-drawn") frame.dataset.drawn = String(e.data.seq);
  });
  $("ed-preview-lang").addEventListener("change", drawPreview);
  $("ed-add-section").addEventListener("click", () => {
    sections.push(blankSection());
    drawForm();
  });
  $("ed-save").addEventListener("click", () => save().catch((e) => say(e.message)));
  $("ed-close").addEventListener("click", () => {
    $("tpl-editor").hidden = true;
  });
}
