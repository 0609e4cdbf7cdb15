//! Retention (`--retention-days`): what people wrote and photographed goes
//! once it is older than the period, from the server and from every device.
//!
//! Automerge keeps every change, so clearing a note would leave it in the
//! history. A purge therefore replaces the document (`trygg_core::retention`
//! says what goes), in this order, each step safe to repeat after a crash:
//!
//! 1. the registry retires the old document, naming the new id: from this
//!    moment nobody may read or write it (and it is not listed);
//! 2. the engine retires it: its task ends without writing anything back,
//!    and no message already on its way is stored (rounds decide access
//!    afresh);
//! 3. the old document is read as it finally is, purged, and written as a
//!    fresh document with a history of one change, under the new id;
//! 4. the new document is registered with the same access facts and
//!    `replaces` = the old id, which is how devices learn to drop their copy
//!    (`GET /api/v1/documents` lists it with `replaces`);
//! 5. the old document's chunks and index rows are deleted with
//!    `secure_delete` (`trygg_store::forget`); photos nothing else
//!    references are wiped;
//! 6. the write-ahead log, which still holds the deleted pages as they were
//!    written, is emptied (a `TRUNCATE` checkpoint). A reader on another
//!    connection can keep it busy: the step is retried for a while, and
//!    until it succeeds every later run starts with it.
//!
//! A run first finishes replacements a crash interrupted: a retired document
//! whose chunks are still stored is rebuilt (if its replacement is not
//! registered yet) or forgotten (if it is).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use trygg_core::document::{self, AnyDocument};
use trygg_core::retention::{self, Removed};
use trygg_core::{DocId, Timestamp};
use trygg_engine::Engine;
use trygg_store::group_commit::Write;
use trygg_store::{GroupCommit, Store, StoreError, chunks};

use crate::audit::{Action, AuditLog, Entry};
use crate::photos::PhotoDir;
use crate::registry::{DocRecord, Registry};
use crate::snapshot::{self, Published};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Everything a purge touches.
#[derive(Debug, Clone)]
pub struct Retention {
    pub days: u32,
    pub registry: Arc<dyn Registry>,
    pub snapshot: Published,
    pub engine: Engine,
    pub writer: GroupCommit,
    /// The document store (`documents.db`): the index, the chunks.
    pub store: Arc<Mutex<Store>>,
    pub photos: PhotoDir,
    pub audit: AuditLog,
    /// Deleted pages may still be in the write-ahead log (step 6 has not
    /// succeeded since a document was forgotten).
    pub log_to_empty: Arc<AtomicBool>,
}

/// How often, and how far apart, step 6 is tried within one run.
const EMPTY_LOG_TRIES: u32 = 40;
const EMPTY_LOG_PAUSE: Duration = Duration::from_millis(50);

/// What one run purged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub documents: usize,
    pub texts: usize,
    pub photos: usize,
}

impl Retention {
    /// Purges at start and then every `every`, until the server stops. A
    /// failed run is logged and the next one tries again.
    pub async fn run(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.purge(Timestamp::now()).await {
                Ok(p) if p == Purged::default() => {}
                Ok(p) => tracing::info!(
                    documents = p.documents,
                    texts = p.texts,
                    photos = p.photos,
                    days = self.days,
                    "retention purge done"
                ),
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "the retention purge failed; it runs again at the next interval"
                ),
            }
        }
    }

    /// One run: everything older than the period at `now`.
    pub async fn purge(&self, now: Timestamp) -> Result<Purged> {
        let cutoff = Timestamp(now.millis() - i64::from(self.days) * DAY_MS);
        let mut purged = Purged::default();
        self.empty_log().await?;
        self.finish_interrupted(cutoff, &mut purged).await?;
        let candidates = self
            .blocking(move |s| {
                s.reindex_dirty()?;
                s.documents_with_content_before(cutoff)
            })
            .await?;
        for id in candidates {
            let Some(record) = self.snapshot.borrow().current(&id).cloned() else {
                continue;
            };
            let Some(doc) = self.read(id).await? else {
                continue;
            };
            if retention::purge(&doc, cutoff).is_none() {
                continue;
            }
            let new_id = DocId::random();
            self.registry
                .retire_document(&id, &new_id)
                .await
                .with_context(|| format!("retiring document {id}"))?;
            self.replace(&record, new_id, cutoff, &mut purged).await?;
        }
        self.empty_log().await?;
        Ok(purged)
    }

    /// Step 6, if a document was forgotten since it last succeeded.
    async fn empty_log(&self) -> Result<()> {
        if !self.log_to_empty.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut tries = 0;
        loop {
            tries += 1;
            match self.blocking(|s| s.checkpoint_truncate()).await {
                Ok(()) => {
                    self.log_to_empty.store(false, Ordering::Release);
                    return Ok(());
                }
                Err(e) if tries < EMPTY_LOG_TRIES => {
                    tracing::debug!(
                        error = format!("{e:#}"),
                        tries,
                        "emptying the write-ahead log; trying again"
                    );
                    tokio::time::sleep(EMPTY_LOG_PAUSE).await;
                }
                Err(e) => {
                    return Err(e.context(
                        "purged content may still be in the write-ahead log; the next run empties it",
                    ));
                }
            }
        }
    }

    /// Retired documents whose chunks are still stored: a run stopped
    /// between retiring and forgetting them.
    async fn finish_interrupted(&self, cutoff: Timestamp, purged: &mut Purged) -> Result<()> {
        let retired: Vec<DocRecord> = self
            .snapshot
            .borrow()
            .documents
            .values()
            .filter(|r| r.replaced_by.is_some())
            .cloned()
            .collect();
        for record in retired {
            let id = record.access.id;
            let stored = self
                .blocking(move |s| s.document_row(id).map(|r| r.is_some()))
                .await?;
            let Some(new_id) = record.replaced_by.filter(|_| stored) else {
                continue;
            };
            tracing::warn!(doc = %id, replaced_by = %new_id, "finishing a retention purge a stop interrupted");
            self.replace(&record, new_id, cutoff, purged).await?;
        }
        Ok(())
    }

    /// Steps 2–5 for a document the registry has retired in favour of `new_id`.
    async fn replace(
        &self,
        old: &DocRecord,
        new_id: DocId,
        cutoff: Timestamp,
        purged: &mut Purged,
    ) -> Result<()> {
        let id = old.access.id;
        snapshot::refresh_now(self.registry.as_ref(), &self.snapshot).await;
        if self.snapshot.borrow().current(&id).is_some() {
            bail!("the access table does not show document {id} retired yet");
        }
        self.engine.retire(id).await;
        let registered = self.snapshot.borrow().documents.contains_key(&new_id);
        let mut removed = Removed::default();
        if !registered {
            let doc = self
                .read(id)
                .await?
                .with_context(|| format!("document {id} is retired but unreadable"))?;
            let value = match retention::purge(&doc, cutoff) {
                Some((value, r)) => {
                    removed = r;
                    value
                }
                // Nothing expired after all (the run that retired it used
                // another clock): the copy still drops the history.
                None => doc,
            };
            self.write_fresh(new_id, &value).await?;
            let mut record = old.clone();
            record.access.id = new_id;
            record.replaces = Some(id);
            record.replaced_by = None;
            record.registered_at = Timestamp::now();
            record.updated_at = record.registered_at;
            record.registered_by = "trygg-server".into();
            self.registry
                .register_document(&record)
                .await
                .with_context(|| format!("registering {new_id}, the purged copy of {id}"))?;
            snapshot::refresh_now(self.registry.as_ref(), &self.snapshot).await;
        }
        self.blocking(move |s| s.forget(&[id])).await?;
        self.log_to_empty.store(true, Ordering::Release);
        let mut wiped = 0;
        for sha in &removed.photos {
            let sha2 = sha.clone();
            let still_used = self
                .blocking(move |s| s.documents_with_photo(&sha2))
                .await?;
            if still_used.is_empty() && self.photos.remove(sha)? {
                wiped += 1;
            }
        }
        self.audit.record(Entry {
            at: Timestamp::now(),
            actor: "trygg-server".into(),
            org: String::new(),
            action: Action::Purge,
            doc: Some(id),
            detail: Some(format!(
                "replaced-by={new_id} texts={} photos={wiped}",
                removed.texts
            )),
            origin: "retention".into(),
        });
        purged.documents += 1;
        purged.texts += removed.texts;
        purged.photos += wiped;
        Ok(())
    }

    /// The document as stored, or `None` when nothing is stored or it is
    /// not a readable Trygg document (it is left alone, and logged).
    async fn read(&self, id: DocId) -> Result<Option<AnyDocument>> {
        let read = self
            .blocking(move |s| match s.load(id).and_then(|h| h.read_any()) {
                Ok(doc) => Ok(Ok(Some(doc))),
                Err(StoreError::NotFound(_)) => Ok(Ok(None)),
                // Unreadable content is an answer, not a failure of the run.
                Err(
                    e @ (StoreError::Corrupt { .. }
                    | StoreError::Doc(_)
                    | StoreError::Document { .. }),
                ) => Ok(Err(e)),
                Err(e) => Err(e),
            })
            .await?;
        match read {
            Ok(doc) => Ok(doc),
            Err(e) => {
                tracing::warn!(doc = %id, %e, "retention leaves an unreadable document alone");
                Ok(None)
            }
        }
    }

    /// Writes `value` as a new document `id` with a history of one change
    /// (unless an interrupted run wrote it already).
    async fn write_fresh(&self, id: DocId, value: &AnyDocument) -> Result<()> {
        let exists = self
            .blocking(move |s| s.document_row(id).map(|r| r.is_some()))
            .await?;
        if exists {
            return Ok(());
        }
        let mut doc = match value {
            AnyDocument::Walk(w) => document::create(w)?,
            AnyDocument::Report(r) => document::create(r)?,
            other => bail!("retention does not rewrite {} documents", other.kind()),
        };
        let heads = doc.get_heads();
        self.writer
            .commit(vec![Write::Put {
                doc: id,
                key: chunks::snapshot_key(&id, &heads),
                data: doc.save(),
            }])
            .await?;
        // Indexed now, so a crash before the old one is forgotten finds it.
        self.blocking(|s| s.reindex_dirty().map(drop)).await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> trygg_store::Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.store.clone();
        Ok(tokio::task::spawn_blocking(move || {
            let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut s)
        })
        .await
        .context("the retention task failed")??)
    }
}
