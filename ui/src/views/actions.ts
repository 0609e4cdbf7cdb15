// Actions (*åtgärder*): propose one from an observation; follow those
// assigned to my organisation and update their status.
import { api, isAppError, type ObservationView } from "../api";
import { h, fieldError } from "../dom";
import { t } from "../i18n";
import { areaName, errorText, orgName, termLabel, type Ctx } from "../context";

const STATUSES = ["proposed", "accepted", "in_progress", "done", "rejected"];

export function actionForm(ctx: Ctx, o: ObservationView, close: () => void): HTMLElement {
  const slots: Record<string, HTMLElement> = {};
  const slot = (f: string) => (slots[f] = h("div", { "data-slot": f }));
  const responsible = h("select", { id: "action-responsible" }, h("option", { value: "" }, t("newwalk.choose")), ctx.directory.organisations.map((x) => h("option", { value: x.id }, x.name)));
  const description = h("textarea", { id: "action-description", rows: 3 });
  const due = h("input", { id: "action-due", type: "date" });
  const submit = async () => {
    Object.values(slots).forEach((s) => s.replaceChildren());
    const problems: [string, string][] = [];
    if (!responsible.value) problems.push(["responsible_org", t("error.required")]);
    if (!description.value.trim()) problems.push(["description", t("error.required")]);
    if (due.value && !/^\d{4}-\d{2}-\d{2}$/.test(due.value)) problems.push(["due_date", t("error.date")]);
    if (!problems.length) {
      try {
        await api.proposeAction({ observation_doc: o.doc_id, observation_id: o.id, responsible_org: responsible.value, description: description.value, due_date: due.value || null });
        ctx.toast(t("obs.saved"));
        return close();
      } catch (e) {
        if (isAppError(e) && e.code === "invalid") problems.push(...e.fields);
        else problems.push(["form", errorText(e)]);
      }
    }
    for (const [f, m] of problems) (slots[f] ?? slots.form).append(fieldError(f, m)!);
  };
  return h(
    "section",
    { class: "card", id: "action-form" },
    h("h2", {}, t("action.heading")),
    h("p", { class: "muted" }, termLabel(ctx, o.category)),
    h("label", {}, t("action.responsible"), responsible),
    slot("responsible_org"),
    h("label", {}, t("action.description"), description),
    slot("description"),
    h("label", {}, t("action.due"), due),
    slot("due_date"),
    slot("form"),
    h("div", { class: "buttons" }, h("button", { class: "primary big", id: "action-save", onclick: submit }, t("action.save")), h("button", { class: "big", onclick: close }, t("obs.cancel"))),
  );
}

export async function actionsScreen(ctx: Ctx): Promise<HTMLElement> {
  const list = h("div", { id: "action-list" });
  const fill = async () => {
    const actions = await api.actions();
    const own = ctx.info.organisation;
    const group = (title: string, rows: typeof actions) =>
      h(
        "section",
        { class: "card" },
        h("h2", {}, title),
        rows.length === 0
          ? h("p", { class: "empty" }, t("actions.empty"))
          : h(
              "ul",
              { class: "actions" },
              rows.map((a) => {
                const status = h(
                  "select",
                  {
                    class: "action-status",
                    disabled: !a.may_update,
                    onchange: async () => {
                      try {
                        await api.setActionStatus(a.id, status.value);
                        ctx.toast(t("obs.saved"));
                      } catch (e) {
                        ctx.toast(errorText(e), "error");
                      }
                    },
                  },
                  STATUSES.map((s) => h("option", { value: s }, t(`actions.status.${s}`))),
                );
                status.value = a.status;
                return h(
                  "li",
                  { class: "action", "data-action-id": a.id },
                  h("div", {}, h("strong", {}, a.description)),
                  h("div", { class: "muted" }, `${areaName(ctx, a.area)} · ${orgName(ctx, a.responsible_org)}${a.due_date ? " · " + t("actions.due", { date: a.due_date }) : ""}`),
                  status,
                );
              }),
            ),
      );
    list.replaceChildren(
      group(t("actions.mine"), actions.filter((a) => a.responsible_org === own)),
      group(t("actions.proposed"), actions.filter((a) => a.responsible_org !== own)),
    );
  };
  await fill();
  return h("div", { class: "screen" }, h("h1", {}, t("actions.heading")), list);
}
