// Typed calls into the Rust side (src-tauri/src/commands.rs). Every shape
// that crosses comes from ./bindings, generated from the Rust types.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  ActionView,
  AnswerInput,
  AppError,
  AppInfo,
  DirectoryView,
  ObservationInput,
  ObservationTarget,
  OrgView,
  PhotoView,
  ProposeAction,
  ReportSummary,
  Saved,
  StartWalk,
  SyncStatus,
  TemplateChoice,
  VocabularyView,
  WalkPage,
  WalkQuery,
  WalkUpdate,
  WalkView,
} from "./bindings";
import type { Basemap } from "./logic/map";

export type * from "./bindings";
export type Directory = DirectoryView;
export type Vocabulary = VocabularyView;
export type Target = ObservationTarget;

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

export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  appReady: () => invoke<number>("app_ready"),
  setLanguage: (language: string) => invoke<void>("set_language", { language }),
  pair: (server: string, token: string) => invoke<AppInfo>("pair", { server, token }),
  continueOffline: (organisation: string) => invoke<AppInfo>("continue_offline", { organisation }),
  builtinOrganisations: () => invoke<OrgView[]>("builtin_organisations"),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  directory: () => invoke<Directory>("directory"),
  vocabulary: () => invoke<Vocabulary>("vocabulary"),
  templates: () => invoke<TemplateChoice[]>("templates"),
  walks: (query: WalkQuery) => invoke<WalkPage>("walks", { query }),
  startWalk: (input: StartWalk) => invoke<string>("start_walk", { input }),
  walk: (id: string) => invoke<WalkView>("walk", { id }),
  /** What changed since `heads` (see `Field::walk_update`). */
  walkUpdate: (id: string, heads: string[]) => invoke<WalkUpdate>("walk_update", { id, heads }),
  /** The offline basemap (`trygg-basemap`): district outlines and water as GeoJSON. */
  basemap: async () => JSON.parse(await invoke<string>("basemap")) as Basemap,
  watchDocument: (id: string) => invoke<void>("watch_document", { id }),
  answer: (walk: string, item: string, answer: AnswerInput | null) => invoke<void>("answer", { walk, item, answer }),
  setWalkStatus: (walk: string, status: string) => invoke<void>("set_walk_status", { walk, status }),
  addObservation: (target: Target, d: ObservationInput) => {
    const input: ObservationInput = {
      category: d.category,
      severity: d.severity,
      note: d.note,
      location: d.location,
      photos: d.photos,
      item_id: d.item_id,
    };
    return invoke<Saved>("add_observation", { target, input });
  },
  /** `before` is what the field showed before this change (see `edit::rebase_text_answer`). */
  answerText: (walk: string, item: string, before: string, text: string) =>
    invoke<void>("answer_text", { walk, item, before, text }),
  /** `before` is what the field showed before this change (see `edit::rebase_note`). */
  setNote: (doc: string, observation: string, before: string, text: string) =>
    invoke<void>("set_note", { doc, observation, before, text }),
  setSeverity: (doc: string, observation: string, severity: number) =>
    invoke<void>("set_severity", { doc, observation, severity }),
  recentReports: () => invoke<ReportSummary[]>("recent_reports"),
  addPhoto: (bytes: Uint8Array, mediaType: string) =>
    invoke<PhotoView>("add_photo", bytes, { headers: { "media-type": mediaType } }),
  photo: async (sha256: string) => bytesOf(await invoke<unknown>("photo", { sha256 })),
  proposeAction: (input: ProposeAction) => invoke<string>("propose_action", { input }),
  actions: () => invoke<ActionView[]>("actions"),
  setActionStatus: (action: string, status: string) => invoke<void>("set_action_status", { action, status }),
};

export function onEvent<T>(name: string, f: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (e) => f(e.payload));
}
