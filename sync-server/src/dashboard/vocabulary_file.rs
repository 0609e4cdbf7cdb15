//! The vocabulary as a CSV file (`trygg_forms::vocabulary_csv`): anyone
//! logged in downloads it; a coordinator who may change the vocabulary
//! previews an import (`?dry_run=true`) and imports it as one new version,
//! with the report of every row ([`trygg_core::edit::vocabulary::import`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Deserialize;
use trygg_core::edit::vocabulary::import::{self, ImportReport, rows_of};
use trygg_forms::vocabulary_csv;

use super::vocabulary::{apply, may_edit};
use super::{Person, download};
use crate::http::ApiError;
use crate::serve::AppState;

/// The largest vocabulary file taken: thousands of terms with definitions.
pub(super) const MAX_CSV_BYTES: usize = 1024 * 1024;

/// The vocabulary everybody counts with, as CSV.
pub(super) async fn export(
    State(state): State<Arc<AppState>>,
    _person: Person,
) -> Result<Response, ApiError> {
    let (_, vocabulary) = state
        .index
        .chosen_vocabulary()
        .await
        .map_err(ApiError::internal)?;
    let body = vocabulary_csv::write(&rows_of(&vocabulary)).map_err(ApiError::internal)?;
    download(
        body,
        "text/csv; charset=utf-8",
        &format!("gemensam-terminologi-v{}.csv", vocabulary.version),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// Reads a CSV file and imports what it can (or, on a dry run, says what
/// it would do). Only `text/csv` is taken: a form on another site cannot
/// send it, so the session cookie alone cannot be used to import.
pub(super) async fn import(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("dry_run: {e}")))?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/csv"));
    if !csv {
        return Err(ApiError::unsupported_media_type(
            "send the vocabulary as text/csv (the columns code;group;label_sv;label_en;definition_sv;definition_en;status;replaced_by)",
        ));
    }
    let rows = vocabulary_csv::read(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if q.dry_run {
        let (doc, vocabulary) = state
            .index
            .chosen_vocabulary()
            .await
            .map_err(ApiError::internal)?;
        may_edit(&state, &person, doc).map_err(ApiError::forbidden)?;
        return Ok(Json(import::plan(&vocabulary, &rows).1));
    }
    let what = format!("vocabulary: imported a file of {} rows", rows.len());
    let report = apply(&state, &person, from, what, move |tx| {
        import::import(tx, &rows)
    })
    .await?;
    tracing::info!(
        user = %person.user.id,
        rows = report.rows.len(),
        refused = report.refused(),
        version = report.version,
        "dashboard: vocabulary import"
    );
    Ok(Json(report))
}
