// Planning walks: a coordinator plans a walk (district, route, date and
// time, light, invited organisations, sub-groups each with a route, and
// whether it is an exercise), or a new walk on a protocol's route with the
// same organisations and groups. The server checks the plan and names
// what is wrong; the walk list follows through the live stream.
// Everything shown is built with textContent: no markup from data.

import { $, api, el } from "/dashboard/common.js";

function say(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

/** `name: route` lines as groups; a line without a colon is a name alone. */
function groups(text) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const at = l.indexOf(":");
      return at < 0 ? { name: l, route: "" } : { name: l.slice(0, at).trim(), route: l.slice(at + 1).trim() };
    });
}

async function post(path, body) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function plan(e) {
  e.preventDefault();
  say("plan-message", "");
  $("plan-go").disabled = true;
  try {
    const made = await post("/dashboard/api/walks/plan", {
      template_doc: $("plan-template").value,
      area: $("plan-area").value,
      route_name: $("plan-route").value,
      light: $("plan-light").value,
      planned_at: $("plan-at").value,
      invited: [...document.querySelectorAll("#plan-invited input:checked")].map((i) => i.value),
      groups: groups($("plan-groups").value),
      exercise: $("plan-exercise").checked,
    });
    $("plan-form").dataset.made = made.doc_id;
    say("plan-message", `Vandringen är planerad: ${$("plan-route").value.trim()}, ${$("plan-at").value.replace("T", " ")}.`);
    $("plan-route").value = "";
    $("plan-groups").value = "";
  } catch (err) {
    say("plan-message", `Vandringen kunde inte planeras: ${err.message}`);
  } finally {
    $("plan-go").disabled = false;
  }
}

async function again(e) {
  e.preventDefault();
  say("again-message", "");
  const walk = $("protocol").dataset.doc;
  try {
    const made = await post(`/dashboard/api/walks/${encodeURIComponent(walk)}/plan-again`, {
      planned_at: $("again-at").value,
    });
    $("again-form").dataset.made = made.doc_id;
    say("again-message", `En ny vandring på samma rutt är planerad till ${$("again-at").value.replace("T", " ")}.`);
  } catch (err) {
    say("again-message", `Den nya vandringen kunde inte planeras: ${err.message}`);
  }
}

async function start() {
  let me;
  let templates;
  try {
    [me, templates] = await Promise.all([api("/dashboard/api/me"), api("/dashboard/api/templates")]);
  } catch (e) {
    // Not logged in: the page says so (app.js).
    if (e.status !== 401) say("plan-message", `Planeringen kunde inte öppnas: ${e.message}`);
    return;
  }
  if (me.role !== "coordinator") return;
  for (const t of templates) {
    const published = t.versions.find((v) => v.published_at !== null);
    if (published) $("plan-template").append(el("option", `${t.title_sv} (v${published.version})`, { value: t.doc_id }));
  }
  for (const a of me.areas) $("plan-area").append(el("option", a.name, { value: a.code }));
  for (const o of me.organisations.filter((o) => o.code !== me.organisation)) {
    const label = el("label", undefined, { class: "check" });
    const box = el("input", undefined, { type: "checkbox", value: o.code });
    label.append(box, ` ${o.name}`);
    $("plan-invited").append(label);
  }
  $("plan-form").addEventListener("submit", (e) => plan(e));
  $("again-form").addEventListener("submit", (e) => again(e));
  $("plan-section").hidden = false;
  $("again-form").hidden = false;
}

start();
