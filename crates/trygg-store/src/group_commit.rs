//! Durable writes for a server: one writer thread commits the chunks of many
//! documents in one transaction (group commit), so one fsync acknowledges
//! every change that arrived while the previous commit was on its way to disk.
//!
//! A caller awaits [`GroupCommit::commit`]; when it returns `Ok`, its chunks
//! are in the file with `synchronous=FULL`. A failed commit (disk full, a
//! read-only file) fails every caller in that batch and writes nothing of it;
//! the writer goes on with the next batch, so the store recovers when the
//! disk does.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;
use trygg_core::DocId;

use crate::error::{Result, StoreError};
use crate::{chunks, mark_dirty};

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
    fn doc(&self) -> &DocId {
        match self {
            Write::Put { doc, .. } | Write::Compact { doc, .. } => doc,
        }
    }

    fn size(&self) -> usize {
        match self {
            Write::Put { data, .. } | Write::Compact { data, .. } => data.len(),
        }
    }
}

struct Job {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The writer thread's handle. Cheap to clone; the thread ends when the last
/// clone is dropped.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
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
        std::thread::Builder::new()
            .name("trygg-group-commit".into())
            .spawn(move || {
                writer(conn, rx);
                drop(stop);
            })
            .map_err(|e| StoreError::Write(format!("cannot start the writer thread: {e}")))?;
        std::thread::Builder::new()
            .name("trygg-checkpoint".into())
            .spawn(move || checkpointer(checkpoints, stopped))
            .map_err(|e| StoreError::Write(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { jobs })
    }

    /// Writes `writes` durably, together with whatever else is waiting.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job { writes, done })
            .map_err(|_| StoreError::Write("the writer thread has stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StoreError::Write(reason)),
            Err(_) => Err(StoreError::Write("the writer thread has stopped".into())),
        }
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

fn writer(mut conn: Connection, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut bytes = first.writes.iter().map(Write::size).sum::<usize>();
        let mut batch = vec![first];
        while bytes < BATCH_BYTES && batch.len() < BATCH_JOBS {
            match rx.try_recv() {
                Ok(job) => {
                    bytes += job.writes.iter().map(Write::size).sum::<usize>();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let outcome = write_batch(&mut conn, &batch).map_err(|e| e.to_string());
        if let Err(reason) = &outcome {
            tracing::error!(%reason, jobs = batch.len(), "a group commit failed; nothing of it was written");
        }
        for job in batch {
            // A caller that stopped waiting (its connection closed) needs no answer.
            let _ = job.done.send(outcome.clone());
        }
    }
}

fn write_batch(conn: &mut Connection, batch: &[Job]) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut docs = std::collections::HashSet::new();
    for write in batch.iter().flat_map(|j| &j.writes) {
        match write {
            Write::Put { doc, key, data } => chunks::put_if_absent(&tx, doc, key, data)?,
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
        docs.insert(*write.doc());
    }
    for doc in &docs {
        mark_dirty(&tx, doc)?;
    }
    tx.commit()?;
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
