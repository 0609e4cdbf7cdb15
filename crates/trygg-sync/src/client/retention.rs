//! Adopting the server's retention purges on a device.
//!
//! The server replaces a document holding expired text or photos by a fresh
//! copy without them and lists the copy with `replaces` = the old id (see
//! the server's `retention` module). The device then opens the copy and
//! drops the old document for good: out of the open documents (and never
//! opened again in this run), its chunks and index rows deleted with the
//! store's `forget` (`secure_delete`), the write-ahead log truncated, and the
//! photos only it referenced wiped. Changes this device made to the old
//! document that the server never received go with it, and a warning says
//! so: the server no longer accepts that document.

use trygg_core::DocId;
use trygg_core::document;

use super::{Inner, photos};
use crate::error::{Result, SyncError};

impl Inner {
    /// Drops `old` now that `new` (already open) replaces it.
    pub(super) fn adopt_replacement(&self, old: DocId, new: DocId) -> Result<()> {
        if !self
            .retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(old)
        {
            return Ok(());
        }
        let handle = self.handles().remove(&old);
        if handle.is_none() && trygg_store::chunks::of_doc(&self.db(), &old)?.is_empty() {
            // Never on this device (or dropped in an earlier run).
            return Ok(());
        }
        if let Some(h) = &handle {
            let conn = self.remote.as_ref().and_then(|r| r.dialer.connection_id());
            let (peers, _) = h.peers();
            let shared = conn.and_then(|c| peers.get(&c).and_then(|p| p.shared_heads.clone()));
            let mut local = h.with_document(|d| d.get_heads());
            local.sort();
            let on_server = shared.is_some_and(|mut s| {
                s.sort();
                s == local
            });
            if !on_server {
                tracing::warn!(doc = %old, replaced_by = %new, "the server purged this document by its retention period; changes made here that it had not received are dropped with it");
            }
        }
        let kept = match self.handles().get(&new) {
            Some(h) => h
                .with_document(|d| document::read_any(&*d))
                .map(|doc| trygg_core::retention::photos_of(&doc))
                .map_err(|e| SyncError::Document(Box::new(e)))?,
            None => return Err(SyncError::NotOpen(new)),
        };
        let queued: Vec<String> = photos::queued(&self.db())?
            .into_iter()
            .map(|q| q.sha256)
            .collect();
        let only_old = trygg_store::index::photos_only_in(&self.db(), &old)?;
        trygg_store::forget(&mut self.db(), &[old])?;
        // The write-ahead log still holds the deleted pages as written.
        trygg_store::checkpoint_truncate(&self.db())?;
        for sha in only_old
            .iter()
            .filter(|s| !kept.contains(*s) && !queued.contains(*s))
        {
            self.photos.remove(sha)?;
        }
        tracing::info!(doc = %old, replaced_by = %new, "dropped a document the server purged");
        Ok(())
    }
}
