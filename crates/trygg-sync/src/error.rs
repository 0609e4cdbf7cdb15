use trygg_core::{DocError, DocId};
use trygg_store::StoreError;

/// What can go wrong in the sync client.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Document(Box<DocError>),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("photo file: {0}")]
    Io(#[from] std::io::Error),
    /// The server could not be reached (offline, or it is down).
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    /// The server answered with an error.
    #[error("the server refused: {message} (HTTP {status})")]
    Api { status: u16, message: String },
    #[error("the server refused this device's token; ask your coordinator for a new device token")]
    TokenRefused,
    #[error("document {0} is not open on this device")]
    NotOpen(DocId),
    #[error(
        "document {0} is not available: the server does not have it, or this device may not see it"
    )]
    Unavailable(DocId),
    #[error(transparent)]
    Photo(#[from] crate::photo::PhotoError),
    #[error("bad server address: {0}")]
    BadAddress(String),
    /// A CA file that cannot be used (unreadable, not PEM, no certificate).
    #[error("TLS trust: {0}")]
    Trust(String),
    #[error("this device is not paired with a server yet")]
    NotPaired,
    #[error("the sync client has stopped")]
    Stopped,
}

impl From<DocError> for SyncError {
    fn from(e: DocError) -> Self {
        SyncError::Document(Box::new(e))
    }
}

pub type Result<T, E = SyncError> = std::result::Result<T, E>;
