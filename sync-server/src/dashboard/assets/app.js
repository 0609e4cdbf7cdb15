// The lägesbild page: asks the server for the picture the filters describe,
// and asks again whenever the server says the documents changed (live).
// Everything shown is built with textContent: no markup from data.

const $ = (id) => document.getElementById(id);
const DAYS = ["Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag"];
const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1).replace(".", ","));
// A count the server suppressed (fewer than 5 of another organisation's
// observations, or one a total would give back) arrives as null.
const SUPPRESSED = "–";
const num = (x) => (x === null ? SUPPRESSED : fmt(x));

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.append(c);
  return tr;
}

async function api(path, init) {
  const res = await fetch(path, { credentials: "same-origin", ...init });
  if (res.status === 401) {
    throw new LoggedOut("Du är inte inloggad: öppna inloggningslänken du fått av din administratör.");
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({ error: res.statusText }));
    throw new Error(body.error ?? res.statusText);
  }
  return res.status === 204 ? null : res.json();
}

class LoggedOut extends Error {}

function counts(tbody, items, label) {
  tbody.replaceChildren(
    ...items.map((c) =>
      row([
        cell(label(c)),
        cell(num(c.in_period), c.in_period !== null && c.mean_4 !== null && c.in_period > c.mean_4 ? "n up" : "n"),
        cell(num(c.mean_4), "n"),
        cell(num(c.mean_52), "n"),
      ]),
    ),
  );
}

// ---- the map: district outlines and water from this server, drawn as SVG ----

const SVG = "http://www.w3.org/2000/svg";
const MAP_WIDTH = 1000;
// Severity 1–4 (the server's scale, `me.severities`), light to dark;
// categories: a qualitative palette.
const SEVERITY = ["#f4a582", "#d6604d", "#b2182b", "#67001f"];
const CATEGORY = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];
let outlines = null;
let lastMap = null;

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

async function loadOutlines() {
  if (!outlines) {
    const [districts, water] = await Promise.all(
      ["/dashboard/districts.geojson", "/dashboard/water.geojson"].map((u) => api(u)),
    );
    outlines = { districts, water };
  }
  return outlines;
}

// Web Mercator, as map tiles are drawn: x and y from 0 to 1 over the world.
const mercX = (lon) => (lon + 180) / 360;
const mercY = (lat) => {
  const phi = lat * (Math.PI / 180);
  return (1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2;
};

// The extent `e` (degrees) on a page MAP_WIDTH wide.
function projector(e) {
  const x0 = mercX(e.west);
  const y0 = mercY(e.north);
  const s = MAP_WIDTH / (mercX(e.east) - x0);
  return {
    x: (lon) => (mercX(lon) - x0) * s,
    y: (lat) => (mercY(lat) - y0) * s,
    height: (mercY(e.south) - y0) * s,
    x0,
    y0,
    s,
  };
}

// The operator's raster tiles under the outlines, at the zoom where a tile's
// 256 pixels are nearest to its size on the page; none without a source.
function tileImages(tiles, p) {
  if (!tiles) return [];
  const span = MAP_WIDTH / p.s;
  const fit = Math.round(Math.log2(MAP_WIDTH / (span * 256)));
  const z = Math.min(tiles.max_zoom, Math.max(tiles.min_zoom, fit));
  const n = 2 ** z;
  const first = (v) => Math.max(0, Math.floor(v * n));
  const last = (v) => Math.min(n - 1, Math.floor(v * n));
  const images = [];
  for (let x = first(p.x0); x <= last(p.x0 + span); x++) {
    for (let y = first(p.y0); y <= last(p.y0 + p.height / p.s); y++) {
      const url = tiles.url.replace("{z}", z).replace("{x}", x).replace("{y}", y);
      images.push(
        svg("image", {
          class: "tile",
          href: url,
          x: ((x / n - p.x0) * p.s).toFixed(2),
          y: ((y / n - p.y0) * p.s).toFixed(2),
          width: (p.s / n + 0.5).toFixed(2),
          height: (p.s / n + 0.5).toFixed(2),
          preserveAspectRatio: "none",
        }),
      );
    }
  }
  return images;
}

function pathOf(geometry, p) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  return polygons
    .flatMap((rings) =>
      rings.map((ring) => "M" + ring.map(([lon, lat]) => `${p.x(lon).toFixed(1)},${p.y(lat).toFixed(1)}`).join("L") + "Z"),
    )
    .join("");
}

function colours(m, by) {
  if (by === "severity") {
    return {
      of: (c) => SEVERITY[c.max_severity - 1],
      legend: me.severities.map((s, i) => [SEVERITY[i], `Allvarlighet ${s.name}`]),
    };
  }
  const index = new Map(m.groups.map((g, i) => [g.code, i]));
  const of = (c) => CATEGORY[(index.get(c.group) ?? CATEGORY.length - 1) % CATEGORY.length];
  return { of, legend: m.groups.map((g, i) => [CATEGORY[i % CATEGORY.length], g.name]) };
}

function drawMap() {
  const m = lastMap;
  if (!m || !outlines) return;
  const mode = document.querySelector("input[name=map-mode]:checked").value;
  const by = document.querySelector("input[name=map-colour]:checked").value;
  const p = projector(m.extent);
  const map = $("map");
  map.setAttribute("viewBox", `0 0 ${MAP_WIDTH} ${p.height.toFixed(1)}`);
  const chosen = $("area").value;
  // Over an operator's tiles the outlines are lines only: the tiles show
  // land and water.
  const layers = tileImages(m.tiles, p);
  map.classList.toggle("tiled", layers.length > 0);
  for (const f of outlines.districts.features) {
    const code = f.properties.code;
    layers.push(svg("path", { d: pathOf(f.geometry, p), class: code === chosen ? "district chosen" : "district", "data-code": code }));
  }
  if (!m.tiles) for (const f of outlines.water.features) layers.push(svg("path", { d: pathOf(f.geometry, p), class: "water" }));
  for (const f of outlines.districts.features) {
    const ring = f.geometry.coordinates[0][0];
    const lon = ring.reduce((a, c) => a + c[0], 0) / ring.length;
    const lat = ring.reduce((a, c) => a + c[1], 0) / ring.length;
    layers.push(svg("text", { x: p.x(lon).toFixed(1), y: p.y(lat).toFixed(1), class: "label" }, f.properties.name));
  }
  const colour = colours(m, by);
  if (mode === "heat") {
    const h = m.heat;
    const e = m.extent;
    for (const c of h.cells) {
      const x = p.x(e.west + c.col * h.cell_lon);
      const y = p.y(e.north - c.row * h.cell_lat);
      const w = p.x(e.west + (c.col + 1) * h.cell_lon) - x;
      const ht = p.y(e.north - (c.row + 1) * h.cell_lat) - y;
      layers.push(
        svg("rect", {
          class: "heat",
          x: x.toFixed(1),
          y: y.toFixed(1),
          width: (w + 0.5).toFixed(1),
          height: (ht + 0.5).toFixed(1),
          fill: "#b2182b",
          "fill-opacity": (0.1 + 0.7 * c.value).toFixed(2),
        }),
      );
    }
  } else {
    for (const c of [...m.clusters].sort((a, b) => b.count - a.count)) {
      const r = 5 + 4 * Math.sqrt(c.count);
      const g = svg("g", { class: "cluster-group" });
      g.append(
        svg("circle", { class: "cluster", cx: p.x(c.lon).toFixed(1), cy: p.y(c.lat).toFixed(1), r: r.toFixed(1), fill: colour.of(c), "data-count": c.count }),
      );
      if (c.count > 1) g.append(svg("text", { class: "count", x: p.x(c.lon).toFixed(1), y: p.y(c.lat).toFixed(1) }, String(c.count)));
      g.append(svg("title", {}, `${c.count} observationer, högst allvarlighet ${c.max_severity}`));
      layers.push(g);
    }
  }
  map.replaceChildren(...layers);
  map.dataset.placed = String(m.placed);
  map.dataset.mode = mode;
  const notShown = m.unplaced + m.outside;
  const withheld =
    m.withheld === 0 ? "" : `, ${m.withheld ?? "färre än 5"} från andra organisationer inte visade (för få i sin ruta)`;
  const credit = m.tiles?.attribution ? ` Bakgrundskarta: ${m.tiles.attribution}.` : "";
  $("map-summary").textContent =
    `${m.placed} observationer på kartan` + (notShown ? `, ${notShown} utan plats på kartan` : "") + withheld + "." + credit;
  $("map-legend").replaceChildren(
    ...(mode === "heat"
      ? [legendItem("#b2182b", "Fler observationer: mörkare")]
      : colour.legend.map(([c, label]) => legendItem(c, label))),
  );
}

function legendItem(colour, label) {
  const li = document.createElement("li");
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = colour;
  li.append(swatch, label);
  return li;
}

// ---- districts side by side: graded map and trend lines ----

// Grade 0 (none) to 5 (most), light to dark; a suppressed total is grey.
const GRADE = ["#f7f7f7", "#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
const HIDDEN = "#c8c8c8";
let lastCompare = null;

function drawCompare() {
  const c = lastCompare;
  if (!c || !c.extent || !outlines) return;
  const chosen = $("area").value;
  const byCode = new Map(c.districts.map((d) => [d.code, d]));
  const p = projector(c.extent);
  const map = $("compare-map");
  map.setAttribute("viewBox", `0 0 ${MAP_WIDTH} ${p.height.toFixed(1)}`);
  const layers = [];
  for (const f of outlines.districts.features) {
    const d = byCode.get(f.properties.code);
    const fill = !d ? GRADE[0] : d.grade === null ? HIDDEN : GRADE[d.grade];
    const path = svg("path", {
      d: pathOf(f.geometry, p),
      class: f.properties.code === chosen ? "district chosen" : "district",
      fill,
      "data-code": f.properties.code,
      "data-grade": d?.grade ?? "",
    });
    path.append(svg("title", {}, `${f.properties.name}: ${d ? num(d.total) : 0} observationer`));
    layers.push(path);
  }
  for (const f of outlines.water.features) layers.push(svg("path", { d: pathOf(f.geometry, p), class: "water" }));
  for (const f of outlines.districts.features) {
    const ring = f.geometry.coordinates[0][0];
    const lon = ring.reduce((a, x) => a + x[0], 0) / ring.length;
    const lat = ring.reduce((a, x) => a + x[1], 0) / ring.length;
    layers.push(svg("text", { x: p.x(lon).toFixed(1), y: p.y(lat).toFixed(1), class: "label" }, f.properties.name));
  }
  map.replaceChildren(...layers);
  const n = c.weeks.length;
  $("compare-summary").textContent =
    `${num(c.city_total)} observationer i alla områden under ${n} veckor (${c.weeks[0]}–${c.weeks[n - 1]}).` +
    (c.suppressed ? " Antal med färre än 5 av andra organisationers observationer visas som – (grått på kartan)." : "");
  const step = (g) => Math.ceil((g * c.max_total) / 5);
  $("compare-legend").replaceChildren(
    legendItem(GRADE[0], "Inga"),
    ...[1, 2, 3, 4, 5].map((g) => legendItem(GRADE[g], `${step(g - 1) + 1}–${step(g)}`)),
    ...(c.suppressed ? [legendItem(HIDDEN, "Dolt")] : []),
  );
  const max = Math.max(1, ...c.districts.flatMap((d) => d.weeks.filter((x) => x !== null)));
  $("compare").tBodies[0].replaceChildren(
    ...c.districts.map((d) => {
      const tr = row([
        cell(d.name),
        trendCell(d.weeks, max),
        cell(num(d.total), "n"),
        cell(num(d.previous), "n"),
        cell(change(d.total, d.previous), d.total !== null && d.previous !== null && d.total > d.previous ? "n up" : "n"),
      ]);
      tr.dataset.code = d.code;
      if (d.code === chosen) tr.className = "chosen";
      return tr;
    }),
  );
}

// A trend line of weekly counts; a suppressed week breaks the line.
function trendCell(weeks, max) {
  const td = document.createElement("td");
  const w = 160;
  const h = 28;
  const line = svg("svg", { class: "trend", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img" });
  line.append(svg("line", { class: "base", x1: 0, y1: h - 1, x2: w, y2: h - 1 }));
  const x = (i) => (weeks.length === 1 ? w / 2 : (i * (w - 4)) / (weeks.length - 1) + 2);
  const y = (v) => h - 2 - (v * (h - 4)) / max;
  let run = [];
  const flush = () => {
    if (run.length) line.append(svg("polyline", { points: run.join(" ") }));
    run = [];
  };
  weeks.forEach((v, i) => (v === null ? flush() : run.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`)));
  flush();
  line.append(svg("title", {}, `Per vecka: ${weeks.map(num).join(", ")}`));
  td.append(line);
  return td;
}

function change(now, before) {
  if (now === null || before === null) return SUPPRESSED;
  if (before === 0) return now === 0 ? "±0" : "ny";
  const pct = Math.round((100 * (now - before)) / before);
  return `${pct > 0 ? "+" : pct < 0 ? "−" : "±"}${Math.abs(pct)} %`;
}

// ---- open actions per responsible organisation ----

const STATUS = { proposed: "Föreslagen", accepted: "Accepterad", in_progress: "Pågår", done: "Klar", rejected: "Avvisad" };

function drawActions(a) {
  const owners = a.owners.map((o) => {
    const box = document.createElement("div");
    box.className = "owner";
    box.dataset.org = o.org;
    const h = document.createElement("h3");
    h.textContent = `${o.name}: ${o.open} öppna` + (o.overdue ? `, ${o.overdue} försenade` : "");
    const table = document.createElement("table");
    table.className = "actions";
    const head = row(["Åtgärd", "Status", "Senast", "Område", "Från"].map((t) => {
      const th = document.createElement("th");
      th.textContent = t;
      return th;
    }));
    const body = document.createElement("tbody");
    body.append(
      ...o.actions.map((x) => {
        const tr = row([
          cell(x.description),
          x.writable ? statusPicker(x) : cell(STATUS[x.status] ?? x.status),
          cell(x.due_date ?? "–", x.overdue ? "overdue" : ""),
          cell(x.area),
          cell(x.source?.label ?? "–"),
        ]);
        tr.dataset.doc = x.doc_id;
        if (x.overdue) tr.classList.add("late");
        return tr;
      }),
    );
    const thead = document.createElement("thead");
    thead.append(head);
    table.append(thead, body);
    box.append(h, table);
    return box;
  });
  $("owners").replaceChildren(...owners);
  $("no-actions").hidden = owners.length > 0;
}

// ---- walks and their protocols ----

// Walks on the same route (same district, same name but for case and
// spaces) can be compared: each with the newest before it.
const routeKey = (w) => `${w.district}\u0000${w.route.toLowerCase().split(/\s+/).filter(Boolean).join(" ")}`;

function drawWalks(walks) {
  $("walks").tBodies[0].replaceChildren(
    ...walks.map((w, i) => {
      const view = document.createElement("button");
      view.type = "button";
      view.className = "link";
      view.textContent = "Visa";
      view.addEventListener("click", () => showProtocol(w.doc_id).catch(show));
      const pdf = document.createElement("a");
      pdf.href = `/dashboard/api/walks/${encodeURIComponent(w.doc_id)}/protocol.pdf`;
      pdf.textContent = "PDF";
      const links = document.createElement("td");
      links.append(view, " ", pdf);
      // The list is newest first: an earlier walk of the route comes later.
      if (walks.slice(i + 1).some((x) => routeKey(x) === routeKey(w))) {
        const compare = document.createElement("button");
        compare.type = "button";
        compare.className = "link rewalk";
        compare.textContent = "Jämför med förra";
        compare.addEventListener("click", () => showRewalk(w.doc_id).catch(show));
        links.append(" ", compare);
      }
      const route = cell(w.route);
      if (w.exercise) route.append(" ", exerciseBadge());
      const tr = row([cell(w.date), route, cell(w.district), cell(w.status), cell(String(w.observations), "n"), links]);
      tr.dataset.doc = w.doc_id;
      return tr;
    }),
  );
  $("no-walks").hidden = walks.length > 0;
}

/** The mark an exercise (övning) carries wherever it shows. */
function exerciseBadge() {
  const b = document.createElement("span");
  b.className = "badge exercise";
  b.textContent = "Övning";
  return b;
}

function findingText(f) {
  return `${f.category}, allvarlighet ${f.severity} — ${[f.observed, f.place].filter(Boolean).join(", ")}`;
}

function listItem(text, sub) {
  const li = document.createElement("li");
  li.textContent = text;
  if (sub.length) {
    const ul = document.createElement("ul");
    for (const t of sub) {
      const item = document.createElement("li");
      item.textContent = t;
      ul.append(item);
    }
    li.append(ul);
  }
  return li;
}

async function showRewalk(id) {
  const r = await api(`/dashboard/api/walks/${encodeURIComponent(id)}/rewalk`);
  $("rewalk-h").textContent = `Återbesök: ${r.route}`;
  $("rewalk-facts").textContent =
    `${r.district} · ${r.earlier.when} (${r.earlier.findings} iakttagelser) → ${r.later.when} (${r.later.findings} iakttagelser)`;
  const none = (list, text) => (list.length ? [] : [listItem(text, [])]);
  $("rewalk-gone").replaceChildren(
    ...r.gone.map((f) => listItem(findingText(f), f.actions.map(actionText))),
    ...none(r.gone, "Inget."),
  );
  $("rewalk-remains").replaceChildren(
    ...r.remains.map((p) =>
      listItem(`${findingText(p.now)} (förra gången: allvarlighet ${p.before.severity})`, p.before.actions.map(actionText)),
    ),
    ...none(r.remains, "Inget."),
  );
  $("rewalk-new").replaceChildren(
    ...r.new.map((f) => listItem(findingText(f), f.actions.map(actionText))),
    ...none(r.new, "Inget."),
  );
  $("rewalk").dataset.doc = id;
  $("rewalk").hidden = false;
}

function actionText(a) {
  const contact = a.contact ? ` (kontakt: ${a.contact})` : "";
  return `Åtgärd: ${a.description} — ansvarig: ${a.responsible}${contact}, senast ${a.due_date ?? "inget datum"}, status: ${a.status}`;
}

// A finding's photos, each a link to the whole picture; one a device has
// not uploaded yet is named instead.
function findingPhotos(walk, f) {
  const div = document.createElement("div");
  div.className = "photos";
  f.photos.forEach((photo, i) => {
    const figure = document.createElement("figure");
    const label = `Foto ${i + 1}: ${f.category}`;
    if (photo.uploaded) {
      const src = `/dashboard/api/walks/${encodeURIComponent(walk)}/photos/${photo.sha256}`;
      const link = document.createElement("a");
      link.href = src;
      link.target = "_blank";
      link.rel = "noopener";
      const img = document.createElement("img");
      img.src = src;
      img.alt = photo.caption ? `${label}. ${photo.caption}` : label;
      img.loading = "lazy";
      link.append(img);
      figure.append(link);
    } else {
      figure.classList.add("missing");
      figure.textContent = `Foto ${i + 1} har inte nått servern än.`;
    }
    if (photo.caption) {
      const caption = document.createElement("figcaption");
      caption.textContent = photo.caption;
      figure.append(caption);
    }
    div.append(figure);
  });
  return div;
}

async function showProtocol(id) {
  const p = await api(`/dashboard/api/walks/${encodeURIComponent(id)}/protocol`);
  $("protocol-h").textContent = `${p.exercise ? "ÖVNING – " : ""}Protokoll: ${p.route}`;
  $("protocol").classList.toggle("exercise", p.exercise);
  $("protocol-facts").textContent =
    `${p.district} · ${p.status} · ${p.light} · ${p.organisations.join(", ")}` +
    (p.planned && !p.started ? ` · planerad ${p.planned}` : "") +
    (p.started ? ` · start ${p.started}` : "") + (p.ended ? ` · slut ${p.ended}` : "");
  $("protocol-groups").replaceChildren(
    ...p.groups.map((g) => {
      const li = document.createElement("li");
      li.textContent = `${g.name}: ${g.route}`;
      return li;
    }),
  );
  $("protocol-findings").replaceChildren(
    ...p.findings.map((f) => {
      const li = document.createElement("li");
      const head = document.createElement("strong");
      head.textContent = `${f.category}, allvarlighet ${f.severity}`;
      const where = [f.observed, f.place, f.photos.length ? `${f.photos.length} foto` : ""].filter(Boolean).join(", ");
      li.append(head, ` — ${where}`);
      if (f.note) {
        const note = document.createElement("p");
        note.textContent = f.note;
        li.append(note);
      }
      if (f.photos.length) li.append(findingPhotos(id, f));
      const actions = document.createElement("ul");
      actions.append(
        ...(f.actions.length ? f.actions.map(actionText) : ["Ingen åtgärd föreslagen."]).map((t) => {
          const item = document.createElement("li");
          item.textContent = t;
          return item;
        }),
      );
      li.append(actions);
      return li;
    }),
  );
  $("protocol-other").replaceChildren(
    ...p.other_actions.map((a) => {
      const item = document.createElement("li");
      item.textContent = actionText(a);
      return item;
    }),
  );
  $("protocol-pdf").href = `/dashboard/api/walks/${encodeURIComponent(id)}/protocol.pdf`;
  $("protocol").dataset.doc = id;
  $("protocol").hidden = false;
}

// Who may change an action's status is the server's decision (`writable`);
// a change is an edit of the action's document, which the devices receive.
function statusPicker(x) {
  const td = document.createElement("td");
  const select = document.createElement("select");
  select.className = "status";
  select.setAttribute("aria-label", `Status: ${x.description}`);
  for (const [code, label] of Object.entries(STATUS)) {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = label;
    select.append(option);
  }
  select.value = x.status;
  select.addEventListener("change", async () => {
    select.disabled = true;
    const message = $("action-message");
    try {
      await api(`/dashboard/api/actions/${encodeURIComponent(x.doc_id)}/status`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ status: select.value }),
      });
      message.hidden = true;
    } catch (e) {
      if (e instanceof LoggedOut) return show(e);
      select.value = x.status;
      message.textContent = `Statusen ändrades inte: ${e.message}`;
      message.hidden = false;
    } finally {
      select.disabled = false;
    }
    await refresh().catch(show);
  });
  td.append(select);
  return td;
}

// The exports hold what the filters select, over the chosen period.
function exportLinks() {
  const q = query();
  $("export-csv").href = `/dashboard/api/export.csv?${q}`;
  $("export-geojson").href = `/dashboard/api/export.geojson?${q}`;
}

// Whether the exports carry notes is the organisation's choice: its
// coordinators change it here, everyone sees what it is and who set it.
function exportNotes(settings) {
  const state = settings.export_notes
    ? "med anteckningarna från vår organisations egna observationer (aldrig andras), utan foton"
    : "utan fritext och foton";
  const changed = settings.changed_by
    ? ` · ändrat av ${settings.changed_by} ${new Date(settings.changed_at).toLocaleString("sv-SE")}`
    : "";
  $("export-notes-state").textContent = state + changed;
  $("export-notes-choice").hidden = !settings.may_change;
  $("export-notes").checked = settings.export_notes;
}

async function setExportNotes() {
  const box = $("export-notes");
  const message = $("export-notes-message");
  box.disabled = true;
  try {
    const settings = await api("/dashboard/api/settings", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ export_notes: box.checked }),
    });
    exportNotes(settings);
    message.hidden = true;
  } catch (e) {
    if (e instanceof LoggedOut) return show(e);
    box.checked = !box.checked;
    message.textContent = `Inställningen ändrades inte: ${e.message}`;
    message.hidden = false;
  } finally {
    box.disabled = false;
  }
}

// ---- meeting mode: large type, high contrast, one agenda point at a time ----

const STEPS = ["lagesbild", "hotspots", "actions", "decide"];
let step = null; // null: not in a meeting

function showStep(next) {
  step = next;
  const meeting = step !== null;
  document.body.classList.toggle("meeting", meeting);
  $("meeting").setAttribute("aria-pressed", String(meeting));
  $("meeting").textContent = meeting ? "Avsluta mötesläget" : "Mötesläge";
  $("agenda").hidden = !meeting;
  $("exports").hidden = meeting;
  for (const section of document.querySelectorAll("#picture > section")) {
    section.hidden = meeting ? section.dataset.step !== step : "meetingOnly" in section.dataset;
  }
  for (const b of document.querySelectorAll("#agenda ol button")) {
    if (b.dataset.step === step) b.setAttribute("aria-current", "step");
    else b.removeAttribute("aria-current");
  }
  document.body.dataset.step = step ?? "";
  // A decision is most often about the district the meeting looks at.
  if (step === "decide" && $("area").value) $("decide-area").value = $("area").value;
  if (meeting) window.scrollTo(0, 0);
  // The map's size follows its section: draw it again once it shows.
  drawMap();
}

function move(by) {
  const i = STEPS.indexOf(step) + by;
  if (i >= 0 && i < STEPS.length) showStep(STEPS[i]);
}

function typing(target) {
  return target instanceof HTMLElement && target.matches("input, textarea, select");
}

function meetingKeys(e) {
  if (step === null || typing(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === "ArrowRight" || e.key === "PageDown") move(1);
  else if (e.key === "ArrowLeft" || e.key === "PageUp") move(-1);
  else if (e.key === "Escape") showStep(null);
  else return;
  e.preventDefault();
}

function fillDecisionForm() {
  const org = $("decide-org");
  org.replaceChildren(
    ...me.organisations.map((o) => {
      const option = document.createElement("option");
      option.value = o.code;
      option.textContent = o.name;
      return option;
    }),
  );
  org.value = me.organisation;
  $("decide-area").replaceChildren(
    ...me.areas.map((a) => {
      const option = document.createElement("option");
      option.value = a.code;
      option.textContent = a.name;
      return option;
    }),
  );
  $("decide-due").min = new Date().toLocaleDateString("sv-SE");
  const may = me.role === "coordinator";
  for (const el of $("decide").elements) el.disabled = !may;
  $("decide-who").textContent = may
    ? `Ett beslut blir en åtgärd föreslagen av ${me.organisation_name}, synlig för rådets alla organisationer och genast på den ansvariges enheter.`
    : "Bara en samordnare kan föra in rådets beslut. Du ser dem här och bland åtgärderna.";
}

async function decide(e) {
  e.preventDefault();
  const form = $("decide");
  const message = $("decide-message");
  const body = Object.fromEntries(new FormData(form));
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  message.hidden = true;
  try {
    const made = await api("/dashboard/api/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const org = me.organisations.find((o) => o.code === body.responsible_org)?.name ?? body.responsible_org;
    const li = listItem(body.description.trim(), [`${org}, senast ${body.due_date}`]);
    li.dataset.doc = made.doc_id;
    $("decisions").append(li);
    $("no-decisions").hidden = true;
    $("decide-description").value = "";
    await refresh();
  } catch (err) {
    if (err instanceof LoggedOut) throw err;
    message.textContent = `Beslutet kunde inte föras in: ${err.message}`;
    message.hidden = false;
  } finally {
    submit.disabled = me.role !== "coordinator";
  }
}

let me = null;
let asked = 0;

// The filters as a query string; `over` replaces some of them.
function query(over = {}) {
  const q = new URLSearchParams();
  for (const id of ["week", "weeks", "area", "min_severity", "exercises"]) {
    const v = $(id).value;
    if (v) q.set(id, v);
  }
  for (const [k, v] of Object.entries(over)) q.set(k, v);
  return q.toString();
}

// What the lägesbild's period is called: one week, or several.
function periodWords(p) {
  const one = p.weeks === 1;
  return {
    heading: one ? `Vecka ${p.week}` : `Veckorna ${p.first_week}–${p.week} (${p.weeks} veckor)`,
    means: one
      ? `snitt ${num(p.total.mean_4)} per vecka de 4 veckorna före, ${num(p.total.mean_52)} de 52 före`
      : `snitt ${num(p.total.mean_4)} per period de 4 perioderna före, ` +
        `${num(p.total.mean_52)} per ${p.weeks} veckor året före`,
    now: one ? "Denna vecka" : "Perioden",
    before4: one ? "Snitt 4 v" : "Snitt 4 perioder",
    before52: one ? "Snitt 52 v" : "Snitt året före",
    hot4: one ? "4 veckorna före" : "4 perioderna före",
    none: one
      ? "Inga platser med tre eller fler observationer denna vecka."
      : `Inga platser med i snitt tre eller fler observationer i veckan under perioden.`,
  };
}

async function refresh() {
  const mine = ++asked;
  const area = encodeURIComponent($("area").value);
  const [p, m, a, w, c] = await Promise.all([
    api(`/dashboard/api/lagesbild?${query()}`),
    api(`/dashboard/api/map?${query()}`),
    api(`/dashboard/api/actions?area=${area}`),
    api(`/dashboard/api/walks?area=${area}`),
    api(`/dashboard/api/compare?${query({ weeks: $("compare-weeks").value })}`),
    loadOutlines(),
  ]);
  if (mine !== asked) return; // a newer answer is on its way
  exportLinks();
  const exercises = $("exercises").value;
  $("exercises-shown").textContent =
    exercises === "only" ? "ÖVNING: siffrorna, kartan och exporterna visar bara övningar." :
    exercises === "include" ? "Övningar räknas med i siffrorna, kartan och exporterna (exporterna märker dem)." : "";
  $("exercises-shown").hidden = !exercises;
  lastMap = m;
  lastCompare = c;
  drawMap();
  drawCompare();
  drawActions(a);
  drawWalks(w);
  if (!$("week").value) $("week").value = p.week;
  const words = periodWords(p);
  $("total-h").textContent = words.heading;
  $("total").textContent = num(p.total.in_period);
  $("means").textContent = words.means;
  for (const [cls, text] of [
    ["now-h", words.now],
    ["before4-h", words.before4],
    ["before52-h", words.before52],
    ["hot4-h", words.hot4],
  ]) {
    for (const th of document.querySelectorAll(`.${cls}`)) th.textContent = text;
  }
  $("no-hotspots").textContent = words.none;
  $("suppressed").hidden = !p.suppressed;
  counts($("groups").tBodies[0], p.groups, (c) => c.label);
  counts($("terms").tBodies[0], p.terms, (c) => c.label);
  $("hotspots").tBodies[0].replaceChildren(
    ...p.hot_spots.map((h) =>
      row([
        cell(h.name),
        cell(String(h.in_period), "n"),
        cell(num(h.previous_4), "n"),
        cell(h.kind === "new" ? "ny" : "återkommande", `kind-${h.kind}`),
      ]),
    ),
  );
  $("no-hotspots").hidden = p.hot_spots.length > 0;
  const max = Math.max(1, ...p.grid.flat().filter((n) => n !== null));
  $("grid").tBodies[0].replaceChildren(
    ...p.grid.map((bands, day) =>
      row([
        cell(DAYS[day]),
        ...bands.map((n) => {
          const td = cell(num(n));
          td.style.background = `rgba(164, 22, 26, ${(0.6 * (n ?? 0)) / max})`;
          return td;
        }),
      ]),
    ),
  );
  document.body.dataset.updated = String(Date.now());
}

function live() {
  const status = $("live");
  const events = new EventSource("/dashboard/api/events");
  events.onopen = () => {
    status.dataset.state = "live";
    status.textContent = "Live";
  };
  events.addEventListener("changed", () => refresh().catch(show));
  events.addEventListener("ended", () => {
    events.close();
    status.dataset.state = "ended";
    status.textContent = "Inloggningen har avslutats";
    $("picture").hidden = true;
    show(new LoggedOut("Din inloggning har avslutats. Be din administratör om en ny länk."));
  });
  events.onerror = () => {
    if (status.dataset.state !== "ended") {
      status.dataset.state = "connecting";
      status.textContent = "Återansluter…";
    }
  };
}

function show(e) {
  $("message").textContent = e.message;
  if (e instanceof LoggedOut) {
    $("picture").hidden = true;
    $("logout").hidden = true;
  }
}

/** Appends an option per named code ({code, name}) to a select. */
function addOptions(select, named) {
  for (const { code, name } of named) {
    const o = document.createElement("option");
    o.value = code;
    o.textContent = name;
    select.append(o);
  }
}

async function start() {
  try {
    me = await api("/dashboard/api/me");
  } catch (e) {
    $("live").textContent = "";
    show(e);
    return;
  }
  $("who").textContent = `${me.name}, ${me.organisation_name}`;
  addOptions($("area"), me.areas);
  addOptions($("min_severity"), me.severities);
  $("filters").addEventListener("change", () => {
    exportLinks();
    refresh().catch(show);
  });
  $("map-controls").addEventListener("change", drawMap);
  $("compare-weeks").addEventListener("change", () => refresh().catch(show));
  fillDecisionForm();
  $("decide").addEventListener("submit", (e) => decide(e).catch(show));
  $("export-notes").addEventListener("change", () => setExportNotes().catch(show));
  await api("/dashboard/api/settings").then(exportNotes).catch(show);
  $("meeting").hidden = false;
  $("meeting").addEventListener("click", () => showStep(step === null ? STEPS[0] : null));
  $("agenda-back").addEventListener("click", () => move(-1));
  $("agenda-next").addEventListener("click", () => move(1));
  for (const b of document.querySelectorAll("#agenda ol button")) {
    b.addEventListener("click", () => showStep(b.dataset.step));
  }
  document.addEventListener("keydown", meetingKeys);
  $("logout").hidden = false;
  $("logout").addEventListener("click", async () => {
    await api("/dashboard/api/logout", { method: "POST" }).catch(show);
    location.assign("/dashboard/");
  });
  $("picture").hidden = false;
  await refresh().catch(show);
  live();
}

start();
