//! What can go wrong in the store.

use trygg_core::{DocError, DocId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the store at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the store's database schema could not be brought up to date: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no document {0} in this store")]
    NotFound(DocId),
    #[error("document {doc} has a damaged chunk {key}: {reason}")]
    Corrupt {
        doc: DocId,
        key: String,
        reason: String,
    },
    #[error("document {doc}: {source}")]
    Document {
        doc: DocId,
        #[source]
        source: Box<DocError>,
    },
    #[error(transparent)]
    Doc(Box<DocError>),
    #[error("could not write to the store: {0}")]
    Write(String),
    #[error("could not empty the write-ahead log: {0}")]
    Checkpoint(String),
}

impl From<DocError> for StoreError {
    fn from(e: DocError) -> Self {
        StoreError::Doc(Box::new(e))
    }
}

impl StoreError {
    /// A document-level error, naming the document.
    pub fn document(doc: DocId, source: impl Into<DocError>) -> Self {
        StoreError::Document {
            doc,
            source: Box::new(source.into()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
