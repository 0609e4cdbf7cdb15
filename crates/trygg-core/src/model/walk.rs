//! A safety walk (trygghetsvandring): one document per walk.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::{Light, Location, Observation, PhotoRef, Sensitivity, check_key, require_text};
use crate::document::{DocKind, DocumentSchema};
use crate::error::ValidationErrors;
use crate::time::Timestamp;

crate::code_enum! {
    /// Where a walk is in its life.
    pub enum WalkStatus {
        Planned = "planned",
        InProgress = "in_progress",
        Completed = "completed",
        /// Findings have been reported back to the council.
        Reported = "reported",
    }
}

impl WalkStatus {
    /// Whether a walk may move from `self` to `next`. Completing may be undone
    /// (a walk reopened to add a forgotten finding); reporting is final.
    pub fn may_become(self, next: WalkStatus) -> bool {
        use WalkStatus::*;
        matches!(
            (self, next),
            (Planned, InProgress)
                | (InProgress, Completed)
                | (Completed, InProgress)
                | (Completed, Reported)
        ) || self == next
    }
}

crate::code_enum! {
    pub enum YesNoNa {
        Yes = "yes",
        No = "no",
        NotApplicable = "na",
    }
}

/// The template version a walk follows.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct TemplateRef {
    /// Document id of the template document.
    pub doc_id: String,
    pub template_id: String,
    pub version: u32,
}

/// The value of one answer; its shape follows the item's kind.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub enum AnswerValue {
    #[autosurgeon(rename = "yes_no")]
    YesNo(YesNoNa),
    #[autosurgeon(rename = "rating")]
    Rating(u8),
    #[autosurgeon(rename = "number")]
    Number(f64),
    #[autosurgeon(rename = "text")]
    Text(AnswerText),
    #[autosurgeon(rename = "choice")]
    Choice(String),
    #[autosurgeon(rename = "photos")]
    Photos(Vec<PhotoRef>),
    #[autosurgeon(rename = "location")]
    Location(Location),
}

/// A text answer, stored as Automerge text like an observation's note, so
/// two people typing in the same item keep both their words
/// ([`crate::edit::rebase_text_answer`]). Answers written before this were
/// plain strings: they read the same and become text when next written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerText(pub Text);

impl AnswerText {
    pub fn new(value: impl AsRef<str>) -> Self {
        Self(Text::with_value(value))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Hydrate for AnswerText {
    fn hydrate_text<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        Text::hydrate_text(doc, obj).map(Self)
    }

    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Self::new(s))
    }
}

impl Reconcile for AnswerText {
    type Key<'a> = <Text as Reconcile>::Key<'a>;

    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }

    fn hydrate_key<'a, D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: autosurgeon::Prop<'_>,
    ) -> Result<autosurgeon::reconcile::LoadKey<Self::Key<'a>>, autosurgeon::ReconcileError> {
        Text::hydrate_key(doc, obj, prop)
    }

    fn key<'a>(&'a self) -> autosurgeon::reconcile::LoadKey<Self::Key<'a>> {
        self.0.key()
    }
}

impl AnswerValue {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        match self {
            AnswerValue::Rating(r) if !(1..=5).contains(r) => {
                e.push("rating", format!("a rating is 1 to 5, not {r}"))
            }
            AnswerValue::Number(n) if !n.is_finite() => e.push("number", "must be a finite number"),
            AnswerValue::Choice(c) => require_text(&mut e, "choice", c),
            AnswerValue::Photos(ps) => {
                for (i, p) in ps.iter().enumerate() {
                    if let Err(inner) = p.validate() {
                        e.nest(&format!("photos.{i}"), inner);
                    }
                }
            }
            AnswerValue::Location(l) => {
                if let Err(inner) = l.validate() {
                    e.nest("location", inner);
                }
            }
            _ => {}
        }
        e.into_result()
    }
}

/// One answered checklist item.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Answer {
    pub value: AnswerValue,
    pub answered_by: String,
    pub answered_at: Timestamp,
}

/// One sub-group of a large walk, walking its own route.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct WalkGroup {
    pub id: String,
    /// What the participants call it ("Grupp 1", "Norra slingan").
    pub name: String,
    pub route: String,
}

/// The walk document.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Walk {
    pub template: TemplateRef,
    /// Area code from the directory.
    pub area: String,
    pub route_name: String,
    pub light: Light,
    pub status: WalkStatus,
    pub planned_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// The organisation that arranges the walk.
    pub owner_org: String,
    /// Participating organisations, with when they were added.
    pub organisations: BTreeMap<String, Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    /// Answers keyed by template item id.
    pub answers: BTreeMap<String, Answer>,
    /// Shared observations keyed by id. Restricted ones live in a [`super::Report`].
    pub observations: BTreeMap<String, Observation>,
    /// General notes on the walk.
    pub notes: Text,
    /// An exercise (*övning*): the same walk, marked everywhere and left
    /// out of statistics and exports unless asked for. Fixed when the walk
    /// is made; walks written before exercises existed read as `false`.
    #[autosurgeon(missing = "Default::default")]
    pub exercise: bool,
    /// Sub-groups, each on its own route, keyed by id (none for a walk in
    /// one group, and for walks written before groups existed).
    #[autosurgeon(missing = "Default::default")]
    pub groups: BTreeMap<String, WalkGroup>,
    /// The walk this one walks again (planned from its protocol), by
    /// document id.
    #[autosurgeon(missing = "Option::default")]
    pub follows: Option<String>,
}

impl DocumentSchema for Walk {
    const KIND: DocKind = DocKind::Walk;
    const SCHEMA_VERSION: u64 = 1;

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        require_text(&mut e, "area", &self.area);
        require_text(&mut e, "route_name", &self.route_name);
        require_text(&mut e, "owner_org", &self.owner_org);
        require_text(&mut e, "template.template_id", &self.template.template_id);
        if !self.organisations.contains_key(&self.owner_org) {
            e.push("organisations", "must include the owner organisation");
        }
        // No rule across started_at/ended_at here: two devices starting and
        // completing the walk concurrently can merge to an end before the start,
        // and a merged document must stay readable.
        for (key, g) in &self.groups {
            let path = format!("groups.{key}");
            check_key(&mut e, &path, key, &g.id);
            require_text(&mut e, &format!("{path}.name"), &g.name);
            require_text(&mut e, &format!("{path}.route"), &g.route);
        }
        for (key, a) in &self.answers {
            Walk::check_answer(&mut e, key, a);
        }
        for (key, o) in &self.observations {
            Walk::check_observation(&mut e, key, o);
        }
        e.into_result()
    }
}

impl Walk {
    /// The rules for one answer, kept under `key` (an item id); also used
    /// when a screen reads one answer alone (`walk_delta`).
    pub fn check_answer(e: &mut ValidationErrors, key: &str, a: &Answer) {
        if let Err(inner) = a.value.validate() {
            e.nest(&format!("answers.{key}"), inner);
        }
    }

    /// The rules for one observation, kept under `key`; also used when a
    /// screen reads one observation alone (`walk_delta`).
    pub fn check_observation(e: &mut ValidationErrors, key: &str, o: &Observation) {
        let path = format!("observations.{key}");
        check_key(e, &path, key, &o.id);
        if o.sensitivity != Sensitivity::Shared {
            e.push(
                format!("{path}.sensitivity"),
                "a walk holds only shared observations; restricted ones go in the organisation's report",
            );
        }
        if let Err(inner) = o.validate() {
            e.nest(&path, inner);
        }
    }
}
