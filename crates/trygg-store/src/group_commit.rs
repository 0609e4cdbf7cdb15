//! Durable writes for a server: one writer thread commits the chunks of many
//! documents in one transaction (group commit), so one fsync acknowledges
//! every change that arrived while the previous commit was on its way to disk.
//!
//! A caller awaits [`GroupCommit::commit`]; when it returns `Ok`, its chunks
//! are in the file with `synchronous=FULL`. A failed commit (disk full, a
//! read-only file) fails every caller in that batch and writes nothing of it;
//! the writer goes on with the next batch, so the store recovers when the
//! disk does.
//!
//! The same thread also writes index rows a caller derived from a document
//! it holds in memory ([`GroupCommit::index`]): after the commits waiting
//! with them, without waiting for the disk, in queue order, so rows a caller
//! derived after its commit returned are never overtaken by that commit.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{oneshot, watch};
use trygg_core::DocId;

use crate::error::{Result, StoreError};
use crate::index::{self, IndexRows};
use crate::{chunks, clear_dirty, commit_index, dirty_generation, mark_dirty};

/// One write to the chunk table.
#[derive(Debug)]
pub enum Write {
    /// A chunk named by its content (a change hash, or the heads of a
    /// snapshot): written once, never replaced.
    Put {
        doc: DocId,
        key: String,
        data: Vec<u8>,
    },
    /// Replaces chunks by one snapshot that holds them all.
    Compact {
        doc: DocId,
        key: String,
        data: Vec<u8>,
        replaces: Vec<String>,
    },
}

impl Write {
    fn size(&self) -> usize {
        match self {
            Write::Put { data, .. } | Write::Compact { data, .. } => data.len(),
        }
    }
}

/// What the writer thread is asked to do.
enum Job {
    Commit {
        writes: Vec<Write>,
        done: oneshot::Sender<Outcome>,
    },
    Index(Box<Indexed>),
}

/// Index rows derived from a document in memory.
struct Indexed {
    doc: DocId,
    /// The stale mark the caller's last commit of this document left.
    mark: Option<Mark>,
    rows: IndexRows,
}

/// A batch's outcome, shared by its callers: each document's stale mark.
type Outcome = std::result::Result<Arc<HashMap<DocId, Mark>>, String>;

/// A document's stale mark as one commit left it (see [`GroupCommit::index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark(i64);

/// What a successful [`GroupCommit::commit`] left: the stale mark of each
/// document it wrote new content to.
#[derive(Clone, Debug)]
pub struct Committed {
    marks: Arc<HashMap<DocId, Mark>>,
}

impl Committed {
    /// The stale mark `doc`'s rows now have; `None` when this commit wrote
    /// no new content to it (a compaction).
    pub fn mark(&self, doc: &DocId) -> Option<Mark> {
        self.marks.get(doc).copied()
    }
}

/// The writer thread's handle. Cheap to clone; the thread ends when the last
/// clone is dropped.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    indexed: watch::Receiver<u64>,
}

/// A batch stops growing at this many bytes (a few big first uploads) …
const BATCH_BYTES: usize = 32 * 1024 * 1024;
/// … or this many callers.
const BATCH_JOBS: usize = 4096;

impl GroupCommit {
    /// Opens the store file for writing and starts the writer thread and
    /// its checkpointer.
    ///
    /// The writer's commits never wait for more than their own transaction
    /// and fsync: SQLite's automatic checkpoint (which runs inside whichever
    /// commit pushes the write-ahead log past 1,000 pages, and fsyncs the
    /// database file before that commit returns) is off on its connection,
    /// and a checkpointer thread copies the log into the file in between
    /// (`PASSIVE`: it never blocks a writer). When another connection holds
    /// the write lock (the index, a purge), the writer retries every quarter
    /// of a millisecond instead of SQLite's default back-off, whose sleeps
    /// grow to 100 ms.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = crate::open_connection(path)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.busy_handler(Some(retry_soon))?;
        let checkpoints = crate::open_connection(path)?;
        let (jobs, rx) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let (revision, indexed) = watch::channel(0);
        std::thread::Builder::new()
            .name("trygg-group-commit".into())
            .spawn(move || {
                writer(conn, rx, revision);
                drop(stop);
            })
            .map_err(|e| StoreError::Write(format!("cannot start the writer thread: {e}")))?;
        std::thread::Builder::new()
            .name("trygg-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, stopped))
            .map_err(|e| StoreError::Write(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { jobs, indexed })
    }

    /// Writes `writes` durably, together with whatever else is waiting.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<Committed> {
        if writes.is_empty() {
            return Ok(Committed {
                marks: Arc::default(),
            });
        }
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job::Commit { writes, done })
            .map_err(|_| StoreError::Write("the writer thread has stopped".into()))?;
        match wait.await {
            Ok(Ok(marks)) => Ok(Committed { marks }),
            Ok(Err(reason)) => Err(StoreError::Write(reason)),
            Err(_) => Err(StoreError::Write("the writer thread has stopped".into())),
        }
    }

    /// Queues `rows`, derived from `doc` as it stands in the caller's
    /// memory, for the index, after every commit already queued. Returns at
    /// once: index rows are derived data, written without waiting for the
    /// disk. The document's stale mark is cleared only if it is still
    /// `mark`, the one the caller's last commit left; a mark that moved
    /// (someone else stored content since) stays for the stale-mark pass
    /// ([`crate::keep_stale_index_current`]). A failed write is logged and
    /// leaves the mark.
    pub fn index(&self, doc: DocId, mark: Option<Mark>, rows: IndexRows) -> Result<()> {
        self.jobs
            .send(Job::Index(Box::new(Indexed { doc, mark, rows })))
            .map_err(|_| StoreError::Write("the writer thread has stopped".into()))
    }

    /// Counts up each time the writer wrote index rows.
    pub fn indexed(&self) -> watch::Receiver<u64> {
        self.indexed.clone()
    }
}

/// How often the checkpointer copies the write-ahead log into the file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The writer's busy handler: retry every 250 µs for up to about 10 s (the
/// store's busy timeout), then fail the batch.
fn retry_soon(attempt: i32) -> bool {
    std::thread::sleep(Duration::from_micros(250));
    attempt < 40_000
}

/// Copies the write-ahead log into the database file every
/// [`CHECKPOINT_EVERY`] until the writer stops.
fn checkpointer(conn: Connection, stopped: mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY) {
        let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match outcome {
            Ok((log, copied)) if copied < log => {
                tracing::debug!(log, copied, "checkpoint left pages a reader still uses")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(%e, "checkpoint failed; the next one retries"),
        }
    }
}

fn writer(mut conn: Connection, rx: mpsc::Receiver<Job>, revision: watch::Sender<u64>) {
    while let Ok(first) = rx.recv() {
        let mut commits = Vec::new();
        let mut indexed = Vec::new();
        let mut bytes = 0;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Commit { writes, done } => {
                    bytes += writes.iter().map(Write::size).sum::<usize>();
                    commits.push((writes, done));
                }
                Job::Index(rows) => indexed.push(*rows),
            }
            if bytes < BATCH_BYTES && commits.len() < BATCH_JOBS {
                next = rx.try_recv().ok();
            }
        }
        if !commits.is_empty() {
            let outcome: Outcome = write_batch(&mut conn, commits.iter().map(|(w, _)| w))
                .map(Arc::new)
                .map_err(|e| e.to_string());
            if let Err(reason) = &outcome {
                tracing::error!(%reason, jobs = commits.len(), "a group commit failed; nothing of it was written");
            }
            for (_, done) in commits {
                // A caller that stopped waiting (its connection closed) needs no answer.
                let _ = done.send(outcome.clone());
            }
        }
        // Rows queued after a commit in this batch were derived after that
        // commit returned to its caller, so it is written by now.
        if !indexed.is_empty() {
            match commit_index(&mut conn, |tx| write_indexed(tx, &indexed)) {
                Ok(()) => revision.send_modify(|n| *n += 1),
                Err(e) => {
                    tracing::warn!(%e, documents = indexed.len(), "cannot write index rows; their stale marks stay for the next pass")
                }
            }
        }
    }
}

fn write_batch<'a>(
    conn: &mut Connection,
    batch: impl Iterator<Item = &'a Vec<Write>>,
) -> Result<HashMap<DocId, Mark>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut docs = std::collections::HashSet::new();
    for write in batch.flatten() {
        match write {
            Write::Put { doc, key, data } => {
                chunks::put_if_absent(&tx, doc, key, data)?;
                docs.insert(*doc);
            }
            // A snapshot of what is stored already: the rows stay as they are.
            Write::Compact {
                doc,
                key,
                data,
                replaces,
            } => {
                chunks::put_if_absent(&tx, doc, key, data)?;
                for old in replaces.iter().filter(|k| *k != key) {
                    chunks::delete(&tx, old)?;
                }
            }
        }
    }
    let mut marks = HashMap::with_capacity(docs.len());
    for doc in docs {
        mark_dirty(&tx, &doc)?;
        if let Some(generation) = dirty_generation(&tx, &doc.to_string())? {
            marks.insert(doc, Mark(generation));
        }
    }
    tx.commit()?;
    Ok(marks)
}

fn write_indexed(tx: &Connection, indexed: &[Indexed]) -> Result<()> {
    for job in indexed {
        let doc_id = job.doc.to_string();
        index::write_rows(tx, &job.doc, &job.rows)?;
        if job.mark.is_some() && dirty_generation(tx, &doc_id)?.map(Mark) == job.mark {
            clear_dirty(tx, &doc_id)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_commits_and_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let writer = GroupCommit::open(&path).unwrap();
        let doc = DocId::random();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let w = writer.clone();
            tasks.push(tokio::spawn(async move {
                w.commit(vec![Write::Put {
                    doc,
                    key: format!("{doc}/incremental/{i:064}"),
                    data: vec![i as u8; 10],
                }])
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let conn = crate::open_connection(&path).unwrap();
        assert_eq!(chunks::of_doc(&conn, &doc).unwrap().len(), 200);
    }

    #[tokio::test]
    async fn compaction_replaces_the_chunks_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let writer = GroupCommit::open(&path).unwrap();
        let doc = DocId::random();
        let keys: Vec<String> = (0..3)
            .map(|i| format!("{doc}/incremental/{i:064}"))
            .collect();
        for k in &keys {
            writer
                .commit(vec![Write::Put {
                    doc,
                    key: k.clone(),
                    data: vec![1],
                }])
                .await
                .unwrap();
        }
        writer
            .commit(vec![Write::Compact {
                doc,
                key: format!("{doc}/snapshot/{:064}", 9),
                data: vec![2],
                replaces: keys[..2].to_vec(),
            }])
            .await
            .unwrap();
        let conn = crate::open_connection(&path).unwrap();
        let left: Vec<String> = chunks::of_doc(&conn, &doc)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(left.len(), 2);
        assert!(left.contains(&keys[2]));
    }

    fn put(doc: DocId, i: u8) -> Write {
        Write::Put {
            doc,
            key: format!("{doc}/incremental/{i:064}"),
            data: vec![i],
        }
    }

    fn row(doc: DocId, heads: &str) -> IndexRows {
        IndexRows {
            document: Some(crate::DocumentRow {
                doc_id: doc.to_string(),
                kind: None,
                schema_version: None,
                updated_at: 0,
                heads: heads.into(),
                error: None,
            }),
            ..IndexRows::default()
        }
    }

    async fn indexed(writer: &GroupCommit, rows: IndexRows, doc: DocId, mark: Option<Mark>) {
        let mut revision = writer.indexed();
        revision.mark_unchanged();
        writer.index(doc, mark, rows).unwrap();
        revision.changed().await.unwrap();
    }

    #[tokio::test]
    async fn index_rows_clear_the_stale_mark_only_if_nothing_was_stored_since() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let store = crate::Store::open(&path).unwrap();
        let writer = GroupCommit::open(&path).unwrap();
        let doc = DocId::random();

        let first = writer.commit(vec![put(doc, 1)]).await.unwrap().mark(&doc);
        assert!(first.is_some());
        indexed(&writer, row(doc, "a"), doc, first).await;
        assert!(store.stale().unwrap().is_empty());
        assert_eq!(store.document_row(doc).unwrap().unwrap().heads, "a");

        // Stored twice more; rows derived after the first of them are
        // written but leave the mark of the second for the next pass.
        let second = writer.commit(vec![put(doc, 2)]).await.unwrap().mark(&doc);
        let third = writer.commit(vec![put(doc, 3)]).await.unwrap().mark(&doc);
        assert_ne!(second, third);
        indexed(&writer, row(doc, "b"), doc, second).await;
        assert_eq!(store.document_row(doc).unwrap().unwrap().heads, "b");
        assert_eq!(store.stale().unwrap(), vec![doc.to_string()]);

        // A compaction holds what is stored already: no new mark.
        let compacted = writer
            .commit(vec![Write::Compact {
                doc,
                key: format!("{doc}/snapshot/{:064}", 9),
                data: vec![9],
                replaces: vec![format!("{doc}/incremental/{:064}", 1)],
            }])
            .await
            .unwrap();
        assert_eq!(compacted.mark(&doc), None);
        indexed(&writer, row(doc, "c"), doc, third).await;
        assert!(store.stale().unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_settled_pass_takes_only_marks_that_stayed_for_a_whole_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let mut store = crate::Store::open(&path).unwrap();
        let writer = GroupCommit::open(&path).unwrap();
        let (quiet, busy) = (DocId::random(), DocId::random());
        writer
            .commit(vec![put(quiet, 1), put(busy, 1)])
            .await
            .unwrap();
        let mut settled = std::collections::HashMap::new();
        // First sight of both marks: nothing taken.
        assert_eq!(store.reindex_settled(&mut settled).unwrap(), 0);
        writer.commit(vec![put(busy, 2)]).await.unwrap();
        // The quiet one's mark stayed; the busy one's moved.
        assert_eq!(store.reindex_settled(&mut settled).unwrap(), 1);
        assert_eq!(store.stale().unwrap(), vec![busy.to_string()]);
        assert!(store.document_row(quiet).unwrap().is_some());
        assert_eq!(store.reindex_settled(&mut settled).unwrap(), 1);
        assert!(store.stale().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_failed_commit_is_reported_to_its_callers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let writer = GroupCommit::open(&path).unwrap();
        // Another connection holds the write lock past SQLite's busy timeout.
        let blocker = crate::open_connection(&path).unwrap();
        blocker.pragma_update(None, "busy_timeout", 0).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let doc = DocId::random();
        let err = writer
            .commit(vec![Write::Put {
                doc,
                key: format!("{doc}/incremental/{:064}", 1),
                data: vec![1],
            }])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Write(_)), "{err}");
        blocker.execute_batch("ROLLBACK").unwrap();
        // The writer goes on once the disk (here: the lock) allows it.
        writer
            .commit(vec![Write::Put {
                doc,
                key: format!("{doc}/incremental/{:064}", 2),
                data: vec![2],
            }])
            .await
            .unwrap();
    }
}
