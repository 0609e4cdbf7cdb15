//! Follow-up actions (åtgärder): one document each, so the responsible
//! organisation can be given write access to its actions and nothing else.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::{check_key, require_text};
use crate::document::{DocKind, DocumentSchema};
use crate::error::ValidationErrors;
use crate::time::Timestamp;

crate::code_enum! {
    pub enum ActionStatus {
        Proposed = "proposed",
        Accepted = "accepted",
        InProgress = "in_progress",
        Done = "done",
        Rejected = "rejected",
    }
}

impl ActionStatus {
    /// Whether the action still needs someone's work.
    pub fn is_open(self) -> bool {
        !matches!(self, ActionStatus::Done | ActionStatus::Rejected)
    }
}

/// An observation an action answers.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ObservationRef {
    /// The walk or report document holding it.
    pub doc_id: String,
    #[key]
    pub observation_id: String,
}

/// A comment on an action.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Comment {
    pub id: String,
    /// Device that wrote it.
    pub author: String,
    pub organisation: String,
    pub at: Timestamp,
    pub text: String,
}

/// The action document.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Action {
    pub observations: Vec<ObservationRef>,
    /// May be an organisation without any device (a private property owner).
    pub responsible_org: String,
    /// The organisation that proposed it.
    pub proposed_by_org: String,
    pub area: String,
    pub description: Text,
    /// A calendar date, `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub status: ActionStatus,
    pub created_at: Timestamp,
    pub comments: BTreeMap<String, Comment>,
}

impl DocumentSchema for Action {
    const KIND: DocKind = DocKind::Action;
    const SCHEMA_VERSION: u64 = 1;

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        require_text(&mut e, "responsible_org", &self.responsible_org);
        require_text(&mut e, "proposed_by_org", &self.proposed_by_org);
        require_text(&mut e, "area", &self.area);
        require_text(&mut e, "description", self.description.as_str());
        if let Some(d) = &self.due_date
            && d.parse::<jiff::civil::Date>().is_err()
        {
            e.push("due_date", format!("{d:?} is not a date (YYYY-MM-DD)"));
        }
        for (key, c) in &self.comments {
            check_key(&mut e, &format!("comments.{key}"), key, &c.id);
            require_text(&mut e, &format!("comments.{key}.text"), &c.text);
        }
        e.into_result()
    }
}
