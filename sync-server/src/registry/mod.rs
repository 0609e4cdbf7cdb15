//! The access table and the people-facing facts behind it: organisations,
//! devices (with a hash of each token) and which organisation may see which
//! document. Kept outside the CRDTs: a document never decides who reads it.
//!
//! Behind a trait so the city-scale PostgreSQL backend is a second
//! implementation, not a rewrite. Every write raises a revision number; a
//! server instance polls it to learn of changes made by `admin` or by another
//! instance (revocation reaches open connections this way).

pub mod settings;
mod sqlite;
pub mod users;

use std::collections::BTreeSet;

use async_trait::async_trait;
use trygg_core::model::OrgKind;
use trygg_core::{DocId, Timestamp};
use trygg_sync::access::{DocAccess, Principal, Role};

pub use sqlite::SqliteRegistry;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub org: String,
    pub role: Role,
    pub name: Option<String>,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// Why a device's token no longer works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inactive {
    Revoked,
    Expired,
}

impl Device {
    pub fn inactive(&self, now: Timestamp) -> Option<Inactive> {
        if self.revoked_at.is_some() {
            Some(Inactive::Revoked)
        } else if self.expires_at.is_some_and(|e| e <= now) {
            Some(Inactive::Expired)
        } else {
            None
        }
    }

    pub fn principal(&self) -> Principal {
        Principal {
            device_id: self.id.clone(),
            org: self.org.clone(),
            role: self.role,
        }
    }
}

/// A registered document: its access facts and times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocRecord {
    pub access: DocAccess,
    pub registered_by: String,
    pub registered_at: Timestamp,
    pub updated_at: Timestamp,
    /// The document this one replaced (a purged copy of it, see `retention`).
    pub replaces: Option<DocId>,
    /// Set once a purged copy replaced this document: nobody may read or
    /// write it any more, and it is not listed.
    pub replaced_by: Option<DocId>,
}

/// Rows changed after a revision.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub revision: i64,
    pub orgs: Vec<Org>,
    pub devices: Vec<Device>,
    pub documents: Vec<DocRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("conflict: {0} already exists")]
    Conflict(String),
    #[error("unknown {what} `{id}`")]
    Unknown { what: &'static str, id: String },
    #[error("registry database: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for RegistryError {
    fn from(e: rusqlite::Error) -> Self {
        RegistryError::Database(e.to_string())
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

#[async_trait]
pub trait Registry:
    users::Users + settings::Settings + Send + Sync + std::fmt::Debug + 'static
{
    async fn add_org(&self, org: &Org) -> Result<()>;
    /// An organisation by id or by name.
    async fn find_org(&self, id_or_name: &str) -> Result<Option<Org>>;
    async fn add_device(&self, device: &Device) -> Result<()>;
    async fn devices(&self) -> Result<Vec<Device>>;
    async fn device_by_token_hash(&self, hash: &str) -> Result<Option<Device>>;
    /// Revokes a device; `false` when it was revoked already.
    async fn revoke_device(&self, id: &str, at: Timestamp) -> Result<bool>;
    /// Registers a document; an id already registered is a `Conflict`.
    async fn register_document(&self, record: &DocRecord) -> Result<()>;
    /// Retires a document in favour of `replaced_by` (registered next, with
    /// `replaces` naming this one): from now on nobody may read or write it.
    /// It must be registered and not yet retired.
    async fn retire_document(&self, id: &DocId, replaced_by: &DocId) -> Result<()>;
    /// Replaces who shares a registered document (and marks it updated, so
    /// devices listing changes since a time see it).
    async fn set_sharing(&self, id: &DocId, shared_with: &BTreeSet<String>) -> Result<()>;
    /// Notes that the documents received changes at `at`.
    async fn touch_documents(&self, ids: &BTreeSet<DocId>, at: Timestamp) -> Result<()>;
    async fn revision(&self) -> Result<i64>;
    /// Everything changed after `revision` (all rows for 0).
    async fn changes_since(&self, revision: i64) -> Result<Changes>;
}

/// A token's stored form: SHA-256, hex. A stolen database holds no usable token.
pub fn token_hash(token: &str) -> String {
    trygg_sync::photo::sha256_hex(token.as_bytes())
}

/// A new device token: 256 random bits, prefixed so it is recognisable in a
/// leaked log or config file.
pub fn new_token() -> String {
    format!("trygg_{}", hex::encode(rand::random::<[u8; 32]>()))
}
