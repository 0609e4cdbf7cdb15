// Exercises (övning): every exercise the person may read, one per template
// version, and one exercise's walks in different districts side by side
// (each question's answers, then the findings per category). The other
// views leave exercises out unless the filter asks (app.js sends it).
// Everything shown is built with textContent: no markup from data.

import { $, api, el } from "/dashboard/common.js";

function say(text) {
  $("ex-none").textContent = text;
  $("ex-none").hidden = !text;
}

function head(table, first, walks) {
  const tr = el("tr");
  tr.append(el("th", first));
  for (const w of walks) {
    const th = el("th", w.district, { scope: "col", "data-doc": w.doc_id });
    th.append(el("br"), el("small", `${w.route}, ${w.date}`));
    tr.append(th);
  }
  table.tHead.replaceChildren(tr);
}

async function show(item) {
  const c = await api(
    `/dashboard/api/exercises/${encodeURIComponent(item.template_id)}/${item.version}`,
  );
  $("ex-view-h").textContent = `Övning: ${c.template_name} (version ${c.version}), ${c.walks.length} vandringar`;
  head($("ex-table"), "Fråga", c.walks);
  const facts = [
    ["Status", (w) => w.status],
    ["Besvarade frågor", (w) => `${w.answered} av ${c.questions.length}`],
    ["Iakttagelser", (w) => String(w.findings)],
  ];
  let section = null;
  const rows = facts.map(([label, of]) => {
    const tr = el("tr", undefined, { class: "fact" });
    tr.append(el("th", label, { scope: "row" }), ...c.walks.map((w) => el("td", of(w))));
    return tr;
  });
  for (const q of c.questions) {
    if (q.section !== section) {
      section = q.section;
      const tr = el("tr", undefined, { class: "section" });
      tr.append(el("th", section, { colspan: String(c.walks.length + 1), scope: "colgroup" }));
      rows.push(tr);
    }
    const tr = el("tr", undefined, { class: "question" });
    tr.append(el("th", q.prompt, { scope: "row" }), ...q.answers.map((a) => el("td", a ?? "–")));
    rows.push(tr);
  }
  $("ex-table").tBodies[0].replaceChildren(...rows);
  head($("ex-findings"), "Kategori", c.walks);
  $("ex-findings").tBodies[0].replaceChildren(
    ...c.findings.map((f) => {
      const tr = el("tr", undefined, { "data-term": f.code });
      tr.append(el("th", f.label, { scope: "row" }), ...f.counts.map((n) => el("td", String(n), { class: "n" })));
      return tr;
    }),
  );
  $("ex-view").hidden = false;
}

function draw(items) {
  $("ex-list").tBodies[0].replaceChildren(
    ...items.map((x) => {
      const tr = el("tr", undefined, { "data-template": x.template_id, "data-version": String(x.version) });
      const open = el("button", "Jämför", {
        type: "button",
        class: "link",
        "aria-label": `Jämför övningen ${x.template_name} version ${x.version}`,
      });
      open.addEventListener("click", () => show(x).catch((e) => say(`Övningen kunde inte läsas: ${e.message}`)));
      const act = el("td");
      act.append(open);
      tr.append(
        el("td", x.template_name),
        el("td", String(x.version), { class: "n" }),
        el("td", String(x.walks), { class: "n" }),
        el("td", x.districts.join(", ")),
        el("td", x.latest),
        act,
      );
      return tr;
    }),
  );
  say(items.length ? "" : "Inga övningar ännu.");
}

async function start() {
  let items;
  try {
    items = await api("/dashboard/api/exercises");
  } catch (e) {
    // Not logged in: the page says so (app.js). Anything else is said here.
    if (e.status !== 401) {
      say(`Övningarna kunde inte läsas: ${e.message}`);
      $("ex-section").hidden = false;
    }
    return;
  }
  draw(items);
  $("ex-section").hidden = false;
}

start();
