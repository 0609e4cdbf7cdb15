//! What crosses the bridge to the UI: inputs the UI sends and views it gets.
//! Plain serde types; their TypeScript declarations are generated from them
//! (`crate::bindings`, written to `ui/src/bindings.ts` and checked by a test).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trygg_core::model::{self as m, AnswerValue, YesNoNa};
use ts_rs::TS;

use crate::error::{AppError, FieldErrors};

/// What the app knows about itself: shown by the first-run and settings screens.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AppInfo {
    /// False until the user paired the device or chose to continue offline.
    pub onboarded: bool,
    pub paired: bool,
    pub server: Option<String>,
    pub device_id: String,
    pub organisation: Option<String>,
    pub role: Option<String>,
    /// Whether this device may start walks, report and propose actions (a
    /// viewer may not): the access rule's `Role::records`.
    pub may_record: bool,
    /// `sv` or `en` (`Field::set_language` takes no other).
    #[ts(type = r#""sv" | "en""#)]
    pub language: String,
}

/// Which walks the list shows.
#[derive(Clone, Debug, Default, Deserialize, TS)]
pub struct WalkQuery {
    pub status: Option<String>,
    pub area: Option<String>,
    /// Part of the route's name, in any case.
    pub route: Option<String>,
    /// How many to show, newest first ([`WALK_PAGE`] when absent); "show
    /// more" asks again for more.
    pub limit: Option<u32>,
}

/// The walks the list shows at first, and how many more each "show more" adds.
pub const WALK_PAGE: u32 = 50;

/// The most walks one answer holds.
pub const MAX_WALKS: u32 = 5_000;

/// A page of the walks list.
#[derive(Clone, Debug, Serialize, TS)]
pub struct WalkPage {
    pub walks: Vec<WalkSummary>,
    /// More walks match than the page holds.
    pub more: bool,
    /// [`WALK_PAGE`]: how many walks the list shows at first, and how many
    /// more each "show more" adds (the UI asks for this many more).
    pub page: u32,
}

/// A walk as the walks list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct WalkSummary {
    pub doc_id: String,
    pub area: String,
    pub route_name: String,
    pub status: String,
    pub light: String,
    pub owner_org: String,
    pub planned_at: Option<i64>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created_at: i64,
    pub answer_count: u32,
    pub observation_count: u32,
    /// An exercise (*övning*), shown marked.
    pub exercise: bool,
}

impl From<trygg_store::index::WalkRow> for WalkSummary {
    fn from(r: trygg_store::index::WalkRow) -> Self {
        Self {
            doc_id: r.doc_id,
            area: r.area,
            route_name: r.route_name,
            status: r.status,
            light: r.light,
            owner_org: r.owner_org,
            planned_at: r.planned_at,
            started_at: r.started_at,
            ended_at: r.ended_at,
            created_at: r.created_at,
            answer_count: r.answer_count,
            observation_count: r.observation_count,
            exercise: r.exercise,
        }
    }
}

/// An EST observation in the report screen's list of recent ones.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ReportSummary {
    pub doc_id: String,
    pub obs_id: String,
    pub area: String,
    pub category: String,
    pub severity: u8,
    pub organisation: String,
    pub observed_at: i64,
    pub place_id: Option<String>,
    pub photo_count: u32,
    /// Recorded in an exercise (*övning*), shown marked.
    pub exercise: bool,
}

impl From<trygg_store::index::ObservationRow> for ReportSummary {
    fn from(r: trygg_store::index::ObservationRow) -> Self {
        Self {
            doc_id: r.doc_id,
            obs_id: r.obs_id,
            area: r.area,
            category: r.category,
            severity: r.severity,
            organisation: r.organisation,
            observed_at: r.observed_at,
            place_id: r.place_id,
            photo_count: r.photo_count,
            exercise: r.exercise,
        }
    }
}

/// Starting (or planning) a walk from a template.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct StartWalk {
    pub template_doc: String,
    pub area: String,
    pub route_name: String,
    pub light: String,
    /// Other participating organisations (ids); the device's own is implied.
    #[serde(default)]
    pub organisations: Vec<String>,
    /// Start now (in progress) rather than only plan it.
    #[serde(default = "yes")]
    pub start_now: bool,
    /// An exercise (*övning*): marked everywhere, left out of statistics.
    #[serde(default)]
    pub exercise: bool,
    /// When a planned walk (not started now) is to be walked, in
    /// milliseconds; now when absent.
    #[serde(default)]
    pub planned_at: Option<i64>,
}

fn yes() -> bool {
    true
}

/// An answer as the UI sends it: `{"kind": "yes_no", "value": "yes"}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, TS)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum AnswerInput {
    YesNo(#[ts(type = r#""yes" | "no" | "na""#)] String),
    Rating(u8),
    Number(f64),
    Text(String),
    Choice(String),
    Photos(Vec<PhotoView>),
    Location(LocationInput),
}

impl AnswerInput {
    pub fn into_value(self) -> Result<AnswerValue, AppError> {
        let bad = |msg: String| {
            let mut e = FieldErrors::default();
            e.push("value", msg);
            AppError::Invalid(e)
        };
        Ok(match self {
            AnswerInput::YesNo(v) => AnswerValue::YesNo(v.parse::<YesNoNa>().map_err(bad)?),
            AnswerInput::Rating(r) => AnswerValue::Rating(r),
            AnswerInput::Number(n) => AnswerValue::Number(n),
            AnswerInput::Text(t) => AnswerValue::Text(m::AnswerText::new(t)),
            AnswerInput::Choice(c) => AnswerValue::Choice(c),
            AnswerInput::Photos(ps) => {
                AnswerValue::Photos(ps.into_iter().map(PhotoView::into_ref).collect())
            }
            AnswerInput::Location(l) => AnswerValue::Location(l.into_location()),
        })
    }

    pub fn from_value(v: &AnswerValue) -> Self {
        match v {
            AnswerValue::YesNo(y) => AnswerInput::YesNo(y.as_str().into()),
            AnswerValue::Rating(r) => AnswerInput::Rating(*r),
            AnswerValue::Number(n) => AnswerInput::Number(*n),
            AnswerValue::Text(t) => AnswerInput::Text(t.as_str().to_owned()),
            AnswerValue::Choice(c) => AnswerInput::Choice(c.clone()),
            AnswerValue::Photos(ps) => AnswerInput::Photos(ps.iter().map(PhotoView::of).collect()),
            AnswerValue::Location(l) => AnswerInput::Location(LocationInput::of(l)),
        }
    }
}

/// A position (from the device) and/or a named place.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, TS)]
pub struct LocationInput {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub place_id: Option<String>,
}

impl LocationInput {
    pub fn into_location(self) -> m::Location {
        m::Location {
            point: match (self.lat, self.lon) {
                (Some(lat), Some(lon)) => Some(m::GeoPoint {
                    lat,
                    lon,
                    accuracy_m: self.accuracy_m,
                }),
                _ => None,
            },
            place_id: self.place_id.filter(|p| !p.is_empty()),
        }
    }

    pub fn of(l: &m::Location) -> Self {
        Self {
            lat: l.point.map(|p| p.lat),
            lon: l.point.map(|p| p.lon),
            accuracy_m: l.point.and_then(|p| p.accuracy_m),
            place_id: l.place_id.clone(),
        }
    }
}

/// A stored photo as the documents refer to it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, TS)]
pub struct PhotoView {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    #[serde(default)]
    pub caption: String,
}

impl PhotoView {
    pub fn into_ref(self) -> m::PhotoRef {
        m::PhotoRef {
            sha256: self.sha256,
            size: self.size,
            media_type: self.media_type,
            caption: self.caption,
        }
    }

    pub fn of(p: &m::PhotoRef) -> Self {
        Self {
            sha256: p.sha256.clone(),
            size: p.size,
            media_type: p.media_type.clone(),
            caption: p.caption.clone(),
        }
    }
}

/// A new observation, in a walk or in an EST report.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct ObservationInput {
    pub category: String,
    pub severity: u8,
    #[serde(default)]
    pub note: String,
    pub location: Option<LocationInput>,
    #[serde(default)]
    pub photos: Vec<PhotoView>,
    /// The checklist item it belongs to, if any.
    #[serde(default)]
    pub item_id: Option<String>,
}

/// Where an observation goes.
#[derive(Clone, Debug, Deserialize, TS)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum ObservationTarget {
    /// Into a walk.
    Walk { walk: String },
    /// Into this week's EST report of the device's organisation for an area.
    /// With `exercise`, into the organisation's exercise report instead,
    /// kept apart from its real reporting.
    Report {
        area: String,
        restricted: bool,
        #[serde(default)]
        exercise: bool,
    },
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ObservationView {
    pub id: String,
    pub doc_id: String,
    pub category: String,
    pub severity: u8,
    pub note: String,
    pub location: Option<LocationInput>,
    pub observed_at: i64,
    pub organisation: String,
    pub recorded_by: String,
    pub photos: Vec<PhotoView>,
    pub sensitivity: String,
    pub item_id: Option<String>,
}

impl ObservationView {
    pub fn of(doc_id: &str, o: &m::Observation) -> Self {
        Self {
            id: o.id.clone(),
            doc_id: doc_id.to_string(),
            category: o.category.clone(),
            severity: o.severity.level(),
            note: o.note.as_str().to_string(),
            location: o.location.as_ref().map(LocationInput::of),
            observed_at: o.observed_at.millis(),
            organisation: o.organisation.clone(),
            recorded_by: o.recorded_by.clone(),
            photos: o.photos.iter().map(PhotoView::of).collect(),
            sensitivity: o.sensitivity.as_str().to_string(),
            item_id: o.item_id.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ItemView {
    pub id: String,
    pub kind: String,
    pub prompt_sv: String,
    pub prompt_en: String,
    pub help_sv: String,
    pub required: bool,
    pub vocabulary_group: Option<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct SectionView {
    pub id: String,
    pub title_sv: String,
    pub title_en: String,
    pub items: Vec<ItemView>,
}

pub fn sections_of(version: &m::TemplateVersion) -> Vec<SectionView> {
    version
        .sections
        .iter()
        .map(|s| SectionView {
            id: s.id.clone(),
            title_sv: s.title_sv.clone(),
            title_en: s.title_en.clone(),
            items: s
                .items
                .iter()
                .map(|i| ItemView {
                    id: i.id.clone(),
                    kind: i.kind.as_str().to_string(),
                    prompt_sv: i.prompt_sv.clone(),
                    prompt_en: i.prompt_en.clone(),
                    help_sv: i.help_sv.clone(),
                    required: i.required,
                    vocabulary_group: i.vocabulary_group.clone(),
                })
                .collect(),
        })
        .collect()
}

/// A walk as the walk screen shows it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct WalkView {
    pub id: String,
    pub area: String,
    pub route_name: String,
    pub light: String,
    pub status: String,
    pub owner_org: String,
    pub organisations: Vec<String>,
    pub planned_at: Option<i64>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub template_title_sv: String,
    pub template_title_en: String,
    pub sections: Vec<SectionView>,
    pub answers: BTreeMap<String, AnswerInput>,
    pub observations: Vec<ObservationView>,
    /// The document's heads: two devices showing equal heads show the same walk.
    pub heads: Vec<String>,
    /// Whether this device may edit it now: it may write (the access rule)
    /// and the walk is planned or in progress.
    pub editable: bool,
    /// The access rule lets this device only read the walk (a viewer, say).
    pub read_only: bool,
    /// An exercise (*övning*), shown marked.
    pub exercise: bool,
    /// Its sub-groups, each with its own route, by name.
    pub groups: Vec<WalkGroupView>,
}

/// One sub-group of a walk, on its own route.
#[derive(Clone, Debug, Serialize, TS)]
pub struct WalkGroupView {
    pub name: String,
    pub route: String,
}

/// What changed in the walk on screen since the heads it shows: the screen
/// redraws only those parts ([`crate::field::Field::walk_update`]).
#[derive(Clone, Debug, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WalkUpdate {
    /// Only these answers and observations changed.
    Parts {
        heads: Vec<String>,
        editable: bool,
        read_only: bool,
        /// The changed answers as they are now (`null`: cleared), by item id.
        answers: BTreeMap<String, Option<AnswerInput>>,
        /// Observations added or changed, in the walk's order.
        observations: Vec<ObservationView>,
        /// Ids of observations no longer in the walk.
        removed: Vec<String>,
    },
    /// Something else changed (status, organisations), or the heads were
    /// not this walk's: the walk read whole.
    Whole { walk: Box<WalkView> },
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TemplateChoice {
    pub doc_id: String,
    pub title_sv: String,
    pub title_en: String,
    pub version: u32,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct TermView {
    pub code: String,
    pub group: String,
    pub label_sv: String,
    pub label_en: String,
    pub definition_sv: String,
    pub definition_en: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct GroupView {
    pub code: String,
    pub label_sv: String,
    pub label_en: String,
    pub order: u32,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct VocabularyView {
    pub version: u64,
    pub groups: Vec<GroupView>,
    pub terms: Vec<TermView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct PlaceView {
    pub id: String,
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct AreaView {
    pub code: String,
    pub name: String,
    pub places: Vec<PlaceView>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct DirectoryView {
    pub organisations: Vec<OrgView>,
    pub areas: Vec<AreaView>,
}

impl DirectoryView {
    pub fn of(d: &m::Directory) -> Self {
        Self {
            organisations: d
                .organisations
                .values()
                .map(|o| OrgView {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    kind: o.kind.as_str().to_string(),
                })
                .collect(),
            areas: d
                .areas
                .values()
                .map(|a| AreaView {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    places: a
                        .places
                        .values()
                        .map(|p| PlaceView {
                            id: p.id.clone(),
                            name: p.name.clone(),
                            lat: p.point.map(|g| g.lat),
                            lon: p.point.map(|g| g.lon),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Proposing an action (*åtgärd*) from an observation.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct ProposeAction {
    pub observation_doc: String,
    pub observation_id: String,
    pub responsible_org: String,
    pub description: String,
    pub due_date: Option<String>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ActionView {
    pub id: String,
    pub description: String,
    pub responsible_org: String,
    pub proposed_by_org: String,
    pub area: String,
    pub due_date: Option<String>,
    pub status: String,
    pub created_at: i64,
    /// Whether this device may change the status.
    pub may_update: bool,
}
