// What every screen can reach: who we are, the shared documents (directory,
// vocabulary), navigation, and how to show an error.
import { api, isAppError, type AppInfo, type Directory, type Vocabulary } from "./api";
import { pick, t } from "./i18n";

export type Route =
  | { name: "pairing" }
  | { name: "walks" }
  | { name: "new-walk" }
  | { name: "walk"; id: string }
  | { name: "report" }
  | { name: "actions" }
  | { name: "settings" };

export interface Ctx {
  info: AppInfo;
  directory: Directory;
  vocabulary: Vocabulary;
  navigate(route: Route): void;
  reloadShared(): Promise<void>;
  toast(message: string, tone?: "ok" | "error"): void;
}

export async function loadShared(ctx: Pick<Ctx, "directory" | "vocabulary">): Promise<void> {
  const [directory, vocabulary] = await Promise.all([api.directory(), api.vocabulary()]);
  ctx.directory = directory;
  ctx.vocabulary = vocabulary;
}

export function areaName(ctx: Ctx, code: string): string {
  return ctx.directory.areas.find((a) => a.code === code)?.name ?? t("area.unknown");
}

export function placeName(ctx: Ctx, id: string | null | undefined): string {
  if (!id) return "";
  for (const a of ctx.directory.areas) {
    const p = a.places.find((p) => p.id === id);
    if (p) return p.name;
  }
  return id;
}

export function orgName(ctx: Ctx, id: string): string {
  return ctx.directory.organisations.find((o) => o.id === id)?.name ?? t("organisation.unknown");
}

export function termLabel(ctx: Ctx, code: string): string {
  const term = ctx.vocabulary.terms.find((x) => x.code === code);
  return term ? pick(term.label_sv, term.label_en) : code;
}

export function formatTime(ms: number | null | undefined): string {
  if (!ms) return "";
  return new Date(ms).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "sv-SE", {
    dateStyle: "short",
    timeStyle: "short",
  });
}

/** The message for an error from a command, translated where we know the code. */
export function errorText(e: unknown): string {
  if (isAppError(e)) {
    switch (e.code) {
      case "unreachable":
      case "token_refused":
      case "bad_server_address":
      case "read_only":
        return t(`error.${e.code}`);
      case "photo_too_large":
        return t("error.photo_too_large", { size: "?", limit: 20 });
      case "storage":
        return t("error.storage", { message: e.message });
      default:
        return t("error.generic", { message: e.message });
    }
  }
  return t("error.generic", { message: String(e) });
}
