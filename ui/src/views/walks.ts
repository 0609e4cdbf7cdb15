// The walks list (filter by status and area) and the form that starts a walk.
import { api, isAppError } from "../api";
import { h, fieldError } from "../dom";
import { icon } from "../icons";
import { pick, t } from "../i18n";
import { WALK_STATUSES, parsePlannedAt } from "../logic/walk";
import { areaName, errorText, formatTime, type Ctx } from "../context";

const filter = { status: "", area: "", route: "" };

export async function walksScreen(ctx: Ctx): Promise<HTMLElement> {
  const list = h("ul", { id: "walk-list", class: "walk-list" });
  const area = h(
    "select",
    { id: "walk-area-filter", "aria-label": t("walks.filter.area"), onchange: () => { filter.area = area.value; refilter(); } },
    h("option", { value: "" }, t("walks.all_areas")),
    ctx.directory.areas.map((a) => h("option", { value: a.code }, a.name)),
  );
  area.value = filter.area;
  // How many walks to ask for: the Rust side's page at first (`null`),
  // then a page more for each "show more" (the size comes with each page).
  let shown: number | null = null;
  let step = 0;
  const search = h("input", {
    id: "walk-search",
    type: "search",
    placeholder: t("walks.search"),
    "aria-label": t("walks.search"),
    autocomplete: "off",
    value: filter.route,
  });
  search.addEventListener("input", () => {
    filter.route = search.value;
    refilter();
  });
  const moreButton = h("button", { id: "walks-more", class: "big", hidden: true, onclick: () => { shown = (shown ?? step) + step; refill(); } }, t("walks.more"));

  // A refill that fails says so; the list stays as it was.
  const refill = () => void fill().catch((e) => ctx.toast(errorText(e), "error"));
  // Another filter starts again from the first page.
  const refilter = () => {
    shown = null;
    refill();
  };
  const known = (code: string) => ctx.directory.areas.some((a) => a.code === code);
  let asked = 0;
  const fill = async () => {
    // Only the newest answer is drawn (a search typed fast asks many times).
    const mine = ++asked;
    const page = await api.walks({ status: filter.status || null, area: filter.area || null, route: filter.route.trim() || null, limit: shown });
    if (mine !== asked) return;
    step = page.page;
    const rows = page.walks;
    // Right after pairing the directory may still be on its way: a walk in
    // an area it does not name yet reads it again, so names replace codes.
    if (ctx.directory.areas.length === 0 || rows.some((w) => !known(w.area))) {
      const before = ctx.directory.areas.length;
      await ctx.reloadShared();
      if (ctx.directory.areas.length !== before) {
        area.replaceChildren(
          h("option", { value: "" }, t("walks.all_areas")),
          ...ctx.directory.areas.map((a) => h("option", { value: a.code }, a.name)),
        );
        area.value = filter.area;
      }
    }
    list.replaceChildren(
      ...(rows.length === 0
        ? [h("li", { class: "empty" }, filter.route.trim() ? t("walks.none_found") : t("walks.empty"))]
        : rows.map((w) =>
            h(
              "li",
              {},
              h(
                "button",
                { class: "walk-row", "data-walk-id": w.doc_id, "data-area": w.area, onclick: () => ctx.navigate({ name: "walk", id: w.doc_id }) },
                h(
                  "span",
                  { class: "badges" },
                  h("span", { class: `badge status-${w.status}` }, t(`status.${w.status}`)),
                  w.exercise ? h("span", { class: "badge exercise" }, t("exercise.badge")) : null,
                ),
                h("strong", {}, w.route_name),
                h("span", { class: "muted" }, `${areaName(ctx, w.area)} · ${t(`light.${w.light}`)} · ${formatTime(w.started_at ?? w.planned_at ?? w.created_at)}`),
                h("span", { class: "muted" }, `${t("walks.answers", { n: w.answer_count })} · ${t("walks.observations", { n: w.observation_count })}`),
              ),
            ),
          )),
    );
    list.setAttribute("data-ready", String(rows.length));
    moreButton.hidden = !page.more;
  };

  const chips = h(
    "div",
    { class: "chips", role: "group" },
    ["", ...WALK_STATUSES].map((s) =>
      h(
        "button",
        {
          class: "chip",
          "data-status-filter": s || "all",
          "aria-pressed": String(filter.status === s),
          onclick: (ev: Event) => {
            filter.status = s;
            chips.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", "false"));
            (ev.currentTarget as HTMLElement).setAttribute("aria-pressed", "true");
            refilter();
          },
        },
        s ? t(`status.${s}`) : t("walks.filter.all"),
      ),
    ),
  );
  await fill();
  const screen = h(
    "div",
    { class: "screen" },
    h("div", { class: "screen-head" }, h("h1", {}, t("walks.heading")), ctx.info.may_record ? h("button", { id: "new-walk", class: "primary big", onclick: () => ctx.navigate({ name: "new-walk" }) }, icon("plus"), t("walks.new")) : null),
    h("div", { class: "filters" }, chips, area, search),
    list,
    moreButton,
  );
  // Walks arriving from other devices show up without a reload.
  const timer = setInterval(() => {
    if (!screen.isConnected) clearInterval(timer);
    else refill();
  }, 3000);
  return screen;
}

export async function newWalkScreen(ctx: Ctx): Promise<HTMLElement> {
  const templates = await api.templates();
  if (templates.length === 0) {
    return h("div", { class: "screen" }, h("h1", {}, t("newwalk.heading")), h("p", { class: "empty" }, t("newwalk.no_templates")));
  }
  const errs: Record<string, HTMLElement> = {};
  const errSlot = (f: string) => (errs[f] = h("div", { "data-slot": f }));
  const template = h("select", { id: "nw-template" }, templates.map((tp) => h("option", { value: tp.doc_id }, `${pick(tp.title_sv, tp.title_en)} (v${tp.version})`)));
  const area = h("select", { id: "nw-area" }, h("option", { value: "" }, t("newwalk.choose")), ctx.directory.areas.map((a) => h("option", { value: a.code }, a.name)));
  const route = h("input", { id: "nw-route", type: "text", placeholder: t("newwalk.route_hint"), autocomplete: "off" });
  // A field's message goes as soon as the field holds something valid.
  area.addEventListener("change", () => area.value && errs.area.replaceChildren());
  route.addEventListener("input", () => route.value.trim() && errs.route_name.replaceChildren());
  let light = new Date().getHours() >= 16 || new Date().getHours() < 7 ? "dark" : "daylight";
  const lightButtons = h(
    "div",
    { class: "segmented", role: "group" },
    ["daylight", "dark"].map((l) =>
      h(
        "button",
        {
          type: "button",
          "data-light": l,
          "aria-pressed": String(light === l),
          onclick: (ev: Event) => {
            light = l;
            lightButtons.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === ev.currentTarget)));
          },
        },
        t(`light.${l}`),
      ),
    ),
  );
  const own = ctx.info.organisation;
  const orgs = h(
    "div",
    { class: "checks" },
    ctx.directory.organisations
      .filter((o) => o.id !== own)
      .map((o) => h("label", { class: "check" }, h("input", { type: "checkbox", "data-org": o.id }), o.name)),
  );

  const exercise = h("input", { type: "checkbox", id: "nw-exercise" });
  // When a planned walk is to be walked (a start now is walked now).
  const plannedAt = h("input", { type: "text", id: "nw-planned-at", placeholder: "2026-12-14 18:00", autocomplete: "off" });
  plannedAt.addEventListener("input", () => errs.planned_at.replaceChildren());

  const submit = async (startNow: boolean) => {
    Object.values(errs).forEach((e) => e.replaceChildren());
    const missing: Record<string, string> = {};
    if (!area.value) missing.area = t("error.required");
    if (!route.value.trim()) missing.route_name = t("error.required");
    const when = startNow ? null : parsePlannedAt(plannedAt.value);
    if (when === "invalid") missing.planned_at = t("newwalk.planned_at_invalid");
    for (const [f, m] of Object.entries(missing)) errs[f]?.append(fieldError(f, m)!);
    if (Object.keys(missing).length) return;
    try {
      const id = await api.startWalk({
        template_doc: template.value,
        area: area.value,
        route_name: route.value,
        light,
        organisations: [...orgs.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.dataset.org!),
        start_now: startNow,
        exercise: exercise.checked,
        planned_at: when === "invalid" ? null : when,
      });
      ctx.navigate({ name: "walk", id });
    } catch (e) {
      if (isAppError(e) && e.code === "invalid") {
        for (const [f, m] of e.fields) (errs[f] ?? errs.form).append(fieldError(f, m)!);
      } else errs.form.append(fieldError("form", errorText(e))!);
    }
  };

  return h(
    "div",
    { class: "screen narrow", id: "new-walk-form" },
    h("h1", {}, t("newwalk.heading")),
    h("label", {}, t("newwalk.template"), template),
    errSlot("template_doc"),
    h("label", {}, t("newwalk.area"), area),
    errSlot("area"),
    h("label", {}, t("newwalk.route"), route),
    errSlot("route_name"),
    h("div", { class: "label" }, t("newwalk.light"), lightButtons),
    h("fieldset", {}, h("legend", {}, t("newwalk.organisations")), orgs),
    h("label", {}, t("newwalk.planned_at"), plannedAt),
    errSlot("planned_at"),
    h("label", { class: "check" }, exercise, t("newwalk.exercise")),
    h("p", { class: "muted" }, t("newwalk.exercise_hint")),
    errSlot("form"),
    h(
      "div",
      { class: "buttons" },
      h("button", { id: "nw-start", class: "primary big", onclick: () => submit(true) }, t("newwalk.start")),
      h("button", { id: "nw-plan", class: "big", onclick: () => submit(false) }, t("newwalk.plan")),
    ),
  );
}
