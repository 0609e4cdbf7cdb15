//! The council dashboard under `/dashboard`: people (not devices) log in
//! through a one-time link and hold an `HttpOnly; SameSite=Strict` session
//! cookie; every answer is filtered by the same access decisions as sync
//! (`Snapshot::decide`). The page and its script are embedded in the binary.
//!
//! * [`picture`]: the weekly lägesbild as plain data (no IO);
//! * [`actions`]: open actions per responsible organisation (no IO);
//! * [`map`]: the map's clusters and heat grid as plain data, and its
//!   outlines (built from open data by `build.rs`);
//! * [`read`]: the rows they read, from the documents' derived index;
//! * here: login, sessions, the JSON API and the live stream.

pub mod actions;
pub mod map;
pub mod picture;
pub mod read;

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use trygg_core::Timestamp;
use trygg_core::seed::areas;

use crate::audit::{Action, Entry};
use crate::http::ApiError;
use crate::registry::token_hash;
use crate::registry::users::{SESSION_VALID_MS, User};
use crate::serve::AppState;

pub use read::IndexReader;

const COOKIE: &str = "trygg_session";

/// How often an open live stream checks that its session still holds.
const SESSION_CHECK: Duration = Duration::from_millis(250);

/// The page's own files; nothing is fetched from elsewhere.
const INDEX_HTML: &str = include_str!("assets/index.html");
const LOGIN_HTML: &str = include_str!("assets/login.html");
const APP_JS: &str = include_str!("assets/app.js");
const LOGIN_JS: &str = include_str!("assets/login.js");
const STYLE_CSS: &str = include_str!("assets/style.css");
const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

/// Scripts and styles only from this server; no framing.
const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/") }))
        .route(
            "/dashboard/",
            get(|| async { page(INDEX_HTML, "text/html") }),
        )
        .route(
            "/dashboard/login",
            get(|| async { page(LOGIN_HTML, "text/html") }),
        )
        .route(
            "/dashboard/app.js",
            get(|| async { page(APP_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/login.js",
            get(|| async { page(LOGIN_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/style.css",
            get(|| async { page(STYLE_CSS, "text/css") }),
        )
        .route(
            "/dashboard/favicon.svg",
            get(|| async { page(FAVICON_SVG, "image/svg+xml") }),
        )
        .route(
            "/dashboard/districts.geojson",
            get(|| async { page(map::DISTRICTS_GEOJSON, "application/geo+json") }),
        )
        .route(
            "/dashboard/water.geojson",
            get(|| async { page(map::WATER_GEOJSON, "application/geo+json") }),
        )
        .route("/dashboard/api/login", post(login))
        .route("/dashboard/api/logout", post(logout))
        .route("/dashboard/api/me", get(me))
        .route("/dashboard/api/lagesbild", get(lagesbild))
        .route("/dashboard/api/map", get(map_view))
        .route("/dashboard/api/actions", get(open_actions))
        .route("/dashboard/api/events", get(events))
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&format!("{content_type}; charset=utf-8"))
                    .expect("a valid header"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// The session token from the `Cookie` header.
fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// A person with a current session.
pub struct Person {
    pub user: User,
    session_hash: String,
}

impl FromRequestParts<Arc<AppState>> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = session_token(&parts.headers).ok_or_else(|| {
            ApiError::unauthorized("not logged in: open the login link you were given")
        })?;
        let session_hash = token_hash(token);
        let user = state
            .registry
            .session_user(&session_hash, Timestamp::now())
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "your session has ended: open a new login link from your administrator",
                )
            })?;
        Ok(Person { user, session_hash })
    }
}

#[derive(Deserialize)]
struct LoginBody {
    code: String,
}

#[derive(Serialize)]
struct MeBody {
    name: String,
    organisation: String,
    organisation_name: String,
    role: String,
    /// The districts, for the filters.
    areas: Vec<AreaName>,
}

#[derive(Serialize)]
struct AreaName {
    code: String,
    name: String,
}

fn me_body(state: &AppState, user: &User) -> MeBody {
    let organisation_name = state
        .snapshot
        .borrow()
        .orgs
        .get(&user.org)
        .map_or_else(|| user.org.clone(), |o| o.name.clone());
    MeBody {
        name: user.name.clone(),
        organisation: user.org.clone(),
        organisation_name,
        role: user.role.as_str().to_string(),
        areas: areas()
            .into_values()
            .map(|a| AreaName {
                code: a.code,
                name: a.name,
            })
            .collect(),
    }
}

async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let ip = from.ip();
    state
        .unknown_tokens
        .check(ip)
        .map_err(ApiError::too_many_unknown_tokens)?;
    let session = crate::registry::new_token();
    let now = Timestamp::now();
    let redeemed = state
        .registry
        .redeem_login_link(
            &token_hash(body.code.trim()),
            &token_hash(&session),
            now,
            Timestamp(now.millis() + SESSION_VALID_MS),
        )
        .await
        .map_err(ApiError::internal)?;
    let user = match redeemed {
        Ok(user) => user,
        Err(refusal) => {
            if refusal == crate::registry::users::LinkRefusal::Unknown {
                state
                    .unknown_tokens
                    .unknown(ip)
                    .map_err(ApiError::too_many_unknown_tokens)?;
            }
            tracing::info!(%ip, %refusal, "dashboard login refused");
            return Err(ApiError::unauthorized(refusal.to_string()));
        }
    };
    tracing::info!(user = %user.id, org = %user.org, %ip, "dashboard login");
    audit(&state, &user, from, Action::Login, None);
    let mut response = Json(me_body(&state, &user)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&state, &session, SESSION_VALID_MS / 1000)?,
    );
    Ok(response)
}

/// The session cookie's one form: set (with the session's lifetime) at
/// login, cleared (empty, `Max-Age=0`) at logout; `Secure` over TLS.
fn session_cookie(
    state: &AppState,
    value: &str,
    max_age_secs: i64,
) -> Result<HeaderValue, ApiError> {
    let secure = if state.args.tls_cert.is_some() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/dashboard; Max-Age={max_age_secs}{secure}"
    ))
    .map_err(ApiError::internal)
}

async fn logout(State(state): State<Arc<AppState>>, person: Person) -> Result<Response, ApiError> {
    state
        .registry
        .end_session(&person.session_hash)
        .await
        .map_err(ApiError::internal)?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0)?);
    Ok(response)
}

async fn me(State(state): State<Arc<AppState>>, person: Person) -> Json<MeBody> {
    Json(me_body(&state, &person.user))
}

#[derive(Deserialize, Default)]
struct PictureQuery {
    /// `YYYY-Www`; this week when absent.
    week: Option<String>,
    /// A district code; all when absent or empty.
    area: Option<String>,
    /// A vocabulary group's code.
    group: Option<String>,
    /// Only observations at least this severe (1–5).
    min_severity: Option<u8>,
}

/// Appends to the audit trail what `user` did from `from`.
fn audit(state: &AppState, user: &User, from: SocketAddr, action: Action, detail: Option<String>) {
    state.audit.record(Entry {
        at: Timestamp::now(),
        actor: user.id.clone(),
        org: user.org.clone(),
        action,
        doc: None,
        detail,
        origin: from.ip().to_string(),
    });
}

/// A district filter: none when absent or empty, refused when unknown.
fn district(area: Option<String>) -> Result<Option<String>, ApiError> {
    let area = area.filter(|a| !a.is_empty());
    if let Some(a) = &area
        && !areas().contains_key(a)
    {
        return Err(ApiError::bad_request(format!("unknown district `{a}`")));
    }
    Ok(area)
}

/// What the filters select, checked.
struct Selection {
    week: picture::Week,
    area: Option<String>,
    group: Option<String>,
    min_severity: u8,
}

impl Selection {
    fn parse(q: PictureQuery, tz: &jiff::tz::TimeZone) -> Result<Self, ApiError> {
        let week = match q.week.as_deref().filter(|w| !w.is_empty()) {
            Some(w) => picture::Week::parse(w).map_err(ApiError::bad_request)?,
            None => picture::Week::containing(Timestamp::now().millis(), tz),
        };
        let min_severity = q.min_severity.unwrap_or(1);
        if !(1..=5).contains(&min_severity) {
            return Err(ApiError::bad_request(format!(
                "min_severity is 1 to 5, not {min_severity}"
            )));
        }
        let area = district(q.area)?;
        let group = q.group.filter(|g| !g.is_empty());
        Ok(Self {
            week,
            area,
            group,
            min_severity,
        })
    }

    /// For the audit trail: which view, with which filters.
    fn describe(&self, view: &str) -> String {
        format!(
            "{view} {} area={} group={} min_severity={}",
            self.week,
            self.area.as_deref().unwrap_or(""),
            self.group.as_deref().unwrap_or(""),
            self.min_severity
        )
    }

    /// The observations in `from..to` that `user` may read and the filters select.
    async fn observations(
        &self,
        state: &AppState,
        user: &User,
        (from, to): (i64, i64),
    ) -> Result<Vec<picture::Seen>, ApiError> {
        let filter = read::Filter {
            from,
            to,
            area: self.area.clone(),
            min_severity: self.min_severity,
        };
        let rows = state
            .index
            .observations(filter, readable(state, user))
            .await
            .map_err(ApiError::internal)?;
        let Some(group) = &self.group else {
            return Ok(rows);
        };
        let vocabulary = trygg_core::seed::vocabulary();
        Ok(rows
            .into_iter()
            .filter(|r| {
                vocabulary
                    .terms
                    .get(vocabulary.current_code(&r.category))
                    .is_some_and(|t| &t.group == group)
            })
            .collect())
    }
}

async fn lagesbild(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Query(q): Query<PictureQuery>,
) -> Result<Json<picture::Picture>, ApiError> {
    let tz = picture::time_zone();
    let selection = Selection::parse(q, &tz)?;
    let week = selection.week;
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(selection.describe("lägesbild")),
    );
    let rows = selection
        .observations(&state, &person.user, picture::window(week, &tz))
        .await?;
    let vocabulary = trygg_core::seed::vocabulary();
    let districts = areas();
    let name = |id: &str| {
        let district = id.split('/').next().and_then(|a| districts.get(a));
        match district {
            Some(d) if d.code == id => d.name.clone(),
            Some(d) => d
                .places
                .get(id)
                .map_or_else(|| id.to_string(), |p| format!("{}, {}", p.name, d.name)),
            None => id.to_string(),
        }
    };
    Ok(Json(picture::picture(week, &rows, &vocabulary, &tz, name)))
}

/// The map of the selected week: clusters and a heat grid over the chosen
/// district (or the city), with the vocabulary groups for the legend.
async fn map_view(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Query(q): Query<PictureQuery>,
) -> Result<Json<MapBody>, ApiError> {
    let tz = picture::time_zone();
    let selection = Selection::parse(q, &tz)?;
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(selection.describe("karta")),
    );
    let extent = map::extent(selection.area.as_deref())
        .ok_or_else(|| ApiError::internal("the map has no outline for this district"))?;
    let rows = selection
        .observations(&state, &person.user, picture::window(selection.week, &tz))
        .await?;
    let vocabulary = trygg_core::seed::vocabulary();
    let districts = areas();
    let mut unplaced = 0;
    let dots: Vec<map::Dot> = rows
        .iter()
        .filter_map(|r| {
            let place = || {
                let id = r.place_id.as_deref()?;
                let district = districts.get(id.split('/').next()?)?;
                let point = district.places.get(id)?.point.as_ref()?;
                Some((point.lat, point.lon))
            };
            let (lat, lon) = match (r.lat, r.lon) {
                (Some(lat), Some(lon)) => (lat, lon),
                _ => match place() {
                    Some(at) => at,
                    None => {
                        unplaced += 1;
                        return None;
                    }
                },
            };
            let group = vocabulary
                .terms
                .get(vocabulary.current_code(&r.category))
                .map_or_else(String::new, |t| t.group.clone());
            Some(map::Dot {
                lat,
                lon,
                severity: r.severity,
                group,
            })
        })
        .collect();
    let mut groups: Vec<_> = vocabulary.groups.values().collect();
    groups.sort_by_key(|g| g.order);
    let groups = groups
        .into_iter()
        .map(|g| AreaName {
            code: g.code.clone(),
            name: g.label_sv.clone(),
        })
        .collect();
    Ok(Json(MapBody {
        week: selection.week.to_string(),
        groups,
        view: map::map_view(&dots, unplaced, extent),
    }))
}

#[derive(Deserialize, Default)]
struct ActionsQuery {
    /// A district code; all when absent or empty.
    area: Option<String>,
}

#[derive(Serialize)]
struct ActionsBody {
    /// `YYYY-MM-DD` in Stockholm: what "overdue" is measured against.
    today: String,
    owners: Vec<actions::Owner>,
}

/// The open actions the person may read, per responsible organisation.
async fn open_actions(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Query(q): Query<ActionsQuery>,
) -> Result<Json<ActionsBody>, ApiError> {
    let area = district(q.area)?;
    let districts = areas();
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(format!("åtgärder area={}", area.as_deref().unwrap_or(""))),
    );
    let rows = state
        .index
        .open_actions(area, readable(&state, &person.user))
        .await
        .map_err(ApiError::internal)?;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(picture::time_zone())
        .date()
        .to_string();
    let orgs: std::collections::BTreeMap<String, String> = state
        .snapshot
        .borrow()
        .orgs
        .iter()
        .map(|(id, o)| (id.clone(), o.name.clone()))
        .collect();
    let owners = actions::by_owner(
        rows,
        &today,
        |org| orgs.get(org).cloned().unwrap_or_else(|| org.to_string()),
        |area| {
            districts
                .get(area)
                .map_or_else(|| area.to_string(), |d| d.name.clone())
        },
    );
    Ok(Json(ActionsBody { today, owners }))
}

#[derive(Serialize)]
struct MapBody {
    week: String,
    /// The vocabulary's groups, in order, for colouring by category.
    groups: Vec<AreaName>,
    #[serde(flatten)]
    view: map::MapView,
}

/// The documents `user` may read now, by their ids' text (as the index keys them).
fn readable(state: &AppState, user: &User) -> HashSet<String> {
    let who = user.principal();
    let snap = state.snapshot.borrow();
    snap.documents
        .keys()
        .filter(|id| snap.decide(&who, id).can_read())
        .map(|id| id.to_string())
        .collect()
}

/// Server-sent events: `changed` whenever the index took in new changes
/// (the page then asks again), `ended` when the session ends (revoked,
/// expired or logged out), after which the stream closes.
async fn events(
    State(state): State<Arc<AppState>>,
    person: Person,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = futures::channel::mpsc::channel(8);
    let changed = state.index.changes();
    tokio::spawn(follow(state, person, changed, tx));
    Sse::new(rx).keep_alive(KeepAlive::default())
}

async fn follow(
    state: Arc<AppState>,
    person: Person,
    mut changed: watch::Receiver<u64>,
    mut tx: futures::channel::mpsc::Sender<Result<Event, Infallible>>,
) {
    use futures::SinkExt;
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            moved = changed.changed() => {
                if moved.is_err() {
                    return; // the server is stopping
                }
                let revision = *changed.borrow_and_update();
                let event = Event::default().event("changed").data(revision.to_string());
                if tx.send(Ok(event)).await.is_err() {
                    return; // the page went away
                }
            }
            _ = check.tick() => {
                if tx.is_closed() {
                    return;
                }
                match state.registry.session_user(&person.session_hash, Timestamp::now()).await {
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        tracing::info!(user = %person.user.id, "dashboard session ended; closing its live stream");
                        let event = Event::default().event("ended").data("session ended");
                        if let Err(e) = tx.send(Ok(event)).await {
                            tracing::debug!(%e, "the page went away before hearing its session ended");
                        }
                        return;
                    }
                    Err(e) => {
                        // Keep the stream: the next check asks again.
                        tracing::warn!(%e, "cannot check a dashboard session");
                    }
                }
            }
        }
    }
}
