//! The document bodies: one Rust type per [`DocKind`](crate::DocKind).
//!
//! Collections that several devices add to concurrently (observations, answers,
//! comments, organisations) are maps keyed by id, so concurrent additions merge
//! instead of colliding on list positions. Free text people type together is
//! [`autosurgeon::Text`], so two edits of one note keep both people's words.

mod action;
mod common;
mod directory;
mod observation;
mod report;
mod template;
mod vocabulary;
mod walk;

pub use action::{Action, ActionStatus, Comment, ObservationRef};
pub use common::{GeoPoint, Light, Location, MAX_PHOTO_BYTES, PhotoRef, Sensitivity, Severity};
pub use directory::{Area, Contact, Directory, OrgKind, Organisation, Place};
pub use observation::Observation;
pub use report::Report;
pub use template::{ChecklistTemplate, Item, ItemKind, Section, TemplateVersion};
pub use vocabulary::{Term, TermGroup, Vocabulary, VocabularyProblem};
pub use walk::{
    Answer, AnswerText, AnswerValue, TemplateRef, Walk, WalkGroup, WalkStatus, YesNoNa,
};

use crate::error::ValidationErrors;

/// Adds a problem when `value` is blank.
pub(crate) fn require_text(errors: &mut ValidationErrors, path: &str, value: &str) {
    if value.trim().is_empty() {
        errors.push(path, "must not be empty");
    }
}

/// Adds a problem when a map key and the id stored inside its value disagree.
pub(crate) fn check_key(errors: &mut ValidationErrors, path: &str, key: &str, id: &str) {
    if key != id {
        errors.push(
            path,
            format!("is stored under key {key:?} but has id {id:?}"),
        );
    }
}
