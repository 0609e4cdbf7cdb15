// The common vocabulary: every term by group, its versions and what changed
// between two; for a coordinator who may, adding, renaming, defining and
// deprecating terms (each a new version, sent to every device by sync), and
// importing a CSV file of terms after a preview of what each row does.
// Everything shown is built with textContent: no markup from data.

import { $, api, el } from "/dashboard/common.js";

let vocab = null;
// The term the form edits; null for a new one.
let editing = null;

function say(text) {
  $("vocab-message").textContent = text;
  $("vocab-message").hidden = !text;
}

const label = (code) => vocab.terms.find((t) => t.code === code)?.label_sv ?? code;
const groupName = (code) => vocab.groups.find((g) => g.code === code)?.label_sv ?? code;

function status(t) {
  if (!t.deprecated) return "I bruk";
  if (t.counted_as !== t.code) return `Ur bruk sedan version ${t.deprecated_in} · räknas som ${label(t.counted_as)}`;
  return `Ur bruk sedan version ${t.deprecated_in}`;
}

function draw() {
  const active = vocab.terms.filter((t) => !t.deprecated).length;
  $("vocab-facts").textContent = `Version ${vocab.version} · ${active} termer i bruk, ${vocab.terms.length - active} ur bruk.`;
  $("vocab-why").textContent = vocab.why_not ?? "";
  $("vocab-why").hidden = !vocab.why_not;
  $("vocab-new").hidden = !vocab.can_edit;
  $("vocab-new-group").hidden = !vocab.can_edit;
  $("vocab-import").hidden = !vocab.can_edit;
  $("vocab-problems").replaceChildren(...vocab.problems.map((p) => el("li", p)));
  $("vocab-problems-box").hidden = vocab.problems.length === 0;
  $("vocab-terms").tBodies[0].replaceChildren(
    ...vocab.terms.map((t) => {
      const tr = el("tr", undefined, { "data-code": t.code });
      if (t.deprecated) tr.className = "deprecated";
      const name = el("td");
      name.append(el("strong", t.label_sv));
      if (t.definition_sv) name.append(el("br"), el("small", t.definition_sv));
      tr.append(el("td", groupName(t.group)), name, el("td", t.label_en), el("td", t.code), el("td", status(t)));
      const act = el("td");
      if (vocab.can_edit && !t.deprecated) {
        const b = el("button", "Ändra", { type: "button", class: "link", "aria-label": `Ändra ${t.label_sv}` });
        b.addEventListener("click", () => open(t));
        act.append(b);
      }
      tr.append(act);
      return tr;
    }),
  );
  const options = vocab.versions.map((v) => [String(v.version), `${v.version} (${new Date(v.at).toLocaleDateString("sv-SE")})`]);
  for (const [id, pick] of [["vocab-from", 0], ["vocab-to", options.length - 1]]) {
    const select = $(id);
    const keep = select.value;
    select.replaceChildren(...options.map(([value, text]) => el("option", text, { value })));
    select.value = keep && options.some(([v]) => v === keep) ? keep : options[pick]?.[0] ?? "";
  }
  $("vocab-compare").hidden = options.length < 2;
}

function open(term) {
  editing = term;
  const form = $("vocab-form");
  $("vocab-form-h").textContent = term ? `Ändra ${term.label_sv}` : "Ny term";
  $("vocab-code").value = term?.code ?? "";
  $("vocab-code").disabled = Boolean(term);
  $("vocab-group").replaceChildren(...vocab.groups.map((g) => el("option", g.label_sv, { value: g.code })));
  $("vocab-group").value = term?.group ?? vocab.groups[0]?.code ?? "";
  $("vocab-label-sv").value = term?.label_sv ?? "";
  $("vocab-label-en").value = term?.label_en ?? "";
  $("vocab-def-sv").value = term?.definition_sv ?? "";
  $("vocab-def-en").value = term?.definition_en ?? "";
  $("vocab-deprecate").hidden = !term;
  if (term) {
    const others = vocab.terms.filter((t) => !t.deprecated && t.code !== term.code);
    $("vocab-replacement").replaceChildren(
      el("option", "Ingen ersättare (räknas som sig själv)", { value: "" }),
      ...others.map((t) => el("option", t.label_sv, { value: t.code })),
    );
  }
  form.hidden = false;
  say("");
  (term ? $("vocab-label-sv") : $("vocab-code")).focus();
}

function close() {
  editing = null;
  $("vocab-form").hidden = true;
}

async function load() {
  vocab = await api("/dashboard/api/vocabulary");
  draw();
}

async function saveGroup(e) {
  e.preventDefault();
  const done = await api("/dashboard/api/vocabulary/groups", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: $("vocab-group-code").value, label_sv: $("vocab-group-sv").value, label_en: $("vocab-group-en").value }),
  });
  const name = $("vocab-group-sv").value.trim();
  $("vocab-group-form").hidden = true;
  $("vocab-group-form").reset();
  await load();
  say(`Gruppen ${name} är tillagd (version ${done.version}).`);
}

async function save(e) {
  e.preventDefault();
  const text = {
    group: $("vocab-group").value,
    label_sv: $("vocab-label-sv").value,
    label_en: $("vocab-label-en").value,
    definition_sv: $("vocab-def-sv").value,
    definition_en: $("vocab-def-en").value,
  };
  const json = { method: "POST", headers: { "content-type": "application/json" } };
  const done = editing
    ? await api(`/dashboard/api/vocabulary/terms/${encodeURIComponent(editing.code)}`, { ...json, method: "PUT", body: JSON.stringify(text) })
    : await api("/dashboard/api/vocabulary/terms", { ...json, body: JSON.stringify({ code: $("vocab-code").value, ...text }) });
  close();
  await load();
  say(`Sparat som version ${done.version}. Enheterna får den när de synkar.`);
}

async function deprecate() {
  const replaced_by = $("vocab-replacement").value || null;
  const done = await api(`/dashboard/api/vocabulary/terms/${encodeURIComponent(editing.code)}/deprecate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ replaced_by }),
  });
  close();
  await load();
  say(`Tagen ur bruk i version ${done.version}.`);
}

const CHANGE = {
  added: (c) => `Ny: ${c.label_sv} (${c.code})`,
  deprecated: (c) => (c.replaced_by ? `Ur bruk: ${c.code}, ersatt av ${c.replaced_by}` : `Ur bruk: ${c.code}`),
  reinstated: (c) => `I bruk igen: ${c.code}`,
  changed: (c) => `${c.code}: ${FIELD[c.field] ?? c.field} ”${c.before}” → ”${c.after}”`,
};
const FIELD = {
  group: "grupp",
  label_sv: "benämning",
  label_en: "engelsk benämning",
  definition_sv: "definition",
  definition_en: "engelsk definition",
};

async function compare(e) {
  e.preventDefault();
  const d = await api(`/dashboard/api/vocabulary/diff?from=${$("vocab-from").value}&to=${$("vocab-to").value}`);
  const items = d.changes.map((c) => el("li", CHANGE[c.kind](c)));
  $("vocab-diff").replaceChildren(...(items.length ? items : [el("li", "Inga ändringar.")]));
}

const OUTCOME = {
  added: "Ny term",
  changed: "Ändrad",
  deprecated: "Tas ur bruk",
  added_deprecated: "Ny, ur bruk",
  unchanged: "Oförändrad",
  refused: "Tas inte",
};

// A dry run's or an import's report, row by row.
function report(r, done) {
  const refused = r.rows.filter((row) => row.outcome === "refused").length;
  const taken = r.rows.filter((row) => !["refused", "unchanged"].includes(row.outcome)).length;
  const version = r.version === r.version_before ? "ingen ny version" : `version ${r.version}`;
  $("vocab-report-facts").textContent = done
    ? `Importerad: ${taken} rader tagna, ${refused} tas inte, ${version}.`
    : `Förhandsgranskning: ${taken} rader ändrar, ${refused} tas inte, ${version}.`;
  $("vocab-report-facts").hidden = false;
  $("vocab-report").tBodies[0].replaceChildren(
    ...r.rows.map((row) => {
      const tr = el("tr", undefined, { "data-line": String(row.line), "data-outcome": row.outcome });
      const outcome = row.reason ? `${OUTCOME[row.outcome]}: ${row.reason}` : OUTCOME[row.outcome];
      tr.append(el("td", String(row.line)), el("td", row.code), el("td", outcome));
      return tr;
    }),
  );
  $("vocab-report").hidden = false;
}

async function sendFile(dryRun) {
  const file = $("vocab-file").files[0];
  if (!file) throw new Error("Välj en CSV-fil först.");
  return api(`/dashboard/api/vocabulary/import${dryRun ? "?dry_run=true" : ""}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: await file.arrayBuffer(),
  });
}

async function preview(e) {
  e.preventDefault();
  $("vocab-import-go").disabled = true;
  report(await sendFile(true), false);
  $("vocab-import-go").disabled = false;
}

async function importFile() {
  $("vocab-import-go").disabled = true;
  const r = await sendFile(false);
  await load();
  report(r, true);
  say(r.version === r.version_before ? "Importen ändrade ingenting." : `Importerad som version ${r.version}. Enheterna får den när de synkar.`);
}

async function start() {
  try {
    await load();
  } catch (e) {
    // Not logged in: the page says so (app.js). Anything else is said here.
    if (e.status !== 401) {
      say(`Terminologin kunde inte läsas: ${e.message}`);
      $("vocab-section").hidden = false;
    }
    return;
  }
  const fail = (e) => say(e.message);
  $("vocab-new").addEventListener("click", () => open(null));
  $("vocab-new-group").addEventListener("click", () => {
    $("vocab-group-form").hidden = false;
    $("vocab-group-code").focus();
  });
  $("vocab-group-cancel").addEventListener("click", () => {
    $("vocab-group-form").hidden = true;
  });
  $("vocab-group-form").addEventListener("submit", (e) => saveGroup(e).catch(fail));
  $("vocab-cancel").addEventListener("click", close);
  $("vocab-form").addEventListener("submit", (e) => save(e).catch(fail));
  $("vocab-deprecate-go").addEventListener("click", () => deprecate().catch(fail));
  $("vocab-compare").addEventListener("submit", (e) => compare(e).catch(fail));
  $("vocab-import").addEventListener("submit", (e) => preview(e).catch(fail));
  $("vocab-import-go").addEventListener("click", () => importFile().catch(fail));
  $("vocab-file").addEventListener("change", () => {
    $("vocab-import-go").disabled = true;
  });
  $("vocab-section").hidden = false;
}

start();
