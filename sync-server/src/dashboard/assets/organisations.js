// The directory's organisations with their contacts; for a coordinator who
// may change the directory, a form to set or remove an organisation's
// contact (an edit of the directory, sent to every device by sync).
// Everything shown is built with textContent: no markup from data.

import { $, api, el } from "/dashboard/common.js";

let editing = null;

function say(text) {
  $("org-message").textContent = text;
  $("org-message").hidden = !text;
}

const line = (c) => (c ? [c.name, c.phone, c.email].filter(Boolean).join(", ") : "");

function draw(view) {
  $("org-why").textContent = view.why_not ?? "";
  $("org-why").hidden = !view.why_not;
  $("org-list").tBodies[0].replaceChildren(
    ...view.organisations.map((o) => {
      const tr = el("tr", undefined, { "data-org": o.id });
      const act = el("td");
      if (view.can_edit) {
        const b = el("button", "Ändra kontakt", { type: "button", class: "link", "aria-label": `Ändra kontakt för ${o.name}` });
        b.addEventListener("click", () => open(o));
        act.append(b);
      }
      tr.append(el("td", o.name), el("td", o.has_devices ? "Ja" : "Inga"), el("td", line(o.contact) || "–"), act);
      return tr;
    }),
  );
}

function open(o) {
  editing = o;
  $("org-form-h").textContent = `Kontakt för ${o.name}`;
  $("org-name").value = o.contact?.name ?? "";
  $("org-phone").value = o.contact?.phone ?? "";
  $("org-email").value = o.contact?.email ?? "";
  $("org-remove").hidden = !o.contact;
  $("org-form").hidden = false;
  say("");
  $("org-name").focus();
}

async function save(contact) {
  const view = await api(`/dashboard/api/organisations/${encodeURIComponent(editing.id)}/contact`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contact }),
  });
  const name = editing.name;
  editing = null;
  $("org-form").hidden = true;
  draw(view);
  say(contact ? `Kontakten för ${name} är sparad.` : `Kontakten för ${name} är borttagen.`);
}

async function start() {
  let view;
  try {
    view = await api("/dashboard/api/organisations");
  } catch (e) {
    // Not logged in: the page says so (app.js). Anything else is said here.
    if (e.status !== 401) {
      say(`Organisationerna kunde inte läsas: ${e.message}`);
      $("org-section").hidden = false;
    }
    return;
  }
  draw(view);
  const fail = (e) => say(e.message);
  $("org-form").addEventListener("submit", (e) => {
    e.preventDefault();
    save({ name: $("org-name").value, phone: $("org-phone").value, email: $("org-email").value }).catch(fail);
  });
  $("org-remove").addEventListener("click", () => save(null).catch(fail));
  $("org-cancel").addEventListener("click", () => {
    editing = null;
    $("org-form").hidden = true;
  });
  $("org-section").hidden = false;
}

start();
