//! Trygg's sync facade over samod (pinned `=0.16.0`).
//!
//! * [`access`]: who may read or write which document (pure rules).
//! * [`api`]: the HTTP API's payloads, shared by server and client.
//! * [`client`]: what a device runs: a samod repo on the local store, our own
//!   authenticated WebSocket dialer, registration of new documents, the photo
//!   upload queue, and the sync status the UI shows.
//!
//! Nothing here knows about axum or Tauri.

/// The access rules live in `trygg-core`, where every part can ask them.
pub use trygg_core::access;
pub mod api;
pub mod client;
mod error;
pub mod photo;
pub mod tls;

pub use error::{Result, SyncError};

/// The largest WebSocket message either side accepts by default. A first sync
/// of a big walk arrives as one message; 64 MiB leaves room for years of one
/// route's walks while refusing a runaway or hostile sender.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Our document id as samod's (both are automerge-repo's 16-byte ids).
pub fn samod_id(id: &trygg_core::DocId) -> samod::DocumentId {
    samod::DocumentId::try_from(id.as_bytes().to_vec()).expect("a DocId is 16 bytes")
}

/// samod's document id as ours; `None` for ids of another length.
pub fn trygg_id(id: &samod::DocumentId) -> Option<trygg_core::DocId> {
    let bytes: [u8; 16] = id.as_bytes().try_into().ok()?;
    Some(trygg_core::DocId::from_bytes(bytes))
}
