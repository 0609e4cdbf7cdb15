//! Planning walks from the dashboard: a coordinator plans a walk (or a
//! re-walk from a walk's protocol) with the rules of
//! `trygg_core::edit::plan`; the walk document is registered, shared with
//! the invited organisations, and written as its first change through the
//! sync engine, so their devices list it and may start it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trygg_core::access::access_of;
use trygg_core::document::{self, AnyDocument};
use trygg_core::edit::plan::{self, GroupPlan, Known, Plan};
use trygg_core::error::ValidationErrors;
use trygg_core::model::{Light, TemplateRef, Walk};
use trygg_core::seed::areas;
use trygg_core::{DocId, Timestamp};

use super::edits::create_doc;
use super::{Person, picture, readable};
use crate::http::ApiError;
use crate::serve::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanBody {
    /// The template document whose newest published version it follows.
    template_doc: String,
    area: String,
    route_name: String,
    /// `daylight` or `dark`.
    light: String,
    /// Local time in Stockholm, `YYYY-MM-DDTHH:MM` (a `datetime-local` input).
    planned_at: String,
    #[serde(default)]
    invited: BTreeSet<String>,
    #[serde(default)]
    groups: Vec<GroupBody>,
    #[serde(default)]
    exercise: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GroupBody {
    name: String,
    route: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RewalkBody {
    /// Local time in Stockholm, `YYYY-MM-DDTHH:MM`.
    planned_at: String,
}

#[derive(Serialize)]
pub(super) struct Planned {
    doc_id: String,
}

/// `POST /dashboard/api/walks/plan`.
pub(super) async fn plan_walk(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    body: Result<Json<PlanBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Planned>), ApiError> {
    let Json(body) = body?;
    let mut problems = ValidationErrors::new();
    let light = body.light.parse::<Light>().unwrap_or_else(|_| {
        problems.push("light", "daylight or dark");
        Light::Daylight
    });
    let planned_at = local_time(&body.planned_at).unwrap_or_else(|e| {
        problems.push("planned_at", e);
        Timestamp(0)
    });
    let template = match published(&state, &person, &body.template_doc).await {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push("template_doc", e);
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let plan = Plan {
        template: template.expect("checked"),
        area: body.area,
        route_name: body.route_name,
        light,
        planned_at,
        owner_org: person.user.org.clone(),
        invited: body.invited,
        groups: body
            .groups
            .into_iter()
            .map(|g| GroupPlan {
                name: g.name,
                route: g.route,
            })
            .collect(),
        exercise: body.exercise,
        follows: None,
        created_by: person.user.id.clone(),
    };
    create(&state, &person, from, &plan, "plan").await
}

/// `POST /dashboard/api/walks/{id}/plan-again`: a re-walk of a walk the
/// person may read, planned from its protocol.
pub(super) async fn plan_again(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(id): Path<String>,
    body: Result<Json<RewalkBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Planned>), ApiError> {
    let Json(body) = body?;
    let readable = readable(&state, &person.user);
    let doc: DocId = id.parse().map_err(|_| ApiError::not_found())?;
    if !readable.contains_key(&doc.to_string()) {
        return Err(ApiError::not_found());
    }
    let previous: Walk = state
        .index
        .walk(doc)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    let at = local_time(&body.planned_at).map_err(|e| field("planned_at", e))?;
    let template = published(&state, &person, &previous.template.doc_id)
        .await
        .map_err(|e| field("template_doc", e))?;
    let plan = plan::rewalk(
        &previous,
        &id,
        template,
        at,
        &person.user.org,
        &person.user.id,
    );
    create(&state, &person, from, &plan, "plan again").await
}

/// Checks `plan`, registers the walk and writes it through the engine.
async fn create(
    state: &AppState,
    person: &Person,
    from: SocketAddr,
    plan: &Plan,
    what: &str,
) -> Result<(StatusCode, Json<Planned>), ApiError> {
    let districts = areas();
    let organisations: BTreeSet<String> = super::org_names(state).into_keys().collect();
    let known = Known {
        areas: &districts,
        organisations: &organisations,
    };
    let walk = plan::planned_walk(plan, &known, Timestamp::now()).map_err(ApiError::invalid)?;
    let id = DocId::random();
    let facts = access_of(
        id,
        &AnyDocument::Walk(walk.clone()),
        &person.user.principal().org,
    );
    let what = format!("{what} area={} route={}", plan.area, plan.route_name.trim());
    create_doc(
        state,
        person,
        from,
        facts,
        what,
        "the walk was not planned",
        move |tx| document::write(tx, &walk),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Planned {
            doc_id: id.to_string(),
        }),
    ))
}

/// The newest published version of template document `doc`, which the
/// person must be able to read; otherwise why not.
async fn published(state: &AppState, person: &Person, doc: &str) -> Result<TemplateRef, String> {
    let not_found = || format!("no checklist template `{doc}` here");
    let id: DocId = doc.parse().map_err(|_| not_found())?;
    if !state
        .snapshot
        .borrow()
        .decide(&person.user.principal(), &id)
        .can_read()
    {
        return Err(not_found());
    }
    let templates = state
        .index
        .templates()
        .await
        .map_err(|e| format!("the templates could not be read: {e}"))?;
    let (_, template) = templates
        .into_iter()
        .find(|(d, _)| *d == id)
        .ok_or_else(not_found)?;
    let version = template
        .latest_published()
        .ok_or_else(|| format!("`{}` has no published version", template.title_sv))?;
    Ok(TemplateRef {
        doc_id: doc.to_string(),
        template_id: template.template_id.clone(),
        version: version.version,
    })
}

/// `YYYY-MM-DDTHH:MM` in Stockholm as a timestamp.
fn local_time(text: &str) -> Result<Timestamp, String> {
    let civil: jiff::civil::DateTime = text
        .parse()
        .map_err(|_| format!("`{text}` is not a date and time (YYYY-MM-DDTHH:MM)"))?;
    let zoned = civil
        .to_zoned_datetime(picture::time_zone())
        .map_err(|e| format!("`{text}`: {e}"))?;
    Ok(Timestamp(zoned.timestamp().as_millisecond()))
}

fn field(path: &str, message: String) -> ApiError {
    let mut e = ValidationErrors::new();
    e.push(path, message);
    ApiError::invalid(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_is_read_in_stockholm_and_nonsense_is_named() {
        // 18:00 in Stockholm in December is 17:00 UTC.
        let t = local_time("2026-12-10T18:00").unwrap();
        assert_eq!(
            jiff::Timestamp::from_millisecond(t.0).unwrap().to_string(),
            "2026-12-10T17:00:00Z"
        );
        let e = local_time("nästa tisdag").unwrap_err();
        assert!(e.contains("not a date and time"), "{e}");
    }
}
