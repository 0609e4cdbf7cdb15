//! Trygg's local store: Automerge documents in one SQLite file.
//!
//! * Documents are kept as Automerge chunks in samod's key layout ([`chunks`]).
//! * [`Store::save`] writes a document's new changes and its index rows in one
//!   transaction with `synchronous=FULL`: when it returns, the edit is on disk.
//! * The index ([`index`]) is derived; [`Store::rebuild_index`] recreates it
//!   from the chunks alone.
//! * [`SamodStorage`] lets samod persist into the same file (devices).
//! * [`GroupCommit`] writes many documents' chunks in one transaction (the
//!   server's sync engine).

pub mod chunks;
pub mod demo;
mod doc_cache;
mod error;
pub mod group_commit;
pub mod index;
mod samod_storage;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use automerge::{AutoCommit, ChangeHash};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use trygg_core::document::{self, AnyDocument};
use trygg_core::{DocId, DocumentSchema, chunk};

pub use error::{Result, StoreError};
pub use group_commit::GroupCommit;
pub use index::{
    ActionFilter, ActionRow, DocumentRow, IndexRows, ObservationFilter, ObservationRow, WalkFilter,
    WalkRow,
};
pub use samod_storage::{IndexMode, SamodStorage};

/// Opens a connection to the store file at `path` with the store's settings and
/// schema, for bookkeeping that lives beside the documents (the sync client's
/// outbox and photo queue).
pub fn open_connection(path: impl AsRef<Path>) -> Result<Connection> {
    let path = path.as_ref();
    let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.display().to_string(),
        source,
    })?;
    schema::configure(&conn)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// Re-indexes documents written through [`IndexMode::Deferred`] storage, every
/// `every`, until the task is dropped, calling `indexed` with how many
/// documents each pass that found some took in. Runs the SQLite work off the
/// executor.
pub async fn keep_index_current(
    store: Store,
    every: std::time::Duration,
    indexed: impl FnMut(u64) + Send + 'static,
) {
    upkeep(store, every, indexed, |store, _| store.reindex_dirty()).await
}

/// A server's index upkeep beside the engine, which indexes what it changes
/// from memory: every `every`, re-indexes the documents whose stale mark
/// has not moved since the previous pass ([`Store::reindex_settled`]).
pub async fn keep_stale_index_current(
    store: Store,
    every: std::time::Duration,
    indexed: impl FnMut(u64) + Send + 'static,
) {
    upkeep(store, every, indexed, Store::reindex_settled).await
}

async fn upkeep(
    store: Store,
    every: std::time::Duration,
    mut indexed: impl FnMut(u64) + Send + 'static,
    pass: fn(&mut Store, &mut HashMap<String, i64>) -> Result<u64>,
) {
    let state = std::sync::Arc::new(std::sync::Mutex::new((store, HashMap::new())));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let state = state.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            let (store, settled) = &mut *state;
            pass(store, settled)
        })
        .await;
        match done {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => indexed(n),
            Ok(Err(e)) => tracing::warn!(%e, "index update failed; retrying"),
            Err(e) => tracing::warn!(%e, "index task failed; retrying"),
        }
    }
}

/// After this many separate change chunks a document is compacted into one snapshot.
pub const COMPACT_AFTER: u64 = 64;

/// An open document: the Automerge state and what of it is already on disk.
#[derive(Debug)]
pub struct DocHandle {
    id: DocId,
    doc: AutoCommit,
    saved_heads: Vec<ChangeHash>,
    /// Separate change chunks on disk: counted at load, then by what we write.
    pending_chunks: u64,
}

impl DocHandle {
    /// A document none of which is on disk yet.
    fn unsaved(id: DocId, doc: AutoCommit) -> Self {
        Self {
            id,
            doc,
            saved_heads: Vec::new(),
            pending_chunks: 0,
        }
    }

    /// The changes not yet on disk, as (storage key, bytes). Closes the open
    /// transaction first, stamped with the time, so the index can say when a
    /// document last changed (automerge-repo stamps changes the same way).
    fn unsaved_changes(&mut self) -> Vec<(String, Vec<u8>)> {
        if automerge::transaction::Transactable::pending_ops(&self.doc) > 0 {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            self.doc
                .commit_with(automerge::transaction::CommitOptions::default().with_time(now));
        }
        self.doc
            .get_changes(&self.saved_heads)
            .iter()
            .map(|c| {
                (
                    chunks::incremental_key(&self.id, &c.hash()),
                    c.raw_bytes().to_vec(),
                )
            })
            .collect()
    }

    pub fn id(&self) -> DocId {
        self.id
    }

    pub fn doc(&self) -> &AutoCommit {
        &self.doc
    }

    /// The document, for edits ([`trygg_core::edit`]); call [`Store::save`] after.
    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Reads the document as `T`.
    pub fn read<T: DocumentSchema>(&self) -> Result<T> {
        document::read(&self.doc).map_err(|e| StoreError::document(self.id, e))
    }

    pub fn read_any(&self) -> Result<AnyDocument> {
        document::read_any(&self.doc).map_err(|e| StoreError::document(self.id, e))
    }

    /// Whether there are edits not yet saved.
    pub fn is_dirty(&mut self) -> bool {
        self.doc.get_heads() != self.saved_heads
    }
}

/// What [`Store::rebuild_index`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildStats {
    pub documents: u64,
    pub unreadable: u64,
}

/// What [`Store::merge_from`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeStats {
    pub documents: u64,
    pub changed: u64,
}

/// The local store. One per device; not shared between threads (open another).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The documents the indexer read last ([`Store::reindex_dirty`]).
    cache: doc_cache::DocCache,
    updates: IndexUpdates,
}

/// How this store's index updates were derived (see [`index::delta`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexUpdates {
    /// From the document read whole.
    pub whole: u64,
    /// From a walk's changes alone.
    pub changes: u64,
}

impl IndexUpdates {
    fn count(&mut self, derived: &Derived) {
        match derived {
            Derived::Delta(_) => self.changes += 1,
            Derived::Rows(_) | Derived::Gone => self.whole += 1,
        }
    }
}

impl Store {
    /// Opens (or creates) the store at `path`, brings its schema up to date and
    /// indexes any document left unindexed by an earlier crash.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let conn = open_connection(&path)?;
        let mut store = Store {
            conn,
            path,
            cache: doc_cache::DocCache::default(),
            updates: IndexUpdates::default(),
        };
        store.reindex_dirty()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the index updates this store made so far were derived: a walk's
    /// changes alone, or the document read whole.
    pub fn index_updates(&self) -> IndexUpdates {
        self.updates
    }

    /// A samod storage adapter writing into this store's file.
    pub fn samod_storage(&self) -> Result<SamodStorage> {
        SamodStorage::open(&self.path)
    }

    /// Creates a new document holding `value` and saves it.
    pub fn create<T: DocumentSchema>(&mut self, value: &T) -> Result<DocHandle> {
        let mut handle = DocHandle::unsaved(DocId::random(), document::create(value)?);
        self.save(&mut handle)?;
        Ok(handle)
    }

    /// Loads a document.
    pub fn load(&self, id: DocId) -> Result<DocHandle> {
        let mut doc = chunks::load_doc(&self.conn, &id)?.ok_or(StoreError::NotFound(id))?;
        let saved_heads = doc.get_heads();
        let pending_chunks = chunks::incremental_count(&self.conn, &id)?;
        Ok(DocHandle {
            id,
            doc,
            saved_heads,
            pending_chunks,
        })
    }

    /// Writes the document's unsaved changes durably, then its index rows.
    /// Returns the number of changes written (0 when there was nothing to save).
    ///
    /// Compaction is left out of this path so a tap stays fast: call
    /// [`Store::compact_if_needed`] when the device is idle or a document is closed.
    pub fn save(&mut self, handle: &mut DocHandle) -> Result<usize> {
        self.save_all(std::slice::from_mut(handle))
    }

    /// Compacts the document if it has gathered more than [`COMPACT_AFTER`] chunks.
    pub fn compact_if_needed(&mut self, handle: &mut DocHandle) -> Result<bool> {
        if handle.pending_chunks > COMPACT_AFTER {
            self.compact(handle)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Saves several documents: their changes durably in one transaction (one
    /// disk sync for all), then their index rows. Returns the number of changes.
    pub fn save_all(&mut self, handles: &mut [DocHandle]) -> Result<usize> {
        let written = self.save_durable(handles)?;
        if written > 0 {
            self.index_handles(handles)?;
        }
        Ok(written)
    }

    /// The durable half of a save: the new changes reach the disk
    /// (`synchronous=FULL`) together with a mark that the documents' index rows
    /// are stale. Once this returns, the edit survives a crash; if the process
    /// dies before [`Store::index_handles`], the next [`Store::open`] re-indexes.
    pub fn save_durable(&mut self, handles: &mut [DocHandle]) -> Result<usize> {
        let batch: Vec<Vec<(String, Vec<u8>)>> =
            handles.iter_mut().map(DocHandle::unsaved_changes).collect();
        let written: usize = batch.iter().map(Vec::len).sum();
        if written == 0 {
            return Ok(0);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (handle, changes) in handles.iter().zip(&batch) {
            if changes.is_empty() {
                continue;
            }
            for (key, data) in changes {
                chunks::put_if_absent(&tx, &handle.id, key, data)?;
            }
            mark_dirty(&tx, &handle.id)?;
        }
        tx.commit()?;
        for (handle, changes) in handles.iter_mut().zip(&batch) {
            if !changes.is_empty() {
                handle.saved_heads = handle.doc.get_heads();
                handle.pending_chunks += changes.len() as u64;
            }
        }
        Ok(written)
    }

    /// The index half of a save: derives the handles' rows from their in-memory
    /// documents and clears their stale marks. The rows are derived data, so this
    /// commit need not wait for the disk (`synchronous=NORMAL`): a crash loses at
    /// most index rows, and the stale mark that survives brings them back.
    pub fn index_handles(&mut self, handles: &mut [DocHandle]) -> Result<()> {
        // Derived before the write lock is taken: only a walk whose rows
        // moved on meanwhile is read whole under it.
        let derived = handles
            .iter_mut()
            .map(|h| derive_in_memory(&self.conn, &h.id, h.doc.document()))
            .collect::<Result<Vec<_>>>()?;
        let updates = &mut self.updates;
        commit_index(&mut self.conn, |tx| {
            for (handle, derived) in handles.iter_mut().zip(&derived) {
                if write_derived(tx, &handle.id, derived)? {
                    updates.count(derived);
                } else {
                    let rows = index::rows_for(&handle.id, handle.doc.document());
                    index::write_rows(tx, &handle.id, &rows)?;
                    updates.whole += 1;
                }
                clear_dirty(tx, &handle.id.to_string())?;
            }
            Ok(())
        })
    }

    /// Creates many documents in one transaction.
    pub fn create_all<T: DocumentSchema>(&mut self, values: &[T]) -> Result<Vec<DocHandle>> {
        let mut handles = values
            .iter()
            .map(|v| Ok(DocHandle::unsaved(DocId::random(), document::create(v)?)))
            .collect::<Result<Vec<_>>>()?;
        self.save_all(&mut handles)?;
        Ok(handles)
    }

    /// Replaces a document's chunks by one snapshot. Whatever is on disk that the
    /// handle has not seen (written by samod, say) is merged in first, inside the
    /// same transaction, so compaction can never drop a change.
    pub fn compact(&mut self, handle: &mut DocHandle) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing = chunks::of_doc(&tx, &handle.id)?;
        for (key, data) in &existing {
            chunk::load_into_autocommit(&mut handle.doc, data).map_err(|e| {
                StoreError::Corrupt {
                    doc: handle.id,
                    key: key.clone(),
                    reason: e.to_string(),
                }
            })?;
        }
        let heads = handle.doc.get_heads();
        let snapshot_key = chunks::snapshot_key(&handle.id, &heads);
        let bytes = handle.doc.save();
        for (key, _) in &existing {
            if *key != snapshot_key {
                chunks::delete(&tx, key)?;
            }
        }
        chunks::put(&tx, &snapshot_key, &bytes)?;
        // Chunks from elsewhere (samod) may have brought new content.
        let grew = heads != handle.saved_heads;
        if grew {
            mark_dirty(&tx, &handle.id)?;
        }
        tx.commit()?;
        handle.saved_heads = heads;
        if grew {
            self.index_handles(std::slice::from_mut(handle))?;
        }
        handle.pending_chunks = 0;
        Ok(())
    }

    /// Merges Automerge bytes from elsewhere (another device's copy, an export)
    /// into the stored document `id`, creating it if absent. Returns whether
    /// anything new arrived.
    pub fn import(&mut self, id: DocId, bytes: &[u8]) -> Result<bool> {
        let mut incoming = document::load_bytes(bytes).map_err(|e| StoreError::document(id, e))?;
        let mut handle = match self.load(id) {
            Ok(h) => h,
            Err(StoreError::NotFound(_)) => DocHandle::unsaved(id, AutoCommit::new()),
            Err(e) => return Err(e),
        };
        handle
            .doc
            .merge(&mut incoming)
            .map_err(|e| StoreError::document(id, e))?;
        Ok(self.save(&mut handle)? > 0)
    }

    /// Merges every document of `other` into this store.
    pub fn merge_from(&mut self, other: &Store) -> Result<MergeStats> {
        let mut stats = MergeStats::default();
        for id in other.doc_ids()? {
            let mut theirs = other.load(id)?;
            stats.documents += 1;
            if self.import(id, &theirs.doc.save())? {
                stats.changed += 1;
            }
        }
        Ok(stats)
    }

    /// Every document in the store.
    pub fn doc_ids(&self) -> Result<Vec<DocId>> {
        chunks::doc_ids(&self.conn)
    }

    /// Recreates the whole index from the documents, in one transaction.
    /// Documents are read in batches; each batch is assembled and its rows
    /// derived on every core at once (the slow part: decoding Automerge and
    /// reading the document), then written.
    pub fn rebuild_index(&mut self) -> Result<RebuildStats> {
        let ids = self.doc_ids()?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        index::clear(&tx)?;
        for batch in ids.chunks(REBUILD_BATCH) {
            let read = batch
                .iter()
                .map(|id| Ok((*id, chunks::of_doc(&tx, id)?)))
                .collect::<Result<Vec<_>>>()?;
            for (id, derived) in batch.iter().zip(derive_all(read, threads)) {
                write_derived(&tx, id, &derived?)?; // whole rows: always written
            }
        }
        let unreadable: u64 = tx.query_row(
            "SELECT count(*) FROM documents WHERE error IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        let stats = RebuildStats {
            documents: ids.len() as u64,
            unreadable,
        };
        tx.execute("DELETE FROM index_dirty", [])?;
        tx.commit()?;
        Ok(stats)
    }

    /// Removes documents from this file for good: see [`forget`].
    pub fn forget(&mut self, ids: &[DocId]) -> Result<()> {
        forget(&mut self.conn, ids)
    }

    /// Empties the write-ahead log: see [`checkpoint_truncate`].
    pub fn checkpoint_truncate(&self) -> Result<()> {
        checkpoint_truncate(&self.conn)
    }

    /// Walks and reports that hold something from before `cutoff` (an
    /// observation, or the walk itself), as the index has them: the
    /// documents a retention purge looks into.
    pub fn documents_with_content_before(
        &self,
        cutoff: trygg_core::Timestamp,
    ) -> Result<Vec<DocId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT doc_id FROM observations WHERE observed_at < ?1
             UNION
             SELECT doc_id FROM walks WHERE COALESCE(ended_at, started_at, created_at) < ?1",
        )?;
        let ids = stmt
            .query_map([cutoff.millis()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // A row whose id does not parse names no document to purge.
        Ok(ids.iter().filter_map(|t| t.parse().ok()).collect())
    }

    /// Indexes documents that samod wrote but that were not indexed yet.
    ///
    /// Each document is read in a read transaction, which takes no lock a
    /// writer waits for, and only its rows are written under the write lock:
    /// a server's group commit never waits while a document is parsed. The
    /// rows are written, and the stale mark cleared, only if the mark is
    /// still the one seen when reading; a document stored again meanwhile
    /// stays marked for the next pass.
    pub fn reindex_dirty(&mut self) -> Result<u64> {
        self.reindex_marked(|_, _| true)
    }

    /// Like [`Self::reindex_dirty`], but only documents whose stale mark is
    /// the one in `settled` (what the previous pass saw); afterwards
    /// `settled` holds the marks left for the next pass. On a server the
    /// engine indexes the documents it changes itself, from memory
    /// ([`GroupCommit::index`]); this pass takes only what it left: a mark
    /// that has not moved for a whole pass (a write from elsewhere, a failed
    /// index write), without re-reading a document the engine is about to
    /// index anyway.
    pub fn reindex_settled(&mut self, settled: &mut HashMap<String, i64>) -> Result<u64> {
        let previous = std::mem::take(settled);
        let n = self.reindex_marked(|id, generation| previous.get(id) == Some(&generation))?;
        *settled = stale_marks(&self.conn)?.into_iter().collect();
        Ok(n)
    }

    /// Indexes the marked documents `take` chooses (by id and mark).
    fn reindex_marked(&mut self, take: impl Fn(&str, i64) -> bool) -> Result<u64> {
        let dirty = stale_marks(&self.conn)?;
        let mut n = 0;
        for (id, _) in dirty.into_iter().filter(|(id, g)| take(id, *g)) {
            let Ok(doc_id) = id.parse::<DocId>() else {
                // A mark naming no document: nothing to index.
                commit_index(&mut self.conn, |tx| clear_dirty(tx, &id))?;
                continue;
            };
            let (generation, derived) = {
                let read = self.conn.transaction()?;
                let generation = dirty_generation(&read, &id)?;
                let derived = match generation {
                    Some(_) => Some(derive_current(&read, &mut self.cache, &doc_id)?),
                    None => None,
                };
                read.finish()?;
                (generation, derived)
            };
            let (Some(generation), Some(derived)) = (generation, derived) else {
                continue; // indexed by someone else since the list was read
            };
            let written = commit_index(&mut self.conn, |tx| {
                // Rows moved on since the read (a delta no longer applies)
                // keep the mark for the next pass.
                if dirty_generation(tx, &id)? != Some(generation)
                    || !write_derived(tx, &doc_id, &derived)?
                {
                    return Ok(false);
                }
                clear_dirty(tx, &id)?;
                Ok(true)
            })?;
            if written {
                self.updates.count(&derived);
            }
            n += u64::from(written);
        }
        Ok(n)
    }

    /// The documents that reference the photo `sha256`, as the index has
    /// them, in `DocId` order (the stored text sorts differently: it is
    /// base58, whose order is not the bytes' order).
    pub fn documents_with_photo(&self, sha256: &str) -> Result<Vec<DocId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT doc_id FROM photo_refs WHERE sha256 = ?1")?;
        let mut ids: Vec<DocId> = stmt
            .query_map([sha256], |r| {
                let text: String = r.get(0)?;
                text.parse::<DocId>().map_err(|_| {
                    let why = format!("`{text}` in photo_refs is not a document id");
                    rusqlite::Error::FromSqlConversionFailure(
                        0,
                        rusqlite::types::Type::Text,
                        why.into(),
                    )
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// Walks, newest first.
    pub fn walks(&self, f: &WalkFilter) -> Result<Vec<WalkRow>> {
        let sql = format!(
            "SELECT {} FROM walks WHERE (?1 IS NULL OR area = ?1) AND (?2 IS NULL OR status = ?2)
               AND (?4 IS NULL OR instr({}(route_name), ?4) > 0)
             ORDER BY coalesce(planned_at, created_at) DESC, doc_id LIMIT ?3",
            index::WALK_COLUMNS,
            schema::FOLD
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let route = f.route.as_deref().map(schema::fold);
        let rows = stmt
            .query_map(
                params![f.area, f.status, f.limit.map_or(-1, i64::from), route],
                index::walk_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Observations, newest first.
    pub fn observations(&self, f: &ObservationFilter) -> Result<Vec<ObservationRow>> {
        let sql = format!(
            "SELECT {} FROM observations
             WHERE (?1 IS NULL OR area = ?1) AND (?2 IS NULL OR category = ?2)
               AND (?3 IS NULL OR severity >= ?3) AND (?4 IS NULL OR observed_at >= ?4)
               AND (?5 IS NULL OR observed_at < ?5) AND (?6 IS NULL OR sensitivity = ?6)
               AND (?7 IS NULL OR walk_doc_id = ?7)
             ORDER BY observed_at DESC, obs_id LIMIT ?8",
            index::OBSERVATION_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(
                params![
                    f.area,
                    f.category,
                    f.min_severity,
                    f.since,
                    f.until,
                    f.sensitivity.map(|s| s.as_str()),
                    f.walk_doc_id,
                    f.limit.map_or(-1, i64::from)
                ],
                index::observation_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Actions, by due date.
    pub fn actions(&self, f: &ActionFilter) -> Result<Vec<ActionRow>> {
        let sql = format!(
            "SELECT {} FROM actions
             WHERE (?1 IS NULL OR responsible_org = ?1) AND (?2 IS NULL OR area = ?2)
               AND (?3 = 0 OR is_open = 1)
             ORDER BY due_date IS NULL, due_date, doc_id",
            index::ACTION_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(
                params![f.responsible_org, f.area, f.open_only],
                index::action_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Observation counts per category, most frequent first.
    pub fn counts_by_category(&self, f: &ObservationFilter) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT category, count(*) FROM observations
             WHERE (?1 IS NULL OR area = ?1) AND (?2 IS NULL OR observed_at >= ?2)
               AND (?3 IS NULL OR observed_at < ?3)
             GROUP BY category ORDER BY count(*) DESC, category",
        )?;
        let rows = stmt
            .query_map(params![f.area, f.since, f.until], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The documents whose index rows are marked stale, in id order.
    pub fn stale(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT doc_id FROM index_dirty ORDER BY doc_id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// The index row of one document.
    pub fn document_row(&self, id: DocId) -> Result<Option<DocumentRow>> {
        let sql = format!(
            "SELECT {} FROM documents WHERE doc_id = ?1",
            index::DOCUMENT_COLUMNS
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id.to_string()], index::document_from_row)
            .optional()?)
    }

    /// Index rows of every document of `kind`, newest first.
    pub fn documents_of_kind(&self, kind: trygg_core::DocKind) -> Result<Vec<DocumentRow>> {
        let sql = format!(
            "SELECT {} FROM documents WHERE kind = ?1 ORDER BY updated_at DESC, doc_id",
            index::DOCUMENT_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map([kind.as_str()], index::document_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Every index row, in a stable order: for comparing two indexes.
    pub fn index_dump(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (table, order) in [
            ("documents", "doc_id"),
            ("walks", "doc_id"),
            ("observations", "doc_id, obs_id"),
            ("actions", "doc_id"),
            ("photo_refs", "sha256, doc_id, part"),
        ] {
            let mut stmt = self
                .conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
            let n = stmt.column_count();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", row.get_ref(i).map(|v| format!("{v:?}"))))
                    .collect();
                out.push(format!("{table}: {}", cells.join(" | ")));
            }
        }
        Ok(out)
    }
}

/// Marks a document's index rows as stale, in the caller's transaction,
/// with a new random generation each time (see [`Store::reindex_dirty`]):
/// a mark cleared and set again never looks like the one seen before.
pub(crate) fn mark_dirty(conn: &Connection, id: &DocId) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO index_dirty (doc_id, generation, whole) VALUES (?1, random(), 0)
         ON CONFLICT (doc_id) DO UPDATE SET generation = random()",
    )?
    .execute([id.to_string()])?;
    Ok(())
}

/// Every stale mark: document id and generation.
fn stale_marks(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached("SELECT doc_id, generation FROM index_dirty")?;
    let marks = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(marks)
}

/// A document's stale mark, if it has one.
pub(crate) fn dirty_generation(conn: &Connection, doc_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT generation FROM index_dirty WHERE doc_id = ?1")?
        .query_row([doc_id], |r| r.get(0))
        .optional()?)
}

/// Clears a document's stale mark, in the caller's transaction.
pub(crate) fn clear_dirty(conn: &Connection, doc_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM index_dirty WHERE doc_id = ?1")?
        .execute([doc_id])?;
    Ok(())
}

/// Runs `write` in one transaction of index writes. Index rows are derived data,
/// so this commit need not wait for the disk (`synchronous=NORMAL`): a crash
/// loses at most index rows, and the stale marks that survive bring them back.
pub(crate) fn commit_index<T>(
    conn: &mut Connection,
    write: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let result = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = write(&tx)?;
        tx.commit()?;
        Ok(out)
    })();
    conn.pragma_update(None, "synchronous", "FULL")?;
    result
}

/// What a document's index rows become.
enum Derived {
    Rows(Box<IndexRows>),
    /// Only what changed in a walk since its rows were derived.
    Delta(Box<index::delta::WalkDelta>),
    /// No chunks: the document is gone, and so are its rows.
    Gone,
}

/// Re-derives one document's index rows from its chunks.
pub(crate) fn reindex_one(conn: &Connection, id: &DocId) -> Result<()> {
    let derived = derive_from(id, chunks::load_doc(conn, id))?;
    write_derived(conn, id, &derived)?;
    Ok(())
}

/// Documents a rebuild reads and derives at a time: enough to keep every
/// core busy, few enough that a device's memory holds them.
const REBUILD_BATCH: usize = 256;

/// Rows of each document in `read` (its id and chunks), in order, derived on
/// `threads` threads.
fn derive_all(read: Vec<(DocId, chunks::Chunks)>, threads: usize) -> Vec<Result<Derived>> {
    let per_thread = read.len().div_ceil(threads.max(1)).max(1);
    let mut read = read;
    let mut parts = Vec::new();
    while read.len() > per_thread {
        let rest = read.split_off(per_thread);
        parts.push(std::mem::replace(&mut read, rest));
    }
    parts.push(read);
    std::thread::scope(|scope| {
        let workers: Vec<_> = parts
            .into_iter()
            .map(|part| {
                scope.spawn(|| {
                    part.into_iter()
                        .map(|(id, chunks)| derive_from(&id, chunks::assemble(&id, chunks)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(derived) => derived,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// A document's rows from its copy in memory: a walk's changes alone where
/// the index allows, else the whole document. Writes nothing.
fn derive_in_memory(conn: &Connection, id: &DocId, doc: &automerge::Automerge) -> Result<Derived> {
    Ok(match index::delta::derive(conn, id, doc)? {
        Some(delta) => Derived::Delta(Box::new(delta)),
        None => Derived::Rows(Box::new(index::rows_for(id, doc))),
    })
}

/// A document's rows as its chunks on disk make it now, through `cache`
/// (which loads only the chunks its copy lacks). Writes nothing.
fn derive_current(
    conn: &Connection,
    cache: &mut doc_cache::DocCache,
    id: &DocId,
) -> Result<Derived> {
    match cache.current(conn, id) {
        Ok(Some(doc)) => derive_in_memory(conn, id, doc),
        Ok(None) => Ok(Derived::Gone),
        Err(e) => derive_from(id, Err(e)),
    }
}

/// A document's rows from what loading it gave.
fn derive_from(id: &DocId, loaded: Result<Option<AutoCommit>>) -> Result<Derived> {
    match loaded {
        Ok(Some(mut doc)) => Ok(Derived::Rows(Box::new(index::rows_for(id, doc.document())))),
        Ok(None) => Ok(Derived::Gone),
        Err(StoreError::Corrupt { key, reason, .. }) => {
            // Keep the document visible with the reason; its bytes stay untouched.
            Ok(Derived::Rows(Box::new(IndexRows {
                document: Some(DocumentRow {
                    doc_id: id.to_string(),
                    kind: None,
                    schema_version: None,
                    updated_at: 0,
                    heads: String::new(),
                    error: Some(format!("damaged chunk {key}: {reason}")),
                }),
                ..IndexRows::default()
            })))
        }
        Err(e) => Err(e),
    }
}

/// Writes derived rows; `false` (nothing written) for a delta whose rows
/// moved on since it was derived.
fn write_derived(conn: &Connection, id: &DocId, derived: &Derived) -> Result<bool> {
    match derived {
        Derived::Rows(rows) => index::write_rows(conn, id, rows).map(|()| true),
        Derived::Delta(delta) => index::delta::write(conn, id, delta),
        Derived::Gone => {
            for table in [
                "documents",
                "walks",
                "observations",
                "actions",
                "photo_refs",
            ] {
                conn.execute(
                    &format!("DELETE FROM {table} WHERE doc_id = ?1"),
                    [id.to_string()],
                )?;
            }
            Ok(true)
        }
    }
}

/// Removes documents from the store file at `conn` for good: their chunks
/// and index rows, in one transaction. Deleted content is overwritten
/// (`secure_delete`, set on every store connection); the write-ahead log
/// still holds copies of the pages as they were written until
/// [`checkpoint_truncate`] empties it, which the caller must do next (and
/// repeat until it succeeds: another connection can keep it busy).
pub fn forget(conn: &mut Connection, ids: &[DocId]) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for id in ids {
        let doc_id = id.to_string();
        for table in [
            "chunks",
            "index_dirty",
            "documents",
            "walks",
            "observations",
            "actions",
            "photo_refs",
        ] {
            tx.prepare_cached(&format!("DELETE FROM {table} WHERE doc_id = ?1"))?
                .execute([&doc_id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Copies the write-ahead log into the file and truncates it to zero bytes;
/// an error when a reader or writer on another connection kept it from
/// finishing within the busy timeout.
pub fn checkpoint_truncate(conn: &Connection) -> Result<()> {
    let (busy, log, done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 {
        return Err(StoreError::Checkpoint(format!(
            "another connection kept the write-ahead log busy ({done} of {log} pages copied)"
        )));
    }
    Ok(())
}
