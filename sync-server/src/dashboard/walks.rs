//! The walks a person may read, their protocols (JSON and PDF) with their
//! photos, and a re-walk compared with the walk before it on the same
//! route: the routes around [`super::protocol`], [`super::pdf`] and
//! [`super::rewalk`].
//!
//! A walk's photos are shown to whoever may read the walk, as sync gives
//! them to every device that may read it (`/api/v1/photos`); their
//! captions, like notes, only to the organisation that arranged it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use trygg_core::DocId;
use trygg_core::ids::slug;
use trygg_core::model::{Action as DocAction, Walk};
use trygg_core::seed::areas;

use super::{
    ActionsQuery, Person, audit, audit_doc, district, download, org_names, pdf, pdf_photo, picture,
    places, protocol, readable, rewalk,
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
    /// `YYYY-MM-DD`: its start, else the day it is planned for, else when
    /// it was created.
    date: String,
    observations: u32,
    /// An exercise (*övning*), shown marked.
    exercise: bool,
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
                exercise: w.exercise,
            })
            .collect(),
    ))
}

/// Document `id` if `readable` holds it, else 404 (as for no document at all).
fn readable_id(readable: &HashMap<String, bool>, id: &str) -> Result<DocId, ApiError> {
    let doc: DocId = id.parse().map_err(|_| ApiError::not_found())?;
    if !readable.contains_key(&doc.to_string()) {
        return Err(ApiError::not_found());
    }
    Ok(doc)
}

/// Walk `id` with the actions proposed from it that `readable` holds: 404
/// unless the walk is among them.
async fn readable_walk(
    state: &AppState,
    readable: &HashMap<String, bool>,
    id: &str,
) -> Result<(DocId, Walk, Vec<(String, DocAction)>), ApiError> {
    let doc = readable_id(readable, id)?;
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
    /// Organisations' contacts from the directory, in one line each.
    contacts: BTreeMap<String, String>,
    districts: BTreeMap<String, trygg_core::model::Area>,
    tz: jiff::tz::TimeZone,
    vocabulary: Arc<trygg_core::model::Vocabulary>,
}

impl Names {
    async fn new(state: &AppState) -> Result<Self, ApiError> {
        let directories = state
            .index
            .directories()
            .await
            .map_err(ApiError::internal)?;
        let contacts = directories
            .into_iter()
            .flat_map(|(_, d)| d.organisations.into_values())
            .filter_map(|o| Some((o.id, o.contact?.line())))
            .collect();
        Ok(Self {
            orgs: org_names(state),
            contacts,
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
        uploaded: &'a dyn Fn(&str) -> bool,
        free_text: bool,
    ) -> protocol::Context<'a> {
        protocol::Context {
            vocabulary: &self.vocabulary,
            districts: &self.districts,
            tz: &self.tz,
            org_name,
            contacts: &self.contacts,
            free_text,
            uploaded,
        }
    }
}

/// The SHA-256 of every photo of `walk`'s observations.
fn photos_of(walk: &Walk) -> impl Iterator<Item = &str> {
    walk.observations
        .values()
        .flat_map(|o| o.photos.iter().map(|p| p.sha256.as_str()))
}

/// Which of `walk`'s photos the server has.
async fn uploaded(state: &AppState, walk: &Walk) -> Result<HashSet<String>, ApiError> {
    let dir = state.photos.clone();
    let names: Vec<String> = photos_of(walk).map(str::to_string).collect();
    tokio::task::spawn_blocking(move || {
        let mut here = HashSet::new();
        for name in names {
            if dir.has(&name)? {
                here.insert(name);
            }
        }
        Ok::<_, std::io::Error>(here)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// One walk's protocol for `person`: 404 unless they may read the walk.
/// Free text (notes, photo captions) only for the organisation that
/// arranged it.
async fn protocol_of(
    state: &AppState,
    person: &Person,
    id: &str,
) -> Result<protocol::Protocol, ApiError> {
    let readable = readable(state, &person.user);
    let (doc, walk, actions) = readable_walk(state, &readable, id).await?;
    let names = Names::new(state).await?;
    let here = uploaded(state, &walk).await?;
    let org_name = |org: &str| names.org(org);
    let is_here = |sha: &str| here.contains(sha);
    let cx = names.context(&org_name, &is_here, walk.owner_org == person.user.org);
    Ok(protocol::protocol(&doc.to_string(), &walk, &actions, &cx))
}

/// Photo `sha256` of walk `id`: 404 unless the person may read the walk and
/// one of its observations names the photo, and until a device has
/// uploaded it. The type is read from the bytes (the server stores only
/// JPEG, PNG and WebP it has checked).
pub(super) async fn walk_photo(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !trygg_sync::photo::is_sha256_hex(&sha256) {
        return Err(ApiError::not_found());
    }
    let doc = readable_id(&readable(&state, &person.user), &id)?;
    // The walk alone: its actions play no part in which photos it shows.
    let walk = state
        .index
        .walk(doc)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    if !photos_of(&walk).any(|p| p == sha256) {
        return Err(ApiError::not_found());
    }
    let dir = state.photos.clone();
    let name = sha256.clone();
    let bytes = tokio::task::spawn_blocking(move || dir.get(&name))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found_because("the photo has not reached the server yet"))?;
    let media_type = match image::guess_format(&bytes) {
        Ok(format) => format.to_mime_type(),
        Err(_) => "application/octet-stream",
    };
    audit_doc(
        &state,
        &person.user,
        from,
        Action::PhotoRead,
        Some(doc),
        Some(format!("sha256={sha256}")),
    );
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "private, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

/// Every photo of protocol `p` the server has, made ready for its PDF on
/// the blocking threads, a few at a time; a photo that cannot be read is
/// named in the PDF with the reason (and logged).
async fn pdf_photos(state: &AppState, p: &protocol::Protocol) -> Result<pdf::Photos, ApiError> {
    let names: Vec<String> = p
        .findings
        .iter()
        .flat_map(|f| &f.photos)
        .filter(|photo| photo.uploaded)
        .map(|photo| photo.sha256.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let at_once = std::thread::available_parallelism().map_or(2, |n| n.get());
    let ready: Vec<(String, Result<pdf_photo::PdfPhoto, String>)> =
        futures::stream::iter(names.into_iter().map(|name| {
            let dir = state.photos.clone();
            tokio::task::spawn_blocking(move || {
                let ready = match dir.get(&name) {
                    Ok(Some(bytes)) => pdf_photo::prepare(&bytes),
                    Ok(None) => Err("finns inte längre på servern".to_string()),
                    Err(e) => Err(format!("kunde inte läsas från disken ({e})")),
                };
                if let Err(reason) = &ready {
                    tracing::warn!(sha256 = %name, %reason, "a photo left out of a protocol PDF");
                }
                (name, ready)
            })
        }))
        .buffer_unordered(at_once)
        .map(|joined| joined.map_err(ApiError::internal))
        .try_collect()
        .await?;
    Ok(ready.into_iter().collect())
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
    let mut here = uploaded(&state, &earlier).await?;
    here.extend(uploaded(&state, &later).await?);
    let is_here = |sha: &str| here.contains(sha);
    let cx = names.context(&org_name, &is_here, false);
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
    let photos = pdf_photos(&state, &p).await?;
    download(pdf::protocol_pdf(&p, &photos), "application/pdf", &name)
}
