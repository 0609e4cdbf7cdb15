//! Observations: what someone saw, where, how serious, with photos.

use autosurgeon::{Hydrate, Reconcile, Text};

use super::{Location, PhotoRef, Sensitivity, Severity, require_text};
use crate::error::ValidationErrors;
use crate::time::Timestamp;

/// One finding, in a walk or in a report.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Observation {
    pub id: String,
    /// Vocabulary code, kept as recorded even if the term is later replaced.
    pub category: String,
    /// The vocabulary version the category was picked from.
    pub vocabulary_version: u64,
    pub severity: Severity,
    /// Free text; concurrent edits merge character by character.
    pub note: Text,
    pub location: Option<Location>,
    pub observed_at: Timestamp,
    /// Device that recorded it.
    pub recorded_by: String,
    /// Organisation of that device.
    pub organisation: String,
    pub photos: Vec<PhotoRef>,
    pub sensitivity: Sensitivity,
    /// The checklist item it belongs to, if recorded while answering one.
    pub item_id: Option<String>,
}

impl Observation {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        require_text(&mut e, "id", &self.id);
        require_text(&mut e, "category", &self.category);
        require_text(&mut e, "recorded_by", &self.recorded_by);
        require_text(&mut e, "organisation", &self.organisation);
        if let Some(Err(inner)) = self.location.as_ref().map(Location::validate) {
            e.nest("location", inner);
        }
        for (i, p) in self.photos.iter().enumerate() {
            if let Err(inner) = p.validate() {
                e.nest(&format!("photos.{i}"), inner);
            }
        }
        e.into_result()
    }
}
