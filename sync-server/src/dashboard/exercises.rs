//! Exercises (*övning*) in the dashboard: the exercises a person may read,
//! one per template version they followed, and one exercise across
//! districts side by side (`exercise::compare`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use serde::Serialize;
use trygg_core::DocId;
use trygg_core::seed::areas;

use super::{Person, audit, exercise, picture, places, readable};
use crate::audit::Action;
use crate::http::ApiError;
use crate::serve::AppState;

/// One exercise: the walks marked as exercises on one template version.
#[derive(Serialize)]
pub(super) struct ExerciseItem {
    template_id: String,
    /// The template's Swedish title, or its id when no template document
    /// holds it here.
    template_name: String,
    version: u32,
    walks: usize,
    /// The districts it was run in, by name.
    districts: Vec<String>,
    /// `YYYY-MM-DD` of its newest walk.
    latest: String,
}

/// `GET /dashboard/api/exercises`: newest first.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    person: Person,
) -> Result<Json<Vec<ExerciseItem>>, ApiError> {
    let rows = state
        .index
        .exercise_walks(readable(&state, &person.user).into_keys().collect())
        .await
        .map_err(ApiError::internal)?;
    let names = template_names(&state).await?;
    let districts = areas();
    let tz = picture::time_zone();
    // Rows come newest first, so the first of each exercise is its latest.
    let mut items: Vec<ExerciseItem> = Vec::new();
    let mut seen_in: BTreeMap<(String, u32), (usize, BTreeSet<String>)> = BTreeMap::new();
    for r in rows {
        let key = (r.template_id.clone(), r.version);
        let (i, in_districts) = seen_in.entry(key).or_insert_with(|| {
            items.push(ExerciseItem {
                template_name: names
                    .get(&r.template_id)
                    .cloned()
                    .unwrap_or_else(|| r.template_id.clone()),
                template_id: r.template_id.clone(),
                version: r.version,
                walks: 0,
                districts: Vec::new(),
                latest: picture::local_time(r.at, &tz, "%Y-%m-%d"),
            });
            (items.len() - 1, BTreeSet::new())
        });
        items[*i].walks += 1;
        in_districts.insert(places::name(&districts, &r.area));
    }
    for (i, in_districts) in seen_in.into_values() {
        items[i].districts = in_districts.into_iter().collect();
    }
    Ok(Json(items))
}

/// `GET /dashboard/api/exercises/{template_id}/{version}`: its walks side
/// by side. 404 when the person may read no exercise on that version.
pub(super) async fn compare(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path((template_id, version)): Path<(String, u32)>,
) -> Result<Json<exercise::Comparison>, ApiError> {
    let readable = readable(&state, &person.user);
    let rows = state
        .index
        .exercise_walks(readable.keys().cloned().collect())
        .await
        .map_err(ApiError::internal)?;
    let mut walks = Vec::new();
    for r in rows
        .into_iter()
        .filter(|r| r.template_id == template_id && r.version == version)
    {
        let doc: DocId = r.doc_id.parse().map_err(ApiError::internal)?;
        // Indexed, then forgotten by retention: nothing to show for it.
        let Some(walk) = state.index.walk(doc).await.map_err(ApiError::internal)? else {
            continue;
        };
        walks.push(exercise::ExerciseWalk {
            own: readable.get(&r.doc_id) == Some(&false),
            doc_id: r.doc_id,
            walk,
        });
    }
    if walks.is_empty() {
        return Err(ApiError::not_found());
    }
    let templates = state.index.templates().await.map_err(ApiError::internal)?;
    let Some((template, checklist)) = templates
        .iter()
        .filter(|(_, t)| t.template_id == template_id)
        .find_map(|(_, t)| Some((t, t.version(version)?)))
    else {
        return Err(ApiError::not_found_because(format!(
            "no template here holds version {version} of `{template_id}`"
        )));
    };
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(format!("övning {template_id} v{version}")),
    );
    let vocabulary = state.index.vocabulary().await.map_err(ApiError::internal)?;
    let districts = areas();
    let tz = picture::time_zone();
    let cx = exercise::Context {
        vocabulary: &vocabulary,
        districts: &districts,
        tz: &tz,
    };
    Ok(Json(exercise::compare(
        &template_id,
        &template.title_sv,
        checklist,
        walks,
        &cx,
    )))
}

/// Template titles by template id, from the stored template documents.
async fn template_names(state: &AppState) -> Result<BTreeMap<String, String>, ApiError> {
    Ok(state
        .index
        .templates()
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|(_, t)| (t.template_id, t.title_sv))
        .collect())
}
