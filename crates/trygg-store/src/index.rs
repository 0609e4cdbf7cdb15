//! The derived index: tables for listing, filtering and counting.
//!
//! Rows are a pure function of a document ([`rows_for`]); writing them replaces
//! whatever the document had before. Because of that, the index can always be
//! rebuilt from the documents alone, and a rebuild equals the index that
//! incremental updates produced (tested).

use automerge::{Automerge, ReadDoc};
use rusqlite::{Connection, params};
use serde::Serialize;
use trygg_core::document::{self, AnyDocument};
use trygg_core::model::{AnswerValue, Observation, PhotoRef, Sensitivity};
use trygg_core::{DocId, DocKind};

use crate::error::Result;

pub mod delta;

/// One row of `documents`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentRow {
    pub doc_id: String,
    /// `None` when the document is not a readable Trygg document.
    pub kind: Option<String>,
    pub schema_version: Option<u64>,
    /// Milliseconds; the newest time among the document's head changes
    /// (Automerge stamps changes in whole seconds).
    pub updated_at: i64,
    pub heads: String,
    /// Why the document could not be read, if it could not.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalkRow {
    pub doc_id: String,
    pub area: String,
    pub route_name: String,
    pub status: String,
    pub light: String,
    pub owner_org: String,
    pub template_id: String,
    pub template_version: u32,
    pub planned_at: Option<i64>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created_at: i64,
    pub answer_count: u32,
    pub observation_count: u32,
    /// The walk is an exercise (*övning*).
    pub exercise: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservationRow {
    pub doc_id: String,
    pub obs_id: String,
    pub doc_kind: String,
    pub walk_doc_id: Option<String>,
    pub area: String,
    pub category: String,
    pub severity: u8,
    pub sensitivity: String,
    pub organisation: String,
    pub observed_at: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub place_id: Option<String>,
    pub photo_count: u32,
    /// The observation's free text, as it reads now.
    pub note: String,
    /// Recorded in an exercise (its walk or report is one).
    pub exercise: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRow {
    pub doc_id: String,
    pub responsible_org: String,
    pub proposed_by_org: String,
    pub area: String,
    pub status: String,
    pub is_open: bool,
    pub due_date: Option<String>,
    pub created_at: i64,
    pub description: String,
    /// The walk or report the action answers (its first observation's).
    pub source_doc: Option<String>,
}

/// Everything the index holds about one document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexRows {
    pub document: Option<DocumentRow>,
    pub walk: Option<WalkRow>,
    pub observations: Vec<ObservationRow>,
    pub action: Option<ActionRow>,
    /// The photos the document references (observations and photo answers):
    /// the part that holds each ([`observation_part`], [`answer_part`]) and
    /// its SHA-256, sorted and without repeats.
    pub photos: Vec<(String, String)>,
}

/// The part of a document that observation `id` is, for `photo_refs`.
pub fn observation_part(id: &str) -> String {
    format!("observation/{id}")
}

/// The part of a walk that the answer to item `item` is, for `photo_refs`.
pub fn answer_part(item: &str) -> String {
    format!("answer/{item}")
}

/// The photos of one part, as `photo_refs` keeps them.
pub(crate) fn photos_of(
    part: String,
    photos: &[PhotoRef],
) -> impl Iterator<Item = (String, String)> + '_ {
    photos.iter().map(move |p| (part.clone(), p.sha256.clone()))
}

/// The photo answer's photos, if it is one.
pub(crate) fn answer_photos(value: &AnswerValue) -> &[PhotoRef] {
    match value {
        AnswerValue::Photos(p) => p,
        _ => &[],
    }
}

pub(crate) fn observation_row(
    doc_id: &str,
    kind: DocKind,
    walk_doc_id: Option<String>,
    area: &str,
    exercise: bool,
    o: &Observation,
) -> ObservationRow {
    let point = o.location.as_ref().and_then(|l| l.point);
    ObservationRow {
        doc_id: doc_id.to_string(),
        obs_id: o.id.clone(),
        doc_kind: kind.as_str().to_string(),
        walk_doc_id,
        area: area.to_string(),
        category: o.category.clone(),
        severity: o.severity.level(),
        sensitivity: o.sensitivity.as_str().to_string(),
        organisation: o.organisation.clone(),
        observed_at: o.observed_at.millis(),
        lat: point.map(|p| p.lat),
        lon: point.map(|p| p.lon),
        place_id: o.location.as_ref().and_then(|l| l.place_id.clone()),
        photo_count: o.photos.len() as u32,
        note: o.note.as_str().to_string(),
        exercise,
    }
}

/// A document's `documents` row from its heads, with its kind, version
/// and error left for the caller to fill in.
pub(crate) fn document_row(id: &DocId, doc: &Automerge) -> DocumentRow {
    let heads = doc.get_heads();
    let updated_at = heads
        .iter()
        .filter_map(|h| doc.get_change_by_hash(h))
        .map(|c| c.timestamp())
        .max()
        .unwrap_or(0)
        .saturating_mul(1000);
    let heads = heads
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(",");
    DocumentRow {
        doc_id: id.to_string(),
        kind: None,
        schema_version: None,
        updated_at,
        heads,
        error: None,
    }
}

/// The index rows for a document. A document that cannot be read still gets a
/// `documents` row, carrying the reason, so it is visible rather than lost.
pub fn rows_for(id: &DocId, doc: &Automerge) -> IndexRows {
    let doc_id = id.to_string();
    let mut rows = IndexRows::default();
    let parsed = document::read_any(doc);
    let mut document = document_row(id, doc);
    (document.kind, document.schema_version, document.error) =
        match (&parsed, document::header(doc)) {
            (Ok(d), Ok(h)) => (
                Some(d.kind().as_str().to_string()),
                Some(h.schema_version),
                None,
            ),
            (Err(e), Ok(h)) => (
                Some(h.kind.as_str().to_string()),
                Some(h.schema_version),
                Some(e.to_string()),
            ),
            (_, Err(e)) => (None, None, Some(e.to_string())),
        };
    rows.document = Some(document);
    match parsed {
        Ok(AnyDocument::Walk(w)) => {
            let observed = w
                .observations
                .values()
                .flat_map(|o| photos_of(observation_part(&o.id), &o.photos));
            let answered = w
                .answers
                .iter()
                .flat_map(|(item, a)| photos_of(answer_part(item), answer_photos(&a.value)));
            rows.photos = sorted(observed.chain(answered).collect());
            rows.observations = w
                .observations
                .values()
                .map(|o| {
                    let walk = Some(doc_id.clone());
                    observation_row(&doc_id, DocKind::Walk, walk, &w.area, w.exercise, o)
                })
                .collect();
            rows.walk = Some(WalkRow {
                doc_id: doc_id.clone(),
                area: w.area,
                route_name: w.route_name,
                status: w.status.as_str().into(),
                light: w.light.as_str().into(),
                owner_org: w.owner_org,
                template_id: w.template.template_id,
                template_version: w.template.version,
                planned_at: w.planned_at.map(|t| t.millis()),
                started_at: w.started_at.map(|t| t.millis()),
                ended_at: w.ended_at.map(|t| t.millis()),
                created_at: w.created_at.millis(),
                answer_count: w.answers.len() as u32,
                observation_count: w.observations.len() as u32,
                exercise: w.exercise,
            });
        }
        Ok(AnyDocument::Report(r)) => {
            rows.photos = sorted(
                r.observations
                    .values()
                    .flat_map(|o| photos_of(observation_part(&o.id), &o.photos))
                    .collect(),
            );
            rows.observations = r
                .observations
                .values()
                .map(|o| {
                    let walk = r.walk.clone();
                    observation_row(&doc_id, DocKind::Report, walk, &r.area, r.exercise, o)
                })
                .collect();
        }
        Ok(AnyDocument::Action(a)) => {
            rows.action = Some(ActionRow {
                doc_id: doc_id.clone(),
                responsible_org: a.responsible_org,
                proposed_by_org: a.proposed_by_org,
                area: a.area,
                status: a.status.as_str().into(),
                is_open: a.status.is_open(),
                due_date: a.due_date,
                created_at: a.created_at.millis(),
                description: a.description.as_str().to_string(),
                source_doc: a.observations.first().map(|o| o.doc_id.clone()),
            });
        }
        _ => {}
    }
    rows
}

fn sorted(mut refs: Vec<(String, String)>) -> Vec<(String, String)> {
    refs.sort_unstable();
    refs.dedup();
    refs
}

/// Replaces a document's rows in every index table.
pub fn write_rows(conn: &Connection, id: &DocId, rows: &IndexRows) -> Result<()> {
    let doc_id = id.to_string();
    for table in ["walks", "observations", "actions", "photo_refs"] {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE doc_id = ?1"))?
            .execute([&doc_id])?;
    }
    if let Some(d) = &rows.document {
        conn.prepare_cached(
            "INSERT INTO documents (doc_id, kind, schema_version, updated_at, heads, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (doc_id) DO UPDATE SET kind = excluded.kind,
               schema_version = excluded.schema_version, updated_at = excluded.updated_at,
               heads = excluded.heads, error = excluded.error",
        )?
        .execute(params![
            d.doc_id,
            d.kind,
            d.schema_version,
            d.updated_at,
            d.heads,
            d.error
        ])?;
    }
    if let Some(w) = &rows.walk {
        conn.prepare_cached(
            "INSERT INTO walks (doc_id, area, route_name, status, light, owner_org, template_id,
               template_version, planned_at, started_at, ended_at, created_at, answer_count,
               observation_count, exercise)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            w.doc_id,
            w.area,
            w.route_name,
            w.status,
            w.light,
            w.owner_org,
            w.template_id,
            w.template_version,
            w.planned_at,
            w.started_at,
            w.ended_at,
            w.created_at,
            w.answer_count,
            w.observation_count,
            w.exercise
        ])?;
    }
    for o in &rows.observations {
        insert_observation(conn, o)?;
    }
    let mut insert_photo = conn.prepare_cached(
        "INSERT OR IGNORE INTO photo_refs (sha256, doc_id, part) VALUES (?1, ?2, ?3)",
    )?;
    for (part, sha256) in &rows.photos {
        insert_photo.execute(params![sha256, doc_id, part])?;
    }
    if let Some(a) = &rows.action {
        conn.prepare_cached(
            "INSERT INTO actions (doc_id, responsible_org, proposed_by_org, area, status, is_open,
               due_date, created_at, description, source_doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            a.doc_id,
            a.responsible_org,
            a.proposed_by_org,
            a.area,
            a.status,
            a.is_open,
            a.due_date,
            a.created_at,
            a.description,
            a.source_doc
        ])?;
    }
    Ok(())
}

/// Inserts one observation row.
pub(crate) fn insert_observation(conn: &Connection, o: &ObservationRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO observations (doc_id, obs_id, doc_kind, walk_doc_id, area, category, severity,
           sensitivity, organisation, observed_at, lat, lon, place_id, photo_count, note, exercise)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        o.doc_id,
        o.obs_id,
        o.doc_kind,
        o.walk_doc_id,
        o.area,
        o.category,
        o.severity,
        o.sensitivity,
        o.organisation,
        o.observed_at,
        o.lat,
        o.lon,
        o.place_id,
        o.photo_count,
        o.note,
        o.exercise
    ])?;
    Ok(())
}

/// Empties every index table (before a rebuild).
pub fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM documents; DELETE FROM walks; DELETE FROM observations; DELETE FROM actions;
         DELETE FROM photo_refs;",
    )?;
    Ok(())
}

/// Filters for [`crate::Store::walks`].
#[derive(Debug, Clone, Default)]
pub struct WalkFilter {
    pub area: Option<String>,
    pub status: Option<String>,
    /// Walks whose route name holds this, in any case.
    pub route: Option<String>,
    pub limit: Option<u32>,
}

/// Filters for [`crate::Store::observations`].
#[derive(Debug, Clone, Default)]
pub struct ObservationFilter {
    pub area: Option<String>,
    pub category: Option<String>,
    pub min_severity: Option<u8>,
    /// Milliseconds, inclusive.
    pub since: Option<i64>,
    /// Milliseconds, exclusive.
    pub until: Option<i64>,
    pub sensitivity: Option<Sensitivity>,
    pub walk_doc_id: Option<String>,
    pub limit: Option<u32>,
}

/// Filters for [`crate::Store::actions`].
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub responsible_org: Option<String>,
    pub area: Option<String>,
    pub open_only: bool,
}

pub(crate) fn walk_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WalkRow> {
    Ok(WalkRow {
        doc_id: r.get(0)?,
        area: r.get(1)?,
        route_name: r.get(2)?,
        status: r.get(3)?,
        light: r.get(4)?,
        owner_org: r.get(5)?,
        template_id: r.get(6)?,
        template_version: r.get(7)?,
        planned_at: r.get(8)?,
        started_at: r.get(9)?,
        ended_at: r.get(10)?,
        created_at: r.get(11)?,
        answer_count: r.get(12)?,
        observation_count: r.get(13)?,
        exercise: r.get(14)?,
    })
}

pub(crate) const WALK_COLUMNS: &str = "doc_id, area, route_name, status, light, owner_org, template_id, template_version, planned_at, started_at, ended_at, created_at, answer_count, observation_count, exercise";

pub(crate) fn observation_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ObservationRow> {
    Ok(ObservationRow {
        doc_id: r.get(0)?,
        obs_id: r.get(1)?,
        doc_kind: r.get(2)?,
        walk_doc_id: r.get(3)?,
        area: r.get(4)?,
        category: r.get(5)?,
        severity: r.get(6)?,
        sensitivity: r.get(7)?,
        organisation: r.get(8)?,
        observed_at: r.get(9)?,
        lat: r.get(10)?,
        lon: r.get(11)?,
        place_id: r.get(12)?,
        photo_count: r.get(13)?,
        note: r.get(14)?,
        exercise: r.get(15)?,
    })
}

pub(crate) const OBSERVATION_COLUMNS: &str = "doc_id, obs_id, doc_kind, walk_doc_id, area, category, severity, sensitivity, organisation, observed_at, lat, lon, place_id, photo_count, note, exercise";

pub(crate) fn action_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRow> {
    Ok(ActionRow {
        doc_id: r.get(0)?,
        responsible_org: r.get(1)?,
        proposed_by_org: r.get(2)?,
        area: r.get(3)?,
        status: r.get(4)?,
        is_open: r.get(5)?,
        due_date: r.get(6)?,
        created_at: r.get(7)?,
        description: r.get(8)?,
        source_doc: r.get(9)?,
    })
}

pub(crate) const ACTION_COLUMNS: &str = "doc_id, responsible_org, proposed_by_org, area, status, is_open, due_date, created_at, description, source_doc";

pub(crate) fn document_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentRow> {
    Ok(DocumentRow {
        doc_id: r.get(0)?,
        kind: r.get(1)?,
        schema_version: r.get(2)?,
        updated_at: r.get(3)?,
        heads: r.get(4)?,
        error: r.get(5)?,
    })
}

pub(crate) const DOCUMENT_COLUMNS: &str = "doc_id, kind, schema_version, updated_at, heads, error";

/// Photos that the document `id` references and no other indexed document
/// does (what a purge of it may remove, once its replacement is checked).
pub fn photos_only_in(conn: &Connection, id: &DocId) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT sha256 FROM photo_refs WHERE doc_id = ?1
           AND sha256 NOT IN (SELECT sha256 FROM photo_refs WHERE doc_id != ?1)",
    )?;
    let shas = stmt
        .query_map([id.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(shas)
}
