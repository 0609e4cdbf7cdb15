// Checklist templates: every template with its versions, a version's
// questions as the field app asks them, a version as XLSForm; for a
// coordinator who may, a version opened in the editor (template-editor.js)
// and saved as the draft, an XLSForm imported as a new draft after a
// preview of what each row becomes, publishing a draft, and a new template.
// Everything shown is built with textContent: no markup from data.

import { $, api, el } from "/dashboard/common.js";
import { KINDS, openEditor, startEditor } from "/dashboard/template-editor.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
let templates = [];

function say(text) {
  $("tpl-message").textContent = text;
  $("tpl-message").hidden = !text;
}

const day = (ms) => new Date(ms).toLocaleDateString("sv-SE");
const base = (t) => `/dashboard/api/templates/${encodeURIComponent(t.doc_id)}`;

function draw() {
  $("tpl-list").replaceChildren(
    ...templates.map((t) => {
      const box = el("div", undefined, { class: "template", "data-template": t.template_id });
      box.append(el("h3", t.title_sv));
      const rows = t.versions.map((v) => {
        const tr = el("tr", undefined, { "data-version": String(v.version) });
        const state = v.published_at ? `Publicerad ${day(v.published_at)}` : "Utkast";
        tr.append(el("td", `Version ${v.version}`), el("td", state), el("td", `${v.questions} frågor i ${v.sections} avsnitt`));
        const act = el("td");
        const show = el("button", "Visa", { type: "button", class: "link", "data-act": "show" });
        show.addEventListener("click", () => view(t, v).catch((e) => say(e.message)));
        const file = el("a", "XLSForm", { href: `${base(t)}/versions/${v.version}/xlsform.xlsx`, download: "" });
        act.append(show, " ", file);
        if (t.can_edit) {
          const edit = el("button", "Redigera", { type: "button", class: "link", "data-act": "edit" });
          edit.addEventListener("click", () => openEditor(t, v.version, reloaded(t)).catch((e) => say(e.message)));
          act.append(" ", edit);
        }
        if (t.can_edit && !v.published_at) {
          const publish = el("button", "Publicera", { type: "button", "data-act": "publish" });
          publish.addEventListener("click", () => publishDraft(t, v).catch((e) => say(e.message)));
          act.append(" ", publish);
        }
        tr.append(act);
        return tr;
      });
      const table = el("table");
      table.append(el("tbody"));
      table.tBodies[0].append(...rows);
      box.append(table);
      if (t.can_edit && t.versions.length === 0) {
        const first = el("button", "Skriv första versionen", { type: "button", "data-act": "edit" });
        first.addEventListener("click", () => openEditor(t, undefined, reloaded(t)).catch((e) => say(e.message)));
        box.append(el("p", "Mallen har ingen version ännu."), first);
      }
      return box;
    }),
  );
  const editable = templates.filter((t) => t.can_edit);
  $("tpl-target").replaceChildren(...editable.map((t) => el("option", t.title_sv, { value: t.doc_id })));
  $("tpl-import").hidden = editable.length === 0;
}

const KIND = Object.fromEntries(KINDS);

/** After the editor saved: the list read again, and `t` as it is now. */
const reloaded = (t) => async () => {
  await load();
  return templates.find((x) => x.doc_id === t.doc_id) ?? t;
};

async function createTemplate(e) {
  e.preventDefault();
  const made = await api("/dashboard/api/templates", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ template_id: $("new-tpl-id").value, title_sv: $("new-tpl-sv").value, title_en: $("new-tpl-en").value }),
  });
  $("new-tpl").reset();
  await load();
  const t = templates.find((x) => x.doc_id === made.doc_id);
  say(`Mallen ${t.title_sv} är skapad. Skriv dess första version nedan.`);
  await openEditor(t, undefined, reloaded(t));
}

// A version's questions, section by section, in the field app's order.
async function view(t, v) {
  const body = await api(`${base(t)}/versions/${v.version}`);
  $("tpl-view-h").textContent = `${t.title_sv}, version ${body.version}${body.published_at ? "" : " (utkast)"}`;
  $("tpl-view-body").replaceChildren(
    ...body.sections.map((s) => {
      const section = el("section", undefined, { "data-section": s.id });
      section.append(el("h4", s.title_sv));
      const list = el("ol");
      for (const i of s.items) {
        const li = el("li", undefined, { "data-item": i.id, "data-kind": i.kind });
        li.append(el("strong", i.prompt_sv + (i.required ? " *" : "")), " ", el("small", KIND[i.kind] ?? i.kind));
        if (i.help_sv) li.append(el("br"), el("small", i.help_sv));
        if (i.choices.length) li.append(el("br"), el("small", i.choices.join(" · ")));
        list.append(li);
      }
      section.append(list);
      return section;
    }),
  );
  $("tpl-view").hidden = false;
}

async function load() {
  templates = await api("/dashboard/api/templates");
  draw();
}

async function publishDraft(t, v) {
  const done = await api(`${base(t)}/versions/${v.version}/publish`, { method: "POST" });
  await load();
  say(`Version ${done.version} av ${t.title_sv} är publicerad. Enheterna startar nya vandringar på den.`);
}

const OUTCOME = { taken: "Tas", taken_with_note: "Tas", not_taken: "Tas inte" };

function report(r, done) {
  const facts = done
    ? `Importerad som utkast, version ${r.version}: ${r.questions} frågor, ${r.not_taken} rader tas inte.`
    : r.problems.length
      ? `Kan inte importeras: ${r.problems.length} fel att rätta först.`
      : `Förhandsgranskning: blir version ${r.version} med ${r.questions} frågor; ${r.not_taken} rader tas inte.`;
  $("tpl-report-facts").textContent = facts;
  $("tpl-report-facts").hidden = false;
  $("tpl-problems").replaceChildren(...r.problems.map((p) => el("li", p)));
  $("tpl-report").tBodies[0].replaceChildren(
    ...r.rows.map((row) => {
      const tr = el("tr", undefined, { "data-sheet": row.sheet, "data-line": String(row.line), "data-outcome": row.outcome });
      const detail = row.reason ?? [row.what, row.note].filter(Boolean).join(" – ");
      tr.append(el("td", row.sheet), el("td", String(row.line)), el("td", row.name), el("td", `${OUTCOME[row.outcome]}: ${detail}`));
      return tr;
    }),
  );
  $("tpl-report").hidden = false;
}

async function sendFile(dryRun) {
  const file = $("tpl-file").files[0];
  if (!file) throw new Error("Välj en XLSForm-fil (.xlsx) först.");
  const target = $("tpl-target").value;
  return api(`/dashboard/api/templates/${encodeURIComponent(target)}/import${dryRun ? "?dry_run=true" : ""}`, {
    method: "POST",
    headers: { "content-type": XLSX },
    body: await file.arrayBuffer(),
  });
}

async function preview(e) {
  e.preventDefault();
  $("tpl-import-go").disabled = true;
  const r = await sendFile(true);
  report(r, false);
  $("tpl-import-go").disabled = r.problems.length > 0;
}

async function importFile() {
  $("tpl-import-go").disabled = true;
  const r = await sendFile(false);
  await load();
  report(r, r.made);
  say(r.made ? `Utkast version ${r.version} är sparat. Granska det och publicera när det är klart.` : "Inget utkast gjordes.");
}

async function start() {
  try {
    await load();
  } catch (e) {
    // Not logged in: the page says so (app.js). Anything else is said here.
    if (e.status !== 401) {
      say(`Mallarna kunde inte läsas: ${e.message}`);
      $("tpl-section").hidden = false;
    }
    return;
  }
  const fail = (e) => say(e.message);
  startEditor();
  const me = await api("/dashboard/api/me");
  $("new-tpl").hidden = me.role !== "coordinator";
  $("new-tpl").addEventListener("submit", (e) => createTemplate(e).catch(fail));
  $("tpl-import").addEventListener("submit", (e) => preview(e).catch(fail));
  $("tpl-import-go").addEventListener("click", () => importFile().catch(fail));
  for (const id of ["tpl-file", "tpl-target"]) {
    $(id).addEventListener("change", () => {
      $("tpl-import-go").disabled = true;
    });
  }
  $("tpl-section").hidden = false;
}

start();
