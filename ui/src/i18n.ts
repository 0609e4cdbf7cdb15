// Translations: Swedish first, English available. Keys live in locales/*.json;
// a key missing from English falls back to Swedish, then to the key itself.
import sv from "./locales/sv.json";
import en from "./locales/en.json";

export type Language = "sv" | "en";
type Table = Record<string, string>;

const tables: Record<Language, Table> = { sv, en };
let current: Language = "sv";

export function setLanguage(lang: Language): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function language(): Language {
  return current;
}

/** The text for `key` with `{name}` placeholders filled from `params`. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = tables[current][key] ?? tables.sv[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Picks the Swedish or English variant of a label from the documents. */
export function pick(sv: string, en: string): string {
  return current === "en" && en ? en : sv;
}

export function keysOf(lang: Language): string[] {
  return Object.keys(tables[lang]);
}
