//! A walk's index rows for what changed, not for the whole walk.
//!
//! The `documents` row names the heads the document's rows were derived at.
//! When the document in hand holds those heads, [`walk_delta::since`] lists
//! the observations and answers the changes after them touched, and only
//! those are read and written; the walk row gets its new counts. Anything
//! else (the walk's own fields, a document that was unreadable, references
//! from before photo parts existed, a stale mark a migration set, heads this
//! document does not hold) reads the walk whole ([`super::rows_for`]). A property test holds the rows this
//! writes equal to the whole walk's.

use automerge::{Automerge, ChangeHash, ObjType, ReadDoc, Value};
use rusqlite::{Connection, OptionalExtension, params};
use trygg_core::walk_delta;
use trygg_core::{DocId, DocKind};

use super::{
    DocumentRow, ObservationRow, answer_part, answer_photos, observation_part, observation_row,
    photos_of,
};
use crate::error::Result;

/// What a walk's rows need after some changes, derived from those alone.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkDelta {
    /// The heads (as the `documents` row writes them) the rows in the
    /// tables were derived at: the delta applies to those rows only.
    pub before: String,
    /// The walk's heads and last change now, as its `documents` row has them.
    pub heads: String,
    pub updated_at: i64,
    pub answer_count: u32,
    pub observation_count: u32,
    /// Each changed observation by id: its row now, or `None` if removed.
    pub observations: Vec<(String, Option<ObservationRow>)>,
    /// Each changed part ([`observation_part`], [`answer_part`]) and the
    /// photos it references now.
    pub photos: Vec<(String, Vec<String>)>,
}

/// The delta that brings `doc`'s rows up to date, or `None` when the walk
/// must be read whole (see the module's documentation).
pub fn derive(conn: &Connection, id: &DocId, doc: &Automerge) -> Result<Option<WalkDelta>> {
    let doc_id = id.to_string();
    let indexed: Option<(Option<String>, Option<String>, String)> = conn
        .prepare_cached("SELECT kind, error, heads FROM documents WHERE doc_id = ?1")?
        .query_row([&doc_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((Some(kind), None, before)) = indexed else {
        return Ok(None);
    };
    if kind != DocKind::Walk.as_str()
        || marked_whole(conn, &doc_id)?
        || has_unplaced_photos(conn, &doc_id)?
    {
        return Ok(None);
    }
    let Some(heads) = parse_heads(&before) else {
        return Ok(None);
    };
    // A document `since` cannot trace is read whole, which names what is wrong.
    let Ok(Some(changed)) = walk_delta::since(doc, &heads) else {
        return Ok(None);
    };
    if changed.rest {
        return Ok(None);
    }
    let Some(area) = root_text(doc, "area") else {
        return Ok(None);
    };
    // Fixed when the walk is made, so it is not among the changes; a walk
    // from before exercises has no key and is not one.
    let exercise = match doc.get(automerge::ROOT, "exercise") {
        Ok(None) => false,
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            automerge::ScalarValue::Boolean(b) => *b,
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    let mut observations = Vec::new();
    let mut photos = Vec::new();
    for obs_id in &changed.observations {
        let Ok(now) = walk_delta::observation(doc, obs_id) else {
            return Ok(None);
        };
        let part = observation_part(obs_id);
        let refs = now.as_ref().map_or_else(Vec::new, |o| {
            photos_of(part.clone(), &o.photos).map(|(_, s)| s).collect()
        });
        photos.push((part, refs));
        let row = now.map(|o| {
            let walk = Some(doc_id.clone());
            observation_row(&doc_id, DocKind::Walk, walk, &area, exercise, &o)
        });
        observations.push((obs_id.clone(), row));
    }
    for item in &changed.answers {
        let Ok(now) = walk_delta::answer(doc, item) else {
            return Ok(None);
        };
        let refs = now.as_ref().map_or_else(Vec::new, |a| {
            answer_photos(&a.value)
                .iter()
                .map(|p| p.sha256.clone())
                .collect()
        });
        photos.push((answer_part(item), refs));
    }
    let (Some(answer_count), Some(observation_count)) =
        (map_len(doc, "answers"), map_len(doc, "observations"))
    else {
        return Ok(None);
    };
    let DocumentRow {
        heads: now,
        updated_at,
        ..
    } = super::document_row(id, doc);
    Ok(Some(WalkDelta {
        before,
        heads: now,
        updated_at,
        answer_count,
        observation_count,
        observations,
        photos,
    }))
}

/// Writes `delta` if the rows in the tables are still those it was derived
/// against; `false` (and nothing written) when they have moved on.
pub fn write(conn: &Connection, id: &DocId, delta: &WalkDelta) -> Result<bool> {
    let doc_id = id.to_string();
    let updated = conn
        .prepare_cached(
            "UPDATE documents SET updated_at = ?2, heads = ?3
             WHERE doc_id = ?1 AND heads = ?4 AND error IS NULL",
        )?
        .execute(params![doc_id, delta.updated_at, delta.heads, delta.before])?;
    if updated == 0 {
        return Ok(false);
    }
    conn.prepare_cached(
        "UPDATE walks SET answer_count = ?2, observation_count = ?3 WHERE doc_id = ?1",
    )?
    .execute(params![doc_id, delta.answer_count, delta.observation_count])?;
    let mut remove =
        conn.prepare_cached("DELETE FROM observations WHERE doc_id = ?1 AND obs_id = ?2")?;
    for (obs_id, row) in &delta.observations {
        remove.execute(params![doc_id, obs_id])?;
        if let Some(row) = row {
            super::insert_observation(conn, row)?;
        }
    }
    let mut clear =
        conn.prepare_cached("DELETE FROM photo_refs WHERE doc_id = ?1 AND part = ?2")?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO photo_refs (sha256, doc_id, part) VALUES (?1, ?2, ?3)",
    )?;
    for (part, hashes) in &delta.photos {
        clear.execute(params![doc_id, part])?;
        for sha256 in hashes {
            insert.execute(params![sha256, doc_id, part])?;
        }
    }
    Ok(true)
}

/// Whether the document's stale mark asks for it to be read whole (a
/// migration that added a column set it).
fn marked_whole(conn: &Connection, doc_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT whole FROM index_dirty WHERE doc_id = ?1")?
        .query_row([doc_id], |r| r.get::<_, bool>(0))
        .optional()?
        == Some(true))
}

/// Whether the document has photo references written before they named
/// their part: those cannot be replaced part by part.
fn has_unplaced_photos(conn: &Connection, doc_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM photo_refs WHERE doc_id = ?1 AND part = '' LIMIT 1")?
        .query_row([doc_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Heads as the `documents` row writes them; `None` for none or a bad one.
fn parse_heads(text: &str) -> Option<Vec<ChangeHash>> {
    if text.is_empty() {
        return None;
    }
    text.split(',').map(|h| h.parse().ok()).collect()
}

/// A text scalar at the document's root.
fn root_text(doc: &Automerge, key: &str) -> Option<String> {
    match doc.get(automerge::ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_string),
        _ => None,
    }
}

/// How many keys the map at the root's `key` holds.
fn map_len(doc: &Automerge, key: &str) -> Option<u32> {
    match doc.get(automerge::ROOT, key) {
        Ok(Some((Value::Object(ObjType::Map), obj))) => u32::try_from(doc.length(&obj)).ok(),
        _ => None,
    }
}
