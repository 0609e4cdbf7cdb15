//! The `chunks` table: a key/value store laid out as samod lays out its storage.
//!
//! A key is a list of parts joined by `/` (samod guarantees no part contains a
//! `/`). Document data lives under `<doc id>/incremental/<change hash>` (one
//! Automerge change) and `<doc id>/snapshot/<hash of heads>` (a compacted
//! document). Using samod's layout lets one file serve our direct saves and
//! samod's own writes, and lets either read what the other wrote.

use automerge::{AutoCommit, ChangeHash};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use trygg_core::{DocId, chunk};

use crate::error::{Result, StoreError};

pub const INCREMENTAL: &str = "incremental";
pub const SNAPSHOT: &str = "snapshot";

pub fn incremental_key(doc: &DocId, hash: &ChangeHash) -> String {
    format!("{doc}/{INCREMENTAL}/{hash}")
}

/// samod names a snapshot by the SHA-256 of the document's heads.
pub fn snapshot_key(doc: &DocId, heads: &[ChangeHash]) -> String {
    let mut h = Sha256::new();
    for head in heads {
        h.update(head.as_ref());
    }
    format!("{doc}/{SNAPSHOT}/{}", hex::encode(h.finalize()))
}

/// The document a key belongs to, if its first part is a document id.
pub fn doc_of_key(key: &str) -> Option<DocId> {
    let (first, rest) = key.split_once('/')?;
    if rest.starts_with(INCREMENTAL) || rest.starts_with(SNAPSHOT) {
        first.parse().ok()
    } else {
        None
    }
}

pub fn put(conn: &Connection, key: &str, data: &[u8]) -> Result<()> {
    let doc = doc_of_key(key).map(|d| d.to_string());
    conn.prepare_cached(
        "INSERT INTO chunks (key, doc_id, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![key, doc, data])?;
    Ok(())
}

/// Inserts a chunk that is named by its content; an existing one is left as is.
pub fn put_if_absent(conn: &Connection, doc: &DocId, key: &str, data: &[u8]) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO chunks (key, doc_id, data) VALUES (?1, ?2, ?3)")?
        .execute(params![key, doc.to_string(), data])?;
    Ok(())
}

pub fn get(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT data FROM chunks WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM chunks WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

/// Every chunk whose key starts with the parts in `prefix` (all chunks for an empty prefix).
pub fn range(conn: &Connection, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut rows = Vec::new();
    if prefix.is_empty() {
        let mut stmt = conn.prepare_cached("SELECT key, data FROM chunks ORDER BY key")?;
        for row in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
            rows.push(row?);
        }
    } else {
        // Keys under `a/b` are `a/b` itself and those between `a/b/` and `a/b0`
        // ('0' is the byte after '/').
        let lo = format!("{prefix}/");
        let hi = format!("{prefix}0");
        let mut stmt = conn.prepare_cached(
            "SELECT key, data FROM chunks WHERE key = ?1 OR (key >= ?2 AND key < ?3) ORDER BY key",
        )?;
        for row in stmt.query_map(params![prefix, lo, hi], |r| Ok((r.get(0)?, r.get(1)?)))? {
            rows.push(row?);
        }
    }
    Ok(rows)
}

/// A document's chunks: key and bytes.
pub type Chunks = Vec<(String, Vec<u8>)>;

/// All chunks of one document, snapshots first.
pub fn of_doc(conn: &Connection, doc: &DocId) -> Result<Chunks> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, data FROM chunks WHERE doc_id = ?1
         ORDER BY instr(key, '/snapshot/') = 0, key",
    )?;
    let rows = stmt
        .query_map([doc.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The keys of one document's chunks, snapshots first (as [`of_doc`]).
pub fn keys_of(conn: &Connection, doc: &DocId) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key FROM chunks WHERE doc_id = ?1 ORDER BY instr(key, '/snapshot/') = 0, key",
    )?;
    let keys = stmt
        .query_map([doc.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(keys)
}

/// Rebuilds a document from its chunks. A chunk Automerge cannot read is an
/// error naming that chunk: we never silently drop part of a document.
pub fn load_doc(conn: &Connection, doc: &DocId) -> Result<Option<AutoCommit>> {
    assemble(doc, of_doc(conn, doc)?)
}

/// A document from chunks read with [`of_doc`] (no IO, so many can be
/// assembled at once on other threads); `None` for no chunks.
pub fn assemble(doc: &DocId, chunks: Chunks) -> Result<Option<AutoCommit>> {
    if chunks.is_empty() {
        return Ok(None);
    }
    let mut am = AutoCommit::new();
    for (key, data) in chunks {
        chunk::load_into_autocommit(&mut am, &data).map_err(|e| StoreError::Corrupt {
            doc: *doc,
            key,
            reason: e.to_string(),
        })?;
    }
    Ok(Some(am))
}

/// Ids of every document that has chunks.
pub fn doc_ids(conn: &Connection) -> Result<Vec<DocId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT doc_id FROM chunks WHERE doc_id IS NOT NULL ORDER BY doc_id",
    )?;
    let mut ids = Vec::new();
    for id in stmt.query_map([], |r| r.get::<_, String>(0))? {
        // A key samod wrote for something that is not one of our documents
        // has no id we can parse: nothing to index.
        if let Ok(id) = id?.parse() {
            ids.push(id);
        }
    }
    Ok(ids)
}

pub fn incremental_count(conn: &Connection, doc: &DocId) -> Result<u64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM chunks WHERE doc_id = ?1 AND instr(key, '/incremental/') > 0",
        )?
        .query_row([doc.to_string()], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_document() {
        let d = DocId::random();
        let key = snapshot_key(&d, &[]);
        assert_eq!(doc_of_key(&key), Some(d));
        assert_eq!(doc_of_key("storage-adapter-id"), None);
        assert_eq!(doc_of_key("nonsense/incremental/x"), None);
    }
}
