// The lägesbild page: asks the server for the picture the filters describe,
// and asks again whenever the server says the documents changed (live).
// Everything shown is built with textContent: no markup from data.

const $ = (id) => document.getElementById(id);
const DAYS = ["Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag"];
const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1).replace(".", ","));

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
        cell(String(c.this_week), c.this_week > c.mean_4 ? "n up" : "n"),
        cell(fmt(c.mean_4), "n"),
        cell(fmt(c.mean_52), "n"),
      ]),
    ),
  );
}

let me = null;
let asked = 0;

function query() {
  const q = new URLSearchParams();
  for (const id of ["week", "area", "min_severity"]) {
    const v = $(id).value;
    if (v) q.set(id, v);
  }
  return q.toString();
}

async function refresh() {
  const mine = ++asked;
  const p = await api(`/dashboard/api/lagesbild?${query()}`);
  if (mine !== asked) return; // a newer answer is on its way
  if (!$("week").value) $("week").value = p.week;
  $("week-label").textContent = p.week;
  $("total").textContent = String(p.total.this_week);
  $("mean4").textContent = fmt(p.total.mean_4);
  $("mean52").textContent = fmt(p.total.mean_52);
  counts($("groups").tBodies[0], p.groups, (c) => c.label);
  counts($("terms").tBodies[0], p.terms, (c) => c.label);
  $("hotspots").tBodies[0].replaceChildren(
    ...p.hot_spots.map((h) =>
      row([
        cell(h.name),
        cell(String(h.this_week), "n"),
        cell(String(h.previous_4), "n"),
        cell(h.kind === "new" ? "ny" : "återkommande", `kind-${h.kind}`),
      ]),
    ),
  );
  $("no-hotspots").hidden = p.hot_spots.length > 0;
  const max = Math.max(1, ...p.grid.flat());
  $("grid").tBodies[0].replaceChildren(
    ...p.grid.map((bands, day) =>
      row([
        cell(DAYS[day]),
        ...bands.map((n) => {
          const td = cell(String(n));
          td.style.background = `rgba(164, 22, 26, ${(0.6 * n) / max})`;
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

async function start() {
  try {
    me = await api("/dashboard/api/me");
  } catch (e) {
    $("live").textContent = "";
    show(e);
    return;
  }
  $("who").textContent = `${me.name}, ${me.organisation_name}`;
  const area = $("area");
  for (const a of me.areas) {
    const o = document.createElement("option");
    o.value = a.code;
    o.textContent = a.name;
    area.append(o);
  }
  $("filters").addEventListener("change", () => refresh().catch(show));
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
