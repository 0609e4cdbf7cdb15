//! The common vocabulary in the dashboard (PRODUCT §2): every term by group,
//! with what a merge left to fix, the versions and what changed between two
//! of them; and, for a coordinator the access table lets write the
//! vocabulary document, adding, renaming, defining and deprecating terms.
//! Each edit is a new version, made through the sync engine (stored before
//! this answers) and sent to every device that follows the vocabulary.
//! The rules are the core's ([`trygg_core::edit::vocabulary`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use serde::{Deserialize, Serialize};
use trygg_core::DocId;
use trygg_core::edit::vocabulary::{self as edit, TermText};
use trygg_core::model::{Term, TermGroup, Vocabulary};
use trygg_core::vocabulary_history::{self as history, TermChange};

use super::Person;
use super::edits::{edit_doc, may_write};
use crate::http::ApiError;
use crate::serve::AppState;

#[derive(Serialize)]
pub(super) struct View {
    /// The document the terms are read from; `None` before any is stored.
    doc_id: Option<String>,
    version: u64,
    /// Whether this person may change it; when not, `why_not` says why.
    can_edit: bool,
    why_not: Option<String>,
    groups: Vec<TermGroup>,
    /// Every term, deprecated ones too, in group then label order.
    terms: Vec<TermView>,
    /// What a merge of concurrent edits left to fix, in words.
    problems: Vec<String>,
    /// The versions the history holds, oldest first.
    versions: Vec<VersionView>,
}

#[derive(Serialize)]
struct TermView {
    #[serde(flatten)]
    term: Term,
    /// The term data recorded with this code is counted under today.
    counted_as: String,
}

#[derive(Serialize)]
struct VersionView {
    version: u64,
    /// Milliseconds.
    at: i64,
}

/// The vocabulary, its problems and versions, and whether this person may
/// change it. Anyone logged in may read it: it is the city's common
/// terminology.
pub(super) async fn view(
    State(state): State<Arc<AppState>>,
    person: Person,
) -> Result<Json<View>, ApiError> {
    let (doc_id, vocabulary) = state
        .index
        .chosen_vocabulary()
        .await
        .map_err(ApiError::internal)?;
    let versions = match doc_id {
        Some(id) => stored(&state, id)
            .await?
            .map_or_else(Vec::new, |doc| history::versions(&doc)),
        None => Vec::new(),
    };
    let (can_edit, why_not) = match may_edit(&state, &person, doc_id) {
        Ok(_) => (true, None),
        Err(why) => (false, Some(why)),
    };
    let mut groups: Vec<TermGroup> = vocabulary.groups.values().cloned().collect();
    groups.sort_by_key(|g| g.order);
    Ok(Json(View {
        doc_id: doc_id.map(|d| d.to_string()),
        version: vocabulary.version,
        can_edit,
        why_not,
        groups,
        terms: term_views(&vocabulary),
        problems: vocabulary.problems().iter().map(edit::describe).collect(),
        versions: versions
            .into_iter()
            .map(|m| VersionView {
                version: m.version,
                at: m.at.saturating_mul(1000),
            })
            .collect(),
    }))
}

fn term_views(v: &Vocabulary) -> Vec<TermView> {
    let order = |t: &Term| v.groups.get(&t.group).map_or(u32::MAX, |g| g.order);
    let mut terms: Vec<&Term> = v.terms.values().collect();
    terms.sort_by(|a, b| {
        (order(a), a.deprecated, a.label_sv.to_lowercase()).cmp(&(
            order(b),
            b.deprecated,
            b.label_sv.to_lowercase(),
        ))
    });
    terms
        .into_iter()
        .map(|t| TermView {
            term: t.clone(),
            counted_as: v.current_code(&t.code).to_string(),
        })
        .collect()
}

#[derive(Deserialize)]
pub(super) struct DiffQuery {
    from: u64,
    to: u64,
}

#[derive(Serialize)]
pub(super) struct Diff {
    from: u64,
    to: u64,
    changes: Vec<TermChange>,
}

/// What changed in the terms from version `from` to version `to`.
pub(super) async fn diff(
    State(state): State<Arc<AppState>>,
    _person: Person,
    query: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Diff>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("from and to: {e}")))?;
    let (doc_id, _) = state
        .index
        .chosen_vocabulary()
        .await
        .map_err(ApiError::internal)?;
    let doc = match doc_id {
        Some(id) => stored(&state, id).await?,
        None => None,
    }
    .ok_or_else(|| ApiError::not_found_because("no vocabulary is stored yet"))?;
    let marks = history::versions(&doc);
    let at = |v: u64| {
        let mark = marks
            .iter()
            .find(|m| m.version == v)
            .ok_or_else(|| ApiError::not_found_because(format!("no version {v}")))?;
        history::at(&doc, &mark.heads).map_err(ApiError::internal)
    };
    let (before, after) = (at(q.from)?, at(q.to)?);
    Ok(Json(Diff {
        from: q.from,
        to: q.to,
        changes: history::diff(&before, &after),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTerm {
    code: String,
    group: String,
    label_sv: String,
    label_en: String,
    #[serde(default)]
    definition_sv: String,
    #[serde(default)]
    definition_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewGroup {
    code: String,
    label_sv: String,
    label_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Deprecation {
    replaced_by: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Edited {
    version: u64,
}

pub(super) async fn add_term(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    body: Result<Json<NewTerm>, JsonRejection>,
) -> Result<Json<Edited>, ApiError> {
    let Json(t) = body?;
    let (code, text) = (
        t.code,
        TermText {
            group: t.group,
            label_sv: t.label_sv,
            label_en: t.label_en,
            definition_sv: t.definition_sv,
            definition_en: t.definition_en,
        },
    );
    let what = format!("vocabulary: added term {code}");
    edited(
        apply(&state, &person, from, what, move |tx| {
            edit::add_term(tx, &code, &text)
        })
        .await,
    )
}

/// `POST /dashboard/api/vocabulary/groups`: a new group terms can go in.
pub(super) async fn add_group(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    body: Result<Json<NewGroup>, JsonRejection>,
) -> Result<Json<Edited>, ApiError> {
    let Json(g) = body?;
    let what = format!("vocabulary: added group {}", g.code);
    edited(
        apply(&state, &person, from, what, move |tx| {
            edit::add_group(tx, &g.code, &g.label_sv, &g.label_en)
        })
        .await,
    )
}

pub(super) async fn change_term(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(code): Path<String>,
    body: Result<Json<TermText>, JsonRejection>,
) -> Result<Json<Edited>, ApiError> {
    let Json(text) = body?;
    let what = format!("vocabulary: changed term {code}");
    edited(
        apply(&state, &person, from, what, move |tx| {
            edit::change_term(tx, &code, &text)
        })
        .await,
    )
}

pub(super) async fn deprecate_term(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(code): Path<String>,
    body: Result<Json<Deprecation>, JsonRejection>,
) -> Result<Json<Edited>, ApiError> {
    let Json(Deprecation { replaced_by }) = body?;
    let what = format!(
        "vocabulary: deprecated term {code}, replaced by {}",
        replaced_by.as_deref().unwrap_or("none")
    );
    edited(
        apply(&state, &person, from, what, move |tx| {
            edit::deprecate_term(tx, &code, replaced_by.as_deref())
        })
        .await,
    )
}

fn edited(version: Result<u64, ApiError>) -> Result<Json<Edited>, ApiError> {
    version.map(|version| Json(Edited { version }))
}

/// Makes one vocabulary edit through the engine, once the person may.
pub(super) async fn apply<T: Send + 'static>(
    state: &AppState,
    person: &Person,
    from: SocketAddr,
    what: String,
    edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<T, trygg_core::DocError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let (doc_id, _) = state
        .index
        .chosen_vocabulary()
        .await
        .map_err(ApiError::internal)?;
    let doc = may_edit(state, person, doc_id).map_err(ApiError::forbidden)?;
    edit_doc(state, person, from, doc, what, "the vocabulary", edit).await
}

/// The vocabulary document this person may change, or why not in words.
pub(super) fn may_edit(
    state: &AppState,
    person: &Person,
    doc: Option<DocId>,
) -> Result<DocId, String> {
    let doc = doc.ok_or_else(|| {
        "no vocabulary is stored yet: the first device that pairs sets it up".to_string()
    })?;
    may_write(state, person, doc, "the vocabulary")
}

async fn stored(state: &AppState, id: DocId) -> Result<Option<automerge::Automerge>, ApiError> {
    state
        .index
        .stored_document(id)
        .await
        .map_err(ApiError::internal)
}
