// Settings: language, who this device is, and pairing with a server.
import { api } from "../api";
import { h } from "../dom";
import { language, setLanguage, t, type Language } from "../i18n";
import { orgName, type Ctx } from "../context";
import { pairingScreen } from "./pairing";

export async function settingsScreen(ctx: Ctx, rerender: () => void): Promise<HTMLElement> {
  const lang = h(
    "div",
    { class: "segmented", role: "group" },
    (["sv", "en"] as Language[]).map((l) =>
      h(
        "button",
        {
          "data-lang": l,
          "aria-pressed": String(language() === l),
          onclick: async () => {
            await api.setLanguage(l);
            ctx.info.language = l;
            setLanguage(l);
            rerender();
          },
        },
        l === "sv" ? "Svenska" : "English",
      ),
    ),
  );
  const info = ctx.info;
  const pairSlot = h("div");
  return h(
    "div",
    { class: "screen narrow" },
    h("h1", {}, t("settings.heading")),
    h("section", { class: "card" }, h("h2", {}, t("settings.language")), lang),
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("settings.device")),
      h("dl", {},
        h("dt", {}, t("settings.organisation")), h("dd", {}, info.organisation ? orgName(ctx, info.organisation) : ""),
        h("dt", {}, t("settings.role")), h("dd", {}, info.role ?? ""),
        h("dt", {}, t("settings.server")), h("dd", { id: "settings-server" }, info.server ?? t("settings.not_paired")),
        h("dt", {}, "ID"), h("dd", { class: "muted" }, info.device_id)),
      h(
        "button",
        {
          class: "big",
          id: "settings-pair",
          onclick: async () => pairSlot.replaceChildren(await pairingScreen((next) => { ctx.info = next; void ctx.reloadShared().then(rerender); }, info)),
        },
        t("settings.pair"),
      ),
      pairSlot,
    ),
  );
}
