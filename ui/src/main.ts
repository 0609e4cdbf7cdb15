// The shell: first run or the app (navigation, the always-visible sync
// indicator, the screen), and the router between screens.
import { api, onEvent, type AppInfo } from "./api";
import { h } from "./dom";
import { setLanguage, t } from "./i18n";
import { indicator, type SyncStatus } from "./logic/status";
import { errorText, loadShared, type Ctx, type Route } from "./context";
import { pairingScreen } from "./views/pairing";
import { newWalkScreen, walksScreen } from "./views/walks";
import { walkScreen } from "./views/walk";
import { reportScreen } from "./views/report";
import { actionsScreen } from "./views/actions";
import { settingsScreen } from "./views/settings";

const app = document.getElementById("app")!;
let lastStatus: SyncStatus | null = null;

function statusBar(ctx: Ctx): HTMLElement {
  const el = h("div", { id: "sync-indicator", class: "sync", role: "status", "aria-live": "polite" });
  const show = (s: SyncStatus | null) => {
    const ind = indicator(s, ctx.info.paired, t);
    el.dataset.tone = ind.tone;
    el.dataset.connection = s?.connection ?? "none";
    el.dataset.unsynced = String(s?.unsynced_documents ?? 0);
    el.dataset.photos = String(s?.photos_queued ?? 0);
    el.replaceChildren(h("span", { class: "dot" }), h("span", { class: "label" }, ind.label), ...ind.details.map((d) => h("span", { class: "detail" }, d)));
  };
  show(lastStatus);
  void onEvent<SyncStatus>("sync-status", (s) => {
    lastStatus = s;
    show(s);
  });
  void api.syncStatus().then((s) => {
    lastStatus = s;
    show(s);
  }, () => {});
  return el;
}

async function shell(info: AppInfo, initial: Route): Promise<void> {
  const screen = h("main", { id: "screen" });
  const toasts = h("div", { class: "toasts", "aria-live": "polite" });
  const ctx: Ctx = {
    info,
    directory: { organisations: [], areas: [] },
    vocabulary: { version: 0, groups: [], terms: [] },
    navigate: (r) => void show(r),
    reloadShared: () => loadShared(ctx),
    toast(message, tone = "ok") {
      const el = h("div", { class: `toast ${tone}` }, message);
      toasts.append(el);
      setTimeout(() => el.remove(), tone === "error" ? 6000 : 2000);
    },
  };
  await loadShared(ctx);
  let current: Route = initial;
  const navButton = (name: Route["name"], label: string) =>
    h("button", { id: `nav-${name}`, class: "nav", onclick: () => ctx.navigate({ name } as Route) }, label);
  const nav = h("nav", {}, navButton("walks", t("nav.walks")), navButton("report", t("nav.report")), navButton("actions", t("nav.actions")), navButton("settings", t("nav.settings")));
  const header = h("header", {}, h("div", { class: "brand" }, "Trygg"), nav, statusBar(ctx));

  async function show(route: Route): Promise<void> {
    current = route;
    nav.querySelectorAll("button").forEach((b) => b.setAttribute("aria-current", String(b.id === `nav-${route.name}` || (route.name !== "report" && route.name !== "actions" && route.name !== "settings" && b.id === "nav-walks"))));
    // Shared documents may have arrived by sync since the last screen.
    if (ctx.vocabulary.terms.length === 0 || ctx.directory.areas.length === 0) {
      await loadShared(ctx).catch((e) => ctx.toast(errorText(e), "error"));
    }
    let el: HTMLElement;
    try {
      switch (route.name) {
        case "walk": el = await walkScreen(ctx, route.id); break;
        case "new-walk": el = await newWalkScreen(ctx); break;
        case "report": el = await reportScreen(ctx); break;
        case "actions": el = await actionsScreen(ctx); break;
        case "settings": el = await settingsScreen(ctx, () => { void start({ name: "settings" }); }); break;
        default: el = await walksScreen(ctx);
      }
    } catch (e) {
      el = h("div", { class: "screen" }, h("p", { class: "field-error" }, String((e as { message?: string }).message ?? e)));
    }
    if (current === route) screen.replaceChildren(el);
    window.scrollTo?.(0, 0);
  }

  app.replaceChildren(header, screen, toasts);
  await show(current);
}

async function start(initial: Route = { name: "walks" }): Promise<void> {
  const info = await api.appInfo();
  setLanguage(info.language);
  if (!info.onboarded) {
    app.replaceChildren(await pairingScreen(() => void start()));
  } else {
    await shell(info, initial);
  }
  const ms = await api.appReady();
  document.body.dataset.readyMs = String(ms);
}

void start();
