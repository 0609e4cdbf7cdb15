//! The storage adapter samod persists through.
//!
//! samod's `Storage` trait cannot report a failure: `put` returns `()`. So this
//! adapter commits before it returns (`synchronous=FULL`), and if SQLite refuses
//! a read or a write it logs the reason and aborts the process. A crashed
//! process restarts and resyncs; a process that believes an unwritten change is
//! safe would lose it. `put` also marks the document for the index, in the same
//! transaction, and then re-derives its index rows; if that second step does not
//! happen (a crash), [`crate::Store::open`] finishes it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, TransactionBehavior};
use samod::storage::{Storage, StorageKey};
use trygg_core::DocId;

use crate::error::{Result, StoreError};
use crate::{chunks, clear_dirty, commit_index, mark_dirty, reindex_one};

/// When a written document's index rows are brought up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexMode {
    /// Right after each write, on the writing thread (a device: the lists it
    /// shows must follow at once).
    Immediate,
    /// Later, by whoever calls [`crate::Store::reindex_dirty`] (a server under
    /// many writes re-indexes a busy document once, not once per change).
    Deferred,
}

/// A samod [`Storage`] on the store's SQLite file. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SamodStorage {
    conn: Arc<Mutex<Connection>>,
    index: IndexMode,
}

/// Stops the process: the only honest answer when a promised write cannot be made.
fn fatal(op: &str, key: &str, err: &StoreError) -> ! {
    tracing::error!(%err, op, key, "storage failed; stopping rather than pretend the data is safe");
    eprintln!(
        "trygg-store: {op} {key} failed: {err}; stopping rather than pretend the data is safe"
    );
    std::process::abort()
}

impl SamodStorage {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, IndexMode::Immediate)
    }

    pub fn open_with(path: impl AsRef<Path>, index: IndexMode) -> Result<Self> {
        let conn = crate::open_connection(path)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            index,
        })
    }

    fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // A poisoned lock means another thread panicked mid-call; SQLite's own
        // transaction rolled back, so the connection is still consistent.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    pub fn load_blocking(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.with_conn(|c| chunks::get(c, key))
    }

    pub fn load_range_blocking(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.with_conn(|c| chunks::range(c, prefix))
    }

    /// Writes one chunk durably, then brings the document's index rows up to date.
    pub fn put_blocking(&self, key: &str, data: &[u8]) -> Result<()> {
        self.with_conn(|c| {
            let doc = chunks::doc_of_key(key);
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            chunks::put(&tx, key, data)?;
            if let Some(doc) = &doc {
                mark_dirty(&tx, doc)?;
            }
            tx.commit()?;
            if let Some(doc) = doc {
                self.index_after_write(c, &doc);
            }
            Ok(())
        })
    }

    /// Writes Automerge changes durably under the keys samod gives them (one
    /// incremental chunk per change, named by its hash), in one transaction.
    ///
    /// A device calls this after editing a document samod holds in memory, so
    /// the edit is on disk when the call returns rather than when samod's own
    /// asynchronous write lands; samod's later write of the same change goes to
    /// the same key with the same bytes.
    pub fn put_changes(&self, doc: &DocId, changes: &[automerge::Change]) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for change in changes {
                let key = chunks::incremental_key(doc, &change.hash());
                chunks::put_if_absent(&tx, doc, &key, change.raw_bytes())?;
            }
            mark_dirty(&tx, doc)?;
            tx.commit()?;
            self.index_after_write(c, doc);
            Ok(())
        })
    }

    fn index_after_write(&self, c: &mut Connection, doc: &DocId) {
        if self.index == IndexMode::Deferred {
            return;
        }
        // The data is safe now; indexing failing here only delays the index.
        if let Err(e) = index_now(c, doc) {
            tracing::warn!(%doc, %e, "index update deferred to the next open");
        }
    }

    pub fn delete_blocking(&self, key: &str) -> Result<()> {
        self.with_conn(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            chunks::delete(&tx, key)?;
            if let Some(doc) = chunks::doc_of_key(key) {
                mark_dirty(&tx, &doc)?;
            }
            tx.commit()?;
            Ok(())
        })
    }
}

/// Re-derives the document's index rows from disk, inside the write lock so a
/// concurrent writer cannot interleave.
fn index_now(c: &mut Connection, doc: &DocId) -> Result<()> {
    commit_index(c, |tx| {
        reindex_one(tx, doc)?;
        clear_dirty(tx, &doc.to_string())
    })
}

/// Runs blocking SQLite work off the async executor when there is a Tokio runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => match rt.spawn_blocking(f).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        },
        Err(_) => f(),
    }
}

fn parse_key(key: &str) -> Option<StorageKey> {
    StorageKey::from_parts(key.split('/')).ok()
}

impl Storage for SamodStorage {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        let this = self.clone();
        let key = key.to_string();
        blocking(move || match this.load_blocking(&key) {
            Ok(v) => v,
            Err(e) => fatal("load", &key, &e),
        })
        .await
    }

    async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let this = self.clone();
        let prefix = prefix.to_string();
        blocking(move || match this.load_range_blocking(&prefix) {
            Ok(rows) => rows
                .into_iter()
                .filter_map(|(k, v)| parse_key(&k).map(|k| (k, v)))
                .collect(),
            Err(e) => fatal("load_range", &prefix, &e),
        })
        .await
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        let this = self.clone();
        let key = key.to_string();
        blocking(move || {
            if let Err(e) = this.put_blocking(&key, &data) {
                fatal("put", &key, &e)
            }
        })
        .await
    }

    async fn delete(&self, key: StorageKey) {
        let this = self.clone();
        let key = key.to_string();
        blocking(move || {
            if let Err(e) = this.delete_blocking(&key) {
                fatal("delete", &key, &e)
            }
        })
        .await
    }
}
