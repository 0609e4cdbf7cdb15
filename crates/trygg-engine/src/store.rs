//! Reading documents for the engine: a few SQLite connections, used off the
//! async executor, so several documents load at once (WAL readers do not
//! block each other or the writer).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use trygg_core::DocId;
use trygg_store::{StoreError, chunks};

use crate::doc::{self, Loaded};

/// A small pool of read connections to the documents file. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
}

/// Connections kept open between loads.
const KEEP: usize = 4;

impl Readers {
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let first = trygg_store::open_connection(&path)?;
        Ok(Self {
            path,
            idle: Arc::new(Mutex::new(vec![first])),
        })
    }

    /// Loads a document's chunks (blocking). A registered document with no
    /// content yet loads as an empty document.
    pub fn load(&self, id: &DocId) -> Result<Loaded, StoreError> {
        let conn = self.take()?;
        let result = chunks::of_doc(&conn, id);
        self.give_back(conn);
        Ok(doc::load(result?))
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(c) => Ok(c),
            None => trygg_store::open_connection(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
    }
}
