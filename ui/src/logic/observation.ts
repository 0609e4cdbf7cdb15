// The observation form's rules, checked before saving so every problem shows
// inline at its field. The app checks the same rules again when saving.

import type { LocationInput, ObservationInput, PhotoView } from "../bindings";

export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;
export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
/** HEIC cannot be read on every device: the person is told how to get JPEG. */
const HEIC_TYPES = ["image/heic", "image/heif"];

export type { LocationInput, PhotoView };

/** The form's content: what it saves, and for a report outside a walk its area. */
export type ObservationDraft = ObservationInput & {
  area?: string;
  restricted?: boolean;
  /** Recorded in an exercise (*övning*): an everyday report's only. */
  exercise?: boolean;
};

export type FormErrors = Record<string, string>;

export function emptyDraft(): ObservationDraft {
  return { category: "", severity: 0, note: "", location: null, photos: [], item_id: null };
}

export function hasLocation(l: LocationInput | null): boolean {
  return !!l && ((l.lat !== null && l.lon !== null) || !!l.place_id);
}

/** Field → translation key of the problem; empty when the draft can be saved. */
export function validateObservation(d: ObservationDraft, needsArea: boolean): FormErrors {
  const e: FormErrors = {};
  if (!d.category) e.category = "error.category";
  if (!(d.severity >= 1 && d.severity <= 4)) e.severity = "error.severity";
  if (!hasLocation(d.location)) e.location = "error.location";
  if (needsArea && !d.area) e.area = "error.required";
  return e;
}

/** Why a chosen file cannot be a photo, or `null` if it can. */
export function photoProblem(file: { size: number; type: string }): { key: string; params?: Record<string, string | number> } | null {
  if (HEIC_TYPES.includes(file.type)) return { key: "error.photo_heic" };
  if (!PHOTO_TYPES.includes(file.type)) return { key: "error.photo_type" };
  if (file.size > MAX_PHOTO_BYTES) {
    const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
    return { key: "error.photo_too_large", params: { size: mb(file.size), limit: mb(MAX_PHOTO_BYTES) } };
  }
  return null;
}

/** Server-side field paths (`observations.X.location`) to the form's fields. */
export function fieldOf(path: string): string {
  const last = path.split(".").filter(Boolean);
  for (const f of ["category", "severity", "location", "photos", "note", "area"]) {
    if (last.includes(f)) return f;
  }
  return last[last.length - 1] ?? "form";
}

const DRAFT_PREFIX = "trygg.draft.";

/** Drafts survive closing the app: kept per target in local storage. */
export function saveDraft(storage: Storage, key: string, d: ObservationDraft): void {
  storage.setItem(DRAFT_PREFIX + key, JSON.stringify(d));
}

export function loadDraft(storage: Storage, key: string): ObservationDraft | null {
  const raw = storage.getItem(DRAFT_PREFIX + key);
  if (!raw) return null;
  try {
    return { ...emptyDraft(), ...(JSON.parse(raw) as Partial<ObservationDraft>) };
  } catch {
    return null;
  }
}

export function clearDraft(storage: Storage, key: string): void {
  storage.removeItem(DRAFT_PREFIX + key);
}
