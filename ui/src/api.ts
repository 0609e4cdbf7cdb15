// Typed calls into the Rust side (src-tauri/src/commands.rs); the shapes
// mirror src-tauri/src/dto.rs.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { LocationInput, ObservationDraft, PhotoView } from "./logic/observation";
import type { SyncStatus } from "./logic/status";
import type { AnswerInput, SectionView } from "./logic/walk";
import type { Term } from "./logic/vocabulary";

/**
 * A command's raw answer as bytes. Tauri hands a raw `Response` over as an
 * `ArrayBuffer` when its custom-protocol IPC works, and as an array of
 * numbers when it falls back to `postMessage` (WebKitGTK here): a Blob made
 * of the latter would hold the numbers' text, not the picture.
 */
export function bytesOf(data: unknown): Uint8Array<ArrayBuffer> {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return new Uint8Array(data);
  if (Array.isArray(data) && data.every((n) => Number.isInteger(n) && n >= 0 && n < 256)) return Uint8Array.from(data);
  throw new Error(`expected bytes, got ${Object.prototype.toString.call(data)}`);
}

export interface AppError {
  code: string;
  message: string;
  fields: [string, string][];
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export interface AppInfo {
  onboarded: boolean;
  paired: boolean;
  server: string | null;
  device_id: string;
  organisation: string | null;
  role: string | null;
  /** May start walks, report and propose actions (a viewer may not). */
  may_record: boolean;
  language: "sv" | "en";
}

export interface WalkRow {
  doc_id: string;
  area: string;
  route_name: string;
  status: string;
  light: string;
  owner_org: string;
  planned_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  created_at: number;
  answer_count: number;
  observation_count: number;
}

export interface WalkQuery {
  status: string | null;
  area: string | null;
  /** Part of the route's name, in any case. */
  route: string | null;
  /** How many to show (50 when absent, at most 5,000). */
  limit: number | null;
}

export interface WalkPage {
  walks: WalkRow[];
  /** More walks match than the page holds. */
  more: boolean;
  /** How many walks the list shows at first, and how many more "show more" adds. */
  page: number;
}

export interface ObservationView {
  id: string;
  doc_id: string;
  category: string;
  severity: number;
  note: string;
  location: LocationInput | null;
  observed_at: number;
  organisation: string;
  recorded_by: string;
  photos: PhotoView[];
  sensitivity: string;
  item_id: string | null;
}

export interface WalkView {
  id: string;
  area: string;
  route_name: string;
  light: string;
  status: string;
  owner_org: string;
  organisations: string[];
  planned_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  template_title_sv: string;
  template_title_en: string;
  sections: SectionView[];
  answers: Record<string, AnswerInput>;
  observations: ObservationView[];
  heads: string[];
  /** Planned or in progress, and this device may write it. */
  editable: boolean;
  /** The access rule lets this device only read the walk. */
  read_only: boolean;
}

/** What changed in the walk on screen since the heads it shows. */
export type WalkUpdate =
  | {
      kind: "parts";
      heads: string[];
      editable: boolean;
      read_only: boolean;
      /** The changed answers as they are now (`null`: cleared), by item id. */
      answers: Record<string, AnswerInput | null>;
      /** Observations added or changed, in the walk's order. */
      observations: ObservationView[];
      /** Ids of observations no longer in the walk. */
      removed: string[];
    }
  | { kind: "whole"; walk: WalkView };

export interface TemplateChoice {
  doc_id: string;
  title_sv: string;
  title_en: string;
  version: number;
}

export interface Vocabulary {
  version: number;
  groups: { code: string; label_sv: string; label_en: string; order: number }[];
  terms: Term[];
}

export interface Place {
  id: string;
  name: string;
  lat: number | null;
  lon: number | null;
}

export interface Directory {
  organisations: { id: string; name: string; kind: string }[];
  areas: { code: string; name: string; places: Place[] }[];
}

export interface ObservationRow {
  doc_id: string;
  obs_id: string;
  area: string;
  category: string;
  severity: number;
  organisation: string;
  observed_at: number;
  place_id: string | null;
  photo_count: number;
}

export interface ActionView {
  id: string;
  description: string;
  responsible_org: string;
  proposed_by_org: string;
  area: string;
  due_date: string | null;
  status: string;
  created_at: number;
  may_update: boolean;
}

export interface Saved {
  doc_id: string;
  id: string;
  durable_us: number;
}

export type Target = { to: "walk"; walk: string } | { to: "report"; area: string; restricted: boolean };

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  appReady: () => invoke<number>("app_ready"),
  setLanguage: (language: string) => invoke<void>("set_language", { language }),
  pair: (server: string, token: string) => invoke<AppInfo>("pair", { server, token }),
  continueOffline: (organisation: string) => invoke<AppInfo>("continue_offline", { organisation }),
  builtinOrganisations: () => invoke<{ id: string; name: string; kind: string }[]>("builtin_organisations"),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  directory: () => invoke<Directory>("directory"),
  vocabulary: () => invoke<Vocabulary>("vocabulary"),
  templates: () => invoke<TemplateChoice[]>("templates"),
  walks: (query: WalkQuery) => invoke<WalkPage>("walks", { query }),
  startWalk: (input: {
    template_doc: string;
    area: string;
    route_name: string;
    light: string;
    organisations: string[];
    start_now: boolean;
  }) => invoke<string>("start_walk", { input }),
  walk: (id: string) => invoke<WalkView>("walk", { id }),
  /** What changed since `heads` (see `Field::walk_update`). */
  walkUpdate: (id: string, heads: string[]) => invoke<WalkUpdate>("walk_update", { id, heads }),
  watchDocument: (id: string) => invoke<void>("watch_document", { id }),
  answer: (walk: string, item: string, answer: AnswerInput | null) => invoke<void>("answer", { walk, item, answer }),
  setWalkStatus: (walk: string, status: string) => invoke<void>("set_walk_status", { walk, status }),
  addObservation: (target: Target, d: ObservationDraft) =>
    invoke<Saved>("add_observation", {
      target,
      input: {
        category: d.category,
        severity: d.severity,
        note: d.note,
        location: d.location,
        photos: d.photos,
        item_id: d.item_id,
      },
    }),
  /** `before` is what the field showed before this change (see `edit::rebase_text_answer`). */
  answerText: (walk: string, item: string, before: string, text: string) =>
    invoke<void>("answer_text", { walk, item, before, text }),
  /** `before` is what the field showed before this change (see `edit::rebase_note`). */
  setNote: (doc: string, observation: string, before: string, text: string) =>
    invoke<void>("set_note", { doc, observation, before, text }),
  setSeverity: (doc: string, observation: string, severity: number) =>
    invoke<void>("set_severity", { doc, observation, severity }),
  recentReports: () => invoke<ObservationRow[]>("recent_reports"),
  addPhoto: (bytes: Uint8Array, mediaType: string) =>
    invoke<PhotoView>("add_photo", bytes, { headers: { "media-type": mediaType } }),
  photo: async (sha256: string) => bytesOf(await invoke<unknown>("photo", { sha256 })),
  proposeAction: (input: {
    observation_doc: string;
    observation_id: string;
    responsible_org: string;
    description: string;
    due_date: string | null;
  }) => invoke<string>("propose_action", { input }),
  actions: () => invoke<ActionView[]>("actions"),
  setActionStatus: (action: string, status: string) => invoke<void>("set_action_status", { action, status }),
};

export function onEvent<T>(name: string, f: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (e) => f(e.payload));
}
