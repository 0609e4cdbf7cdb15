// Generated from the Rust types that cross the bridge (src-tauri/src/bindings.rs)
// by ts-rs. Do not edit: change the Rust types, then write this file with
// `TRYGG_WRITE_BINDINGS=1 cargo test -p trygg-app --test bindings`.

/**
 * What the app knows about itself: shown by the first-run and settings screens.
 */
export type AppInfo = { 
/**
 * False until the user paired the device or chose to continue offline.
 */
onboarded: boolean, paired: boolean, server: string | null, device_id: string, organisation: string | null, role: string | null, 
/**
 * Whether this device may start walks, report and propose actions (a
 * viewer may not): the access rule's `Role::records`.
 */
may_record: boolean, 
/**
 * `sv` or `en` (`Field::set_language` takes no other).
 */
language: "sv" | "en", };

/**
 * An error as the UI gets it from a command that failed.
 */
export type AppError = { code: ErrorCode, message: string, 
/**
 * Messages per form field (`invalid` only), in the order found.
 */
fields: Array<[string, string]>, };

/**
 * What kind of error the UI got: it chooses where to show the message.
 */
export type ErrorCode = "invalid" | "not_onboarded" | "not_found" | "bad_server_address" | "unreachable" | "token_refused" | "photo_too_large" | "forbidden" | "read_only" | "storage" | "other";

/**
 * The sync indicator's content.
 */
export type SyncStatus = { connection: Connection, 
/**
 * Local documents whose changes the server does not have yet
 * (including documents created offline and not yet registered).
 */
unsynced_documents: number, 
/**
 * Photos waiting for upload.
 */
photos_queued: number, 
/**
 * Queued photos whose file is no longer on this device: they can never
 * reach the server.
 */
photos_missing: number, 
/**
 * What on this device could not be read, if anything.
 */
problem: string | null, 
/**
 * Documents the server refused to register: they stay on this device.
 */
local_only_documents: number, 
/**
 * Documents with changes made here that the server will not take: the
 * server lets this device only read them.
 */
refused_documents: number, };

/**
 * The connection as the user should understand it.
 */
export type Connection = "offline" | "syncing" | "all_on_server" | "refused" | "token_refused" | "device_problem";

/**
 * Which walks the list shows.
 */
export type WalkQuery = { status: string | null, area: string | null, 
/**
 * Part of the route's name, in any case.
 */
route: string | null, 
/**
 * How many to show, newest first ([`WALK_PAGE`] when absent); "show
 * more" asks again for more.
 */
limit: number | null, };

/**
 * A page of the walks list.
 */
export type WalkPage = { walks: Array<WalkSummary>, 
/**
 * More walks match than the page holds.
 */
more: boolean, 
/**
 * [`WALK_PAGE`]: how many walks the list shows at first, and how many
 * more each "show more" adds (the UI asks for this many more).
 */
page: number, };

/**
 * A walk as the walks list shows it.
 */
export type WalkSummary = { doc_id: string, area: string, route_name: string, status: string, light: string, owner_org: string, planned_at: number | null, started_at: number | null, ended_at: number | null, created_at: number, answer_count: number, observation_count: number, 
/**
 * An exercise (*övning*), shown marked.
 */
exercise: boolean, };

/**
 * Starting (or planning) a walk from a template.
 */
export type StartWalk = { template_doc: string, area: string, route_name: string, light: string, 
/**
 * Other participating organisations (ids); the device's own is implied.
 */
organisations: Array<string>, 
/**
 * Start now (in progress) rather than only plan it.
 */
start_now: boolean, 
/**
 * An exercise (*övning*): marked everywhere, left out of statistics.
 */
exercise: boolean, 
/**
 * When a planned walk (not started now) is to be walked, in
 * milliseconds; now when absent.
 */
planned_at: number | null, };

/**
 * A walk as the walk screen shows it.
 */
export type WalkView = { id: string, area: string, route_name: string, light: string, status: string, owner_org: string, organisations: Array<string>, planned_at: number | null, started_at: number | null, ended_at: number | null, template_title_sv: string, template_title_en: string, sections: Array<SectionView>, answers: { [key in string]: AnswerInput }, observations: Array<ObservationView>, 
/**
 * The document's heads: two devices showing equal heads show the same walk.
 */
heads: Array<string>, 
/**
 * Whether this device may edit it now: it may write (the access rule)
 * and the walk is planned or in progress.
 */
editable: boolean, 
/**
 * The access rule lets this device only read the walk (a viewer, say).
 */
read_only: boolean, 
/**
 * An exercise (*övning*), shown marked.
 */
exercise: boolean, 
/**
 * Its sub-groups, each with its own route, by name.
 */
groups: Array<WalkGroupView>, };

/**
 * One sub-group of a walk, on its own route.
 */
export type WalkGroupView = { name: string, route: string, };

/**
 * What changed in the walk on screen since the heads it shows: the screen
 * redraws only those parts ([`crate::field::Field::walk_update`]).
 */
export type WalkUpdate = { "kind": "parts", heads: Array<string>, editable: boolean, read_only: boolean, 
/**
 * The changed answers as they are now (`null`: cleared), by item id.
 */
answers: { [key in string]: AnswerInput | null }, 
/**
 * Observations added or changed, in the walk's order.
 */
observations: Array<ObservationView>, 
/**
 * Ids of observations no longer in the walk.
 */
removed: Array<string>, } | { "kind": "whole", walk: WalkView, };

export type SectionView = { id: string, title_sv: string, title_en: string, items: Array<ItemView>, };

export type ItemView = { id: string, kind: string, prompt_sv: string, prompt_en: string, help_sv: string, required: boolean, vocabulary_group: string | null, };

/**
 * An answer as the UI sends it: `{"kind": "yes_no", "value": "yes"}`.
 */
export type AnswerInput = { "kind": "yes_no", "value": "yes" | "no" | "na" } | { "kind": "rating", "value": number } | { "kind": "number", "value": number } | { "kind": "text", "value": string } | { "kind": "choice", "value": string } | { "kind": "photos", "value": Array<PhotoView> } | { "kind": "location", "value": LocationInput };

/**
 * A position (from the device) and/or a named place.
 */
export type LocationInput = { lat: number | null, lon: number | null, accuracy_m: number | null, place_id: string | null, };

/**
 * A stored photo as the documents refer to it.
 */
export type PhotoView = { sha256: string, size: number, media_type: string, caption: string, };

/**
 * A new observation, in a walk or in an EST report.
 */
export type ObservationInput = { category: string, severity: number, note: string, location: LocationInput | null, photos: Array<PhotoView>, 
/**
 * The checklist item it belongs to, if any.
 */
item_id: string | null, };

/**
 * Where an observation goes.
 */
export type ObservationTarget = { "to": "walk", walk: string, } | { "to": "report", area: string, restricted: boolean, exercise: boolean, };

export type ObservationView = { id: string, doc_id: string, category: string, severity: number, note: string, location: LocationInput | null, observed_at: number, organisation: string, recorded_by: string, photos: Array<PhotoView>, sensitivity: string, item_id: string | null, };

/**
 * What saving an observation produced.
 */
export type Saved = { doc_id: string, id: string, 
/**
 * From the call to the changes being committed to disk.
 */
durable_us: number, };

/**
 * An EST observation in the report screen's list of recent ones.
 */
export type ReportSummary = { doc_id: string, obs_id: string, area: string, category: string, severity: number, organisation: string, observed_at: number, place_id: string | null, photo_count: number, 
/**
 * Recorded in an exercise (*övning*), shown marked.
 */
exercise: boolean, };

export type TemplateChoice = { doc_id: string, title_sv: string, title_en: string, version: number, };

export type VocabularyView = { version: number, groups: Array<GroupView>, terms: Array<TermView>, };

export type GroupView = { code: string, label_sv: string, label_en: string, order: number, };

export type TermView = { code: string, group: string, label_sv: string, label_en: string, definition_sv: string, definition_en: string, };

export type DirectoryView = { organisations: Array<OrgView>, areas: Array<AreaView>, };

export type OrgView = { id: string, name: string, kind: string, };

export type AreaView = { code: string, name: string, places: Array<PlaceView>, };

export type PlaceView = { id: string, name: string, lat: number | null, lon: number | null, };

/**
 * Proposing an action (*åtgärd*) from an observation.
 */
export type ProposeAction = { observation_doc: string, observation_id: string, responsible_org: string, description: string, due_date: string | null, };

export type ActionView = { id: string, description: string, responsible_org: string, proposed_by_org: string, area: string, due_date: string | null, status: string, created_at: number, 
/**
 * Whether this device may change the status.
 */
may_update: boolean, };
