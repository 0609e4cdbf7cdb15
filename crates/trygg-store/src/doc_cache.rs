//! The documents the indexer read last, kept in memory with the chunks they
//! were made from: when samod stores a walk's next change, the indexer loads
//! that one chunk into its copy instead of reading every chunk of the walk
//! again, and derives only the changed rows ([`crate::index::delta`]).

use std::collections::{HashSet, VecDeque};

use automerge::Automerge;
use rusqlite::Connection;
use trygg_core::{DocId, chunk};

use crate::chunks;
use crate::error::{Result, StoreError};

/// How many documents the cache keeps: the few a person edits at a time.
const KEEP: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct DocCache {
    /// Most recently used first.
    entries: VecDeque<Entry>,
}

#[derive(Debug)]
struct Entry {
    id: DocId,
    doc: Automerge,
    /// The chunks loaded into `doc`.
    keys: HashSet<String>,
}

impl DocCache {
    /// Document `id` as its chunks in `conn` make it now (`None` for no
    /// chunks): the kept copy with the chunks it lacks loaded into it, or
    /// read whole. A chunk that cannot be read is an error naming it, and
    /// the copy is dropped.
    pub(crate) fn current(&mut self, conn: &Connection, id: &DocId) -> Result<Option<&Automerge>> {
        let kept = self.entries.iter().position(|e| e.id == *id);
        let mut entry = match kept.and_then(|i| self.entries.remove(i)) {
            Some(entry) => entry,
            None => Entry {
                id: *id,
                doc: Automerge::new(),
                keys: HashSet::new(),
            },
        };
        let keys = chunks::keys_of(conn, id)?;
        if keys.is_empty() {
            return Ok(None);
        }
        // A key gone from disk was compacted into a snapshot, which is new
        // and holds everything the copy already has.
        for key in keys.iter().filter(|k| !entry.keys.contains(*k)) {
            let Some(data) = chunks::get(conn, key)? else {
                continue; // removed since the keys were listed: in a snapshot
            };
            chunk::load_into(&mut entry.doc, &data).map_err(|e| StoreError::Corrupt {
                doc: *id,
                key: key.clone(),
                reason: e.to_string(),
            })?;
        }
        entry.keys = keys.into_iter().collect();
        self.entries.push_front(entry);
        self.entries.truncate(KEEP);
        Ok(self.entries.front().map(|e| &e.doc))
    }
}
