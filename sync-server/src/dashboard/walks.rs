//! The walks a person may read, their protocols (JSON and PDF) and a
//! re-walk compared with the walk before it on the same route: the routes
//! around [`super::protocol`], [`super::pdf`] and [`super::rewalk`].

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trygg_core::DocId;
use trygg_core::ids::slug;
use trygg_core::model::{Action as DocAction, Walk};
use trygg_core::seed::areas;

use super::{
    ActionsQuery, Person, audit, district, download, org_names, pdf, picture, places, protocol,
    readable, rewalk,
};
use crate::audit::Action;
use crate::http::ApiError;
use crate::serve::AppState;

#[derive(Serialize)]
pub(super) struct WalkItem {
    doc_id: String,
    route: String,
    district: String,
    status: String,
    /// `YYYY-MM-DD`: its start, else when it was created.
    date: String,
    observations: u32,
}

/// The walks the person may read, newest first.
pub(super) async fn walks(
    State(state): State<Arc<AppState>>,
    person: Person,
    Query(q): Query<ActionsQuery>,
) -> Result<Json<Vec<WalkItem>>, ApiError> {
    let area = district(q.area)?;
    let rows = state
        .index
        .walks(area, readable(&state, &person.user).into_keys().collect())
        .await
        .map_err(ApiError::internal)?;
    let districts = areas();
    let tz = picture::time_zone();
    Ok(Json(
        rows.into_iter()
            .map(|w| WalkItem {
                district: places::name(&districts, &w.area),
                status: w.status.parse().map_or(w.status.clone(), |s| {
                    protocol::walk_status_sv(s).to_string()
                }),
                date: picture::local_time(w.at, &tz, "%Y-%m-%d"),
                doc_id: w.doc_id,
                route: w.route,
                observations: w.observations,
            })
            .collect(),
    ))
}

/// Walk `id` with the actions proposed from it that `readable` holds: 404
/// unless the walk is among them.
async fn readable_walk(
    state: &AppState,
    readable: &HashMap<String, bool>,
    id: &str,
) -> Result<(DocId, Walk, Vec<(String, DocAction)>), ApiError> {
    let doc: DocId = id.parse().map_err(|_| ApiError::not_found())?;
    if !readable.contains_key(&doc.to_string()) {
        return Err(ApiError::not_found());
    }
    let (walk, actions) = state
        .index
        .walk_with_actions(doc, readable.keys().cloned().collect())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    Ok((doc, walk, actions))
}

/// What a protocol or a comparison needs besides the walks; free text only
/// for the organisation that arranged `walk`.
struct Names {
    orgs: BTreeMap<String, String>,
    districts: BTreeMap<String, trygg_core::model::Area>,
    tz: jiff::tz::TimeZone,
    vocabulary: Arc<trygg_core::model::Vocabulary>,
}

impl Names {
    async fn new(state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            orgs: org_names(state),
            districts: areas(),
            tz: picture::time_zone(),
            vocabulary: state.index.vocabulary().await.map_err(ApiError::internal)?,
        })
    }

    fn org(&self, org: &str) -> String {
        self.orgs
            .get(org)
            .cloned()
            .unwrap_or_else(|| org.to_string())
    }

    fn context<'a>(
        &'a self,
        org_name: &'a dyn Fn(&str) -> String,
        free_text: bool,
    ) -> protocol::Context<'a> {
        protocol::Context {
            vocabulary: &self.vocabulary,
            districts: &self.districts,
            tz: &self.tz,
            org_name,
            free_text,
        }
    }
}

/// One walk's protocol for `person`: 404 unless they may read the walk.
/// Free text (the notes) only for the organisation that arranged it.
async fn protocol_of(
    state: &AppState,
    person: &Person,
    id: &str,
) -> Result<protocol::Protocol, ApiError> {
    let readable = readable(state, &person.user);
    let (doc, walk, actions) = readable_walk(state, &readable, id).await?;
    let names = Names::new(state).await?;
    let org_name = |org: &str| names.org(org);
    let cx = names.context(&org_name, walk.owner_org == person.user.org);
    Ok(protocol::protocol(&doc.to_string(), &walk, &actions, &cx))
}

#[derive(Deserialize, Default)]
pub(super) struct RewalkQuery {
    /// The earlier walk; when absent, the newest walk on the same route in
    /// the same district before this one.
    against: Option<String>,
}

/// Walk `id` compared with an earlier walk: what is gone, what remains,
/// what is new. 404 unless the person may read both; notes never (two
/// walks may have different arrangers).
pub(super) async fn rewalk(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(id): Path<String>,
    Query(q): Query<RewalkQuery>,
) -> Result<Json<rewalk::Rewalk>, ApiError> {
    let readable = readable(&state, &person.user);
    let (later_id, later, later_actions) = readable_walk(&state, &readable, &id).await?;
    let earlier = match q.against.filter(|a| !a.is_empty()) {
        Some(against) => against,
        None => state
            .index
            .previous_walk(
                later.area.clone(),
                later.route_name.clone(),
                later.started_at.unwrap_or(later.created_at).millis(),
                readable.keys().cloned().collect(),
            )
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::not_found_because("no earlier walk of this route to compare with")
            })?,
    };
    let (earlier_id, earlier, earlier_actions) = readable_walk(&state, &readable, &earlier).await?;
    if earlier_id == later_id {
        return Err(ApiError::bad_request(
            "a walk is compared with another walk",
        ));
    }
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(format!("återbesök {earlier_id} {later_id}")),
    );
    let names = Names::new(&state).await?;
    let org_name = |org: &str| names.org(org);
    let cx = names.context(&org_name, false);
    let (e, l) = (earlier_id.to_string(), later_id.to_string());
    Ok(Json(rewalk::compare(
        &rewalk::Walked {
            doc_id: &e,
            walk: &earlier,
            actions: &earlier_actions,
        },
        &rewalk::Walked {
            doc_id: &l,
            walk: &later,
            actions: &later_actions,
        },
        &cx,
    )))
}

pub(super) async fn walk_protocol(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Json<protocol::Protocol>, ApiError> {
    let p = protocol_of(&state, &person, &id).await?;
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(format!("protokoll {id}")),
    );
    Ok(Json(p))
}

pub(super) async fn walk_protocol_pdf(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = protocol_of(&state, &person, &id).await?;
    audit(
        &state,
        &person.user,
        from,
        Action::Export,
        Some(format!("protokoll.pdf {id}")),
    );
    let date = p
        .started
        .as_deref()
        .map_or("", |s| s.get(..10).unwrap_or(s));
    let route: String = slug(&p.route).chars().take(40).collect();
    let name = format!("trygg-protokoll-{route}-{date}.pdf");
    download(pdf::protocol_pdf(&p), "application/pdf", &name)
}
