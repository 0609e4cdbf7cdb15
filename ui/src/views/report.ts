// EST reporting: an everyday observation outside a walk, with the same form,
// into this week's report of the organisation; it joins the shared picture.
import { api } from "../api";
import { h } from "../dom";
import { icon } from "../icons";
import { t } from "../i18n";
import { areaName, formatTime, orgName, placeName, termLabel, type Ctx } from "../context";
import { observationForm } from "./observationForm";

export async function reportScreen(ctx: Ctx): Promise<HTMLElement> {
  const recent = h("ul", { class: "observations", id: "report-list" });
  const fill = async () => {
    const rows = await api.recentReports();
    recent.replaceChildren(
      ...(rows.length
        ? rows.map((r) =>
            h(
              "li",
              { class: "observation", "data-obs-id": r.obs_id },
              h("div", { class: "row" }, h("span", { class: `badge sev-${r.severity}` }, t(`obs.severity.${r.severity}`)), r.exercise ? h("span", { class: "badge exercise" }, t("exercise.badge")) : null, h("strong", {}, termLabel(ctx, r.category))),
              h("div", { class: "muted" }, [areaName(ctx, r.area), placeName(ctx, r.place_id), formatTime(r.observed_at), orgName(ctx, r.organisation)].filter(Boolean).join(" · ")),
            ),
          )
        : [h("li", { class: "empty" }, t("report.empty"))]),
    );
  };
  const formSlot = h("div");
  const open = () => {
    formSlot.replaceChildren(
      observationForm({
        directory: ctx.directory,
        vocabulary: ctx.vocabulary,
        walk: null,
        draftKey: "report",
        onSaved: async () => {
          formSlot.replaceChildren();
          ctx.toast(t("obs.saved"));
          // The index follows the save within a moment.
          setTimeout(() => void fill(), 400);
        },
        onCancel: () => formSlot.replaceChildren(),
      }),
    );
  };
  await fill();
  // A draft left behind (the app was closed mid-report) opens again.
  if (ctx.info.may_record && localStorage.getItem("trygg.draft.report")) open();
  return h(
    "div",
    { class: "screen" },
    h("div", { class: "screen-head" }, h("h1", {}, t("report.heading")), ctx.info.may_record ? h("button", { id: "report-new", class: "primary big", onclick: open }, icon("plus"), t("report.new")) : null),
    h("p", { class: "intro" }, t("report.intro")),
    formSlot,
    h("section", { class: "card" }, h("h2", {}, t("report.recent")), recent),
  );
}
