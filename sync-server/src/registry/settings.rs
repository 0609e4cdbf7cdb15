//! What an organisation's coordinators decide for the whole organisation.
//! Today one choice: whether its people's exports carry the free-text notes
//! of the organisation's own observations (off until a coordinator turns it
//! on; other organisations' notes never go out).

use async_trait::async_trait;
use trygg_core::Timestamp;

use super::Result;

/// An organisation's settings, and who last changed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgSettings {
    /// Exports carry the notes of the organisation's own observations.
    pub export_notes: bool,
    /// The name of who changed them last, and when; `None` while unchanged.
    pub changed: Option<(String, Timestamp)>,
}

#[async_trait]
pub trait Settings: Send + Sync {
    /// The settings of `org`: the defaults until someone changed them; an
    /// unknown organisation is `Unknown`.
    async fn org_settings(&self, org: &str) -> Result<OrgSettings>;
    /// Sets whether `org`'s exports carry notes, as `by` (a person's name) at `at`.
    async fn set_export_notes(&self, org: &str, on: bool, by: &str, at: Timestamp) -> Result<()>;
}
