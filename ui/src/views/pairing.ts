// First run: pair with a server (address + token, or a pairing code), or
// continue offline as one of the built-in organisations.
import { api, isAppError, type AppInfo } from "../api";
import { h, fieldError } from "../dom";
import { t } from "../i18n";
import { isPairing, readPairingForm } from "../logic/pairing";
import { errorText } from "../context";

export async function pairingScreen(done: (info: AppInfo) => void, current?: AppInfo): Promise<HTMLElement> {
  const orgs = current?.onboarded ? [] : await api.builtinOrganisations();
  const server = h("input", { id: "pair-server", type: "url", inputmode: "url", autocomplete: "off", placeholder: "http://192.168.1.10:8080", value: current?.server ?? "" });
  const token = h("input", { id: "pair-token", type: "text", autocomplete: "off", spellcheck: "false" });
  const errors = h("div", { class: "form-errors" });
  const serverErr = h("div");
  const tokenErr = h("div");
  const connect = h("button", { id: "pair-connect", class: "primary big", type: "submit" }, t("pair.connect"));

  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        serverErr.replaceChildren();
        tokenErr.replaceChildren();
        errors.replaceChildren();
        const read = readPairingForm(server.value, token.value);
        if (!isPairing(read)) {
          if (read.server) serverErr.append(fieldError("server", t(read.server))!);
          if (read.token) tokenErr.append(fieldError("token", t(read.token))!);
          return;
        }
        connect.disabled = true;
        connect.textContent = t("pair.connecting");
        try {
          done(await api.pair(read.server, read.token));
        } catch (e) {
          const field = isAppError(e) && e.code === "token_refused" ? "token" : "server";
          (field === "token" ? tokenErr : serverErr).append(fieldError(field, errorText(e))!);
        } finally {
          connect.disabled = false;
          connect.textContent = t("pair.connect");
        }
      },
    },
    h("label", {}, t("pair.server"), server),
    serverErr,
    h("label", {}, t("pair.token"), token),
    tokenErr,
    errors,
    connect,
  );

  const offline = orgs.length
    ? (() => {
        const select = h("select", { id: "pair-org" }, h("option", { value: "" }, t("newwalk.choose")), orgs.map((o) => h("option", { value: o.id }, o.name)));
        const err = h("div");
        return h(
          "section",
          { class: "card" },
          h("h2", {}, t("pair.offline_heading")),
          h("label", {}, t("pair.organisation"), select),
          err,
          h(
            "button",
            {
              id: "pair-offline",
              class: "big",
              onclick: async () => {
                err.replaceChildren();
                if (!select.value) {
                  err.append(fieldError("organisation", t("error.required"))!);
                  return;
                }
                try {
                  done(await api.continueOffline(select.value));
                } catch (e) {
                  err.append(fieldError("organisation", errorText(e))!);
                }
              },
            },
            t("pair.offline"),
          ),
        );
      })()
    : null;

  return h(
    "div",
    { class: "pairing", id: "pairing" },
    h("h1", {}, t("pair.heading")),
    h("p", { class: "intro" }, t("pair.intro")),
    form,
    offline ? h("p", { class: "or" }, t("pair.or")) : null,
    offline,
  );
}
