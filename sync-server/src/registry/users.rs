//! People who use the dashboard: each belongs to an organisation with a role
//! (viewer or coordinator), logs in once through a one-time link and then
//! holds a browser session. Links and sessions are stored as hashes, like
//! device tokens: a stolen database opens nothing.

use async_trait::async_trait;
use trygg_core::Timestamp;
use trygg_sync::access::{Principal, Role};

use super::Result;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub org: String,
    pub role: Role,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl User {
    /// The access rules' view of this person (the same rules as devices').
    pub fn principal(&self) -> Principal {
        Principal {
            device_id: format!("user:{}", self.id),
            org: self.org.clone(),
            role: self.role,
        }
    }
}

/// The roles a person may have in the dashboard.
pub const USER_ROLES: [Role; 2] = [Role::Viewer, Role::Coordinator];

/// How long a login link works.
pub const LINK_VALID_MS: i64 = 7 * 86_400_000;
/// How long a browser session lasts without logging in again.
pub const SESSION_VALID_MS: i64 = 12 * 3_600_000;

/// Why a login link opened nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("this login link is not known; ask your administrator for a new one")]
    Unknown,
    #[error("this login link was used already; ask your administrator for a new one")]
    Used,
    #[error("this login link has expired; ask your administrator for a new one")]
    Expired,
    #[error("this user was revoked")]
    Revoked,
}

#[async_trait]
pub trait Users: Send + Sync {
    /// Adds a person with a first login link (its hash), valid until `link_expires`.
    async fn add_user(&self, user: &User, link_hash: &str, link_expires: Timestamp) -> Result<()>;
    /// A new login link for a person who is not revoked.
    async fn add_login_link(
        &self,
        user_id: &str,
        link_hash: &str,
        expires: Timestamp,
    ) -> Result<()>;
    async fn users(&self) -> Result<Vec<User>>;
    /// Revokes a person and ends their sessions; `false` when revoked already.
    async fn revoke_user(&self, id: &str, at: Timestamp) -> Result<bool>;
    /// Spends a login link: a session (its hash) for its person, valid until
    /// `session_expires`; the link never works again.
    async fn redeem_login_link(
        &self,
        link_hash: &str,
        session_hash: &str,
        now: Timestamp,
        session_expires: Timestamp,
    ) -> Result<std::result::Result<User, LinkRefusal>>;
    /// The person behind a session, if the session is current and the person not revoked.
    async fn session_user(&self, session_hash: &str, now: Timestamp) -> Result<Option<User>>;
    async fn end_session(&self, session_hash: &str) -> Result<()>;
}
