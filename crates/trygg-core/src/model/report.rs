//! Observations outside a walk's shared document.
//!
//! Two uses, one shape: the weekly everyday reporting (EST, *Effektiv
//! samordning för trygghet*) of an organisation, and an organisation's
//! restricted notes from a walk, which must not travel with the shared walk.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::{Observation, Sensitivity, check_key, require_text};
use crate::document::{DocKind, DocumentSchema};
use crate::error::ValidationErrors;
use crate::time::Timestamp;

/// The report document.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Report {
    /// The organisation that reports (and, when restricted, the only one that sees it).
    pub organisation: String,
    /// Area code from the directory.
    pub area: String,
    /// `shared` for EST reporting, `restricted` for an organisation's own notes.
    pub sensitivity: Sensitivity,
    /// For restricted notes from a walk: the walk's document id.
    pub walk: Option<String>,
    /// The reporting period, e.g. `2026-W48`, when the report is a weekly one.
    pub period: Option<String>,
    pub created_at: Timestamp,
    pub observations: BTreeMap<String, Observation>,
    /// Observations recorded in an exercise (*övning*), kept apart from the
    /// organisation's real reporting: an exercise is always its own report.
    /// Reports written before exercises existed read as `false`.
    #[autosurgeon(missing = "Default::default")]
    pub exercise: bool,
}

impl DocumentSchema for Report {
    const KIND: DocKind = DocKind::Report;
    const SCHEMA_VERSION: u64 = 1;

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        require_text(&mut e, "organisation", &self.organisation);
        require_text(&mut e, "area", &self.area);
        for (key, o) in &self.observations {
            let path = format!("observations.{key}");
            check_key(&mut e, &path, key, &o.id);
            if o.sensitivity != self.sensitivity {
                e.push(
                    format!("{path}.sensitivity"),
                    format!("must match the report's sensitivity ({})", self.sensitivity),
                );
            }
            if o.organisation != self.organisation {
                e.push(
                    format!("{path}.organisation"),
                    "must be the reporting organisation",
                );
            }
            if let Err(inner) = o.validate() {
                e.nest(&path, inner);
            }
        }
        e.into_result()
    }
}
