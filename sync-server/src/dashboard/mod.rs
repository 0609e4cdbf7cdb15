//! The council dashboard under `/dashboard`: people (not devices) log in
//! through a one-time link and hold an `HttpOnly; SameSite=Strict` session
//! cookie; every answer is filtered by the same access decisions as sync
//! (`Snapshot::decide`). The page and its script are embedded in the binary.
//!
//! * [`picture`]: the weekly lägesbild as plain data (no IO);
//! * [`actions`]: open actions per responsible organisation (no IO);
//! * [`compare`]: districts side by side, with trend lines (no IO);
//! * [`map`]: the map's clusters and heat grid as plain data, and its
//!   outlines (built from open data by `trygg-basemap`);
//! * [`export`]: the selected observations as CSV and GeoJSON (no IO);
//! * [`places`]: names and points of place ids (no IO);
//! * [`protocol`]: one walk's findings and actions (no IO), [`pdf`] prints it
//!   with the photos [`pdf_photo`] makes ready;
//! * [`rewalk`]: a walk against the one before it on its route (no IO);
//! * [`exercise`]: one exercise (*övning*) across districts side by side
//!   (no IO), listed and served by `exercises`; every other view leaves
//!   exercises out unless asked ([`read::Exercises`]);
//! * [`suppress`]: what a person sees of other organisations' observations:
//!   H3 cells and no count below 5 (no IO);
//! * [`tiles`]: the map's optional raster tiles (an operator's tile server
//!   or a local PMTiles archive);
//! * [`read`]: the rows they read, from the documents' derived index;
//! * `settings`: an organisation's own choices (exports with notes);
//! * `walks`: the routes for walks, protocols, their photos and re-walks;
//! * `decide`: a decision taken in meeting mode becomes an action document;
//! * `plan`: a walk planned (or planned again from its protocol) becomes a
//!   walk document shared with the invited organisations;
//! * here: login, sessions, the rest of the JSON API and the live stream.

pub mod actions;
pub mod compare;
mod decide;
mod edits;
pub mod exercise;
mod exercises;
pub mod export;
pub mod map;
mod organisations;
pub mod pdf;
pub mod pdf_photo;
pub mod picture;
pub mod places;
mod plan;
pub mod protocol;
pub mod read;
pub mod rewalk;
mod settings;
pub mod suppress;
mod templates;
pub mod tiles;
mod vocabulary;
mod vocabulary_file;
mod walks;

use std::collections::HashMap;
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
use trygg_core::model::{ActionStatus, Severity, Vocabulary};
use trygg_core::seed::areas;
use trygg_engine::EditError;

use crate::audit::{Action, Entry};
use crate::http::ApiError;
use crate::registry::token_hash;
use crate::registry::users::{SESSION_VALID_MS, User};
use crate::serve::AppState;

pub use read::IndexReader;

const COOKIE: &str = "trygg_session";

/// How long a status change waits for the index to show it before answering.
const INDEXED_WITHIN: Duration = Duration::from_secs(2);

/// How often an open live stream checks that its session still holds.
const SESSION_CHECK: Duration = Duration::from_millis(250);

/// The page's own files; nothing is fetched from elsewhere.
const INDEX_HTML: &str = include_str!("assets/index.html");
const LOGIN_HTML: &str = include_str!("assets/login.html");
const APP_JS: &str = include_str!("assets/app.js");
const LOGIN_JS: &str = include_str!("assets/login.js");
const STYLE_CSS: &str = include_str!("assets/style.css");
const FAVICON_SVG: &str = include_str!("assets/favicon.svg");
const VOCABULARY_JS: &str = include_str!("assets/vocabulary.js");
const TEMPLATES_JS: &str = include_str!("assets/templates.js");
const TEMPLATE_EDITOR_JS: &str = include_str!("assets/template-editor.js");
const ORGANISATIONS_JS: &str = include_str!("assets/organisations.js");
const COMMON_JS: &str = include_str!("assets/common.js");
const EXERCISES_JS: &str = include_str!("assets/exercises.js");
const PLAN_JS: &str = include_str!("assets/plan.js");
/// The template editor's preview: the field app's own question rendering
/// and style sheet, built by `npm run build` in `ui/` (see `build.rs`).
const PREVIEW_HTML: &str = include_str!("assets/preview.html");
const PREVIEW_JS: &str = include_str!("../../../ui/dist-preview/preview.js");
const PREVIEW_CSS: &str = include_str!("../../../ui/dist-preview/preview.css");

/// Scripts and styles only from this server; no framing.
const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The preview may be framed by this server's pages only, and sends nothing.
const PREVIEW_CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/") }))
        .route("/dashboard/", get(index_page))
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
            "/dashboard/preview.html",
            get(|| async { framed_page(PREVIEW_HTML, "text/html") }),
        )
        .route(
            "/dashboard/preview.js",
            get(|| async { page(PREVIEW_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/preview.css",
            get(|| async { page(PREVIEW_CSS, "text/css") }),
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
        .route(
            "/dashboard/api/settings",
            get(settings::get_settings).put(settings::put_settings),
        )
        .route("/dashboard/api/lagesbild", get(lagesbild))
        .route("/dashboard/api/map", get(map_view))
        .route("/dashboard/tiles/{z}/{x}/{y}", get(tiles::tile))
        .route("/dashboard/api/compare", get(compare_districts))
        .route("/dashboard/api/export.csv", get(export_csv))
        .route("/dashboard/api/export.geojson", get(export_geojson))
        .route(
            "/dashboard/api/actions",
            get(open_actions).post(decide::decide),
        )
        .route(
            "/dashboard/api/actions/{id}/status",
            post(set_action_status),
        )
        .route("/dashboard/api/walks", get(walks::walks))
        .route("/dashboard/api/walks/plan", post(plan::plan_walk))
        .route(
            "/dashboard/api/walks/{id}/plan-again",
            post(plan::plan_again),
        )
        .route(
            "/dashboard/api/walks/{id}/protocol",
            get(walks::walk_protocol),
        )
        .route("/dashboard/api/walks/{id}/rewalk", get(walks::rewalk))
        .route(
            "/dashboard/api/walks/{id}/photos/{sha256}",
            get(walks::walk_photo),
        )
        .route(
            "/dashboard/api/walks/{id}/protocol.pdf",
            get(walks::walk_protocol_pdf),
        )
        .route("/dashboard/api/events", get(events))
        .route(
            "/dashboard/vocabulary.js",
            get(|| async { page(VOCABULARY_JS, "text/javascript") }),
        )
        .route("/dashboard/api/vocabulary", get(vocabulary::view))
        .route("/dashboard/api/vocabulary/diff", get(vocabulary::diff))
        .route(
            "/dashboard/api/vocabulary/terms",
            post(vocabulary::add_term),
        )
        .route(
            "/dashboard/api/vocabulary/groups",
            post(vocabulary::add_group),
        )
        .route(
            "/dashboard/api/vocabulary/terms/{code}",
            axum::routing::put(vocabulary::change_term),
        )
        .route(
            "/dashboard/api/vocabulary/terms/{code}/deprecate",
            post(vocabulary::deprecate_term),
        )
        .route(
            "/dashboard/plan.js",
            get(|| async { page(PLAN_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/exercises.js",
            get(|| async { page(EXERCISES_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/templates.js",
            get(|| async { page(TEMPLATES_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/template-editor.js",
            get(|| async { page(TEMPLATE_EDITOR_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/common.js",
            get(|| async { page(COMMON_JS, "text/javascript") }),
        )
        .route(
            "/dashboard/organisations.js",
            get(|| async { page(ORGANISATIONS_JS, "text/javascript") }),
        )
        .route("/dashboard/api/organisations", get(organisations::list))
        .route(
            "/dashboard/api/organisations/{org}/contact",
            axum::routing::put(organisations::set),
        )
        .route("/dashboard/api/exercises", get(exercises::list))
        .route(
            "/dashboard/api/exercises/{template}/{version}",
            get(exercises::compare),
        )
        .route(
            "/dashboard/api/templates",
            get(templates::list).post(templates::create),
        )
        .route(
            "/dashboard/api/templates/{doc}/draft",
            axum::routing::put(templates::save_draft),
        )
        .route(
            "/dashboard/api/templates/{doc}/versions/{version}",
            get(templates::version),
        )
        .route(
            "/dashboard/api/templates/{doc}/versions/{version}/xlsform.xlsx",
            get(templates::export),
        )
        .route(
            "/dashboard/api/templates/{doc}/versions/{version}/publish",
            post(templates::publish),
        )
        .route(
            "/dashboard/api/templates/{doc}/import",
            post(templates::import).layer(axum::extract::DefaultBodyLimit::max(
                templates::MAX_XLSX_BYTES,
            )),
        )
        .route(
            "/dashboard/api/vocabulary.csv",
            get(vocabulary_file::export),
        )
        .route(
            "/dashboard/api/vocabulary/import",
            post(vocabulary_file::import).layer(axum::extract::DefaultBodyLimit::max(
                vocabulary_file::MAX_CSV_BYTES,
            )),
        )
}

/// The page, whose images may also come from the operator's tile server.
async fn index_page(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let mut response = page(INDEX_HTML, "text/html");
    if let Some(origin) = state.tiles.as_ref().and_then(|t| t.remote_origin()) {
        let csp = CSP.replace(
            "img-src 'self' data:",
            &format!("img-src 'self' data: {origin}"),
        );
        let csp = HeaderValue::from_str(&csp).map_err(ApiError::internal)?;
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    page_with(body, content_type, CSP)
}

/// A page this server's own pages may show in a frame (the preview).
fn framed_page(body: &'static str, content_type: &'static str) -> Response {
    page_with(body, content_type, PREVIEW_CSP)
}

fn page_with(body: &'static str, content_type: &'static str, csp: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(&format!("{content_type}; charset=utf-8"))
                    .expect("a valid header"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
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
    areas: Vec<Named>,
    /// Every organisation in the access table (code and name), for a
    /// decision's responsible organisation.
    organisations: Vec<Named>,
    /// The severity scale (code: the level), for the filter and the legend.
    severities: Vec<Named>,
}

/// A code and its name: a district, a vocabulary group, an organisation.
#[derive(Serialize)]
struct Named {
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
            .map(|a| Named {
                code: a.code,
                name: a.name,
            })
            .collect(),
        organisations: org_names(state)
            .into_iter()
            .map(|(code, name)| Named { code, name })
            .collect(),
        severities: Severity::ALL
            .iter()
            .map(|s| Named {
                code: s.level().to_string(),
                name: format!("{} {}", s.level(), s.label_sv()),
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
    /// Only observations at least this severe (1–4).
    min_severity: Option<u8>,
    /// The period: this many weeks, ending with `week` (1 when absent).
    weeks: Option<u8>,
    /// `exclude` (when absent), `include` or `only`: exercises (*övning*).
    exercises: Option<String>,
}

/// Appends to the audit trail what `user` did from `from`.
fn audit(state: &AppState, user: &User, from: SocketAddr, action: Action, detail: Option<String>) {
    audit_doc(state, user, from, action, None, detail);
}

/// Appends to the audit trail what `user` did (to `doc`, if one) from `from`.
fn audit_doc(
    state: &AppState,
    user: &User,
    from: SocketAddr,
    action: Action,
    doc: Option<trygg_core::DocId>,
    detail: Option<String>,
) {
    state.audit.record(Entry {
        at: Timestamp::now(),
        actor: user.id.clone(),
        org: user.org.clone(),
        action,
        doc,
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
    /// Weeks ending with `week`.
    weeks: u8,
    exercises: read::Exercises,
}

/// The longest export, in weeks.
const MAX_EXPORT_WEEKS: u8 = 104;

impl Selection {
    fn parse(q: PictureQuery, tz: &jiff::tz::TimeZone) -> Result<Self, ApiError> {
        let week = match q.week.as_deref().filter(|w| !w.is_empty()) {
            Some(w) => picture::Week::parse(w).map_err(ApiError::bad_request)?,
            None => picture::Week::containing(Timestamp::now().millis(), tz),
        };
        let min_severity = match q.min_severity {
            None => Severity::LOW,
            Some(level) => Severity::new(level)
                .map_err(|e| ApiError::bad_request(format!("min_severity: {e}")))?,
        }
        .level();
        let weeks = q.weeks.unwrap_or(1);
        if !(1..=MAX_EXPORT_WEEKS).contains(&weeks) {
            return Err(ApiError::bad_request(format!(
                "weeks is 1 to {MAX_EXPORT_WEEKS}, not {weeks}"
            )));
        }
        let area = district(q.area)?;
        let group = q.group.filter(|g| !g.is_empty());
        let exercises =
            read::Exercises::parse(q.exercises.as_deref()).map_err(ApiError::bad_request)?;
        Ok(Self {
            week,
            area,
            group,
            min_severity,
            weeks,
            exercises,
        })
    }

    /// The first of the `weeks` ending with `week`.
    fn first_week(&self, tz: &jiff::tz::TimeZone) -> picture::Week {
        self.week.back(i64::from(self.weeks) - 1, tz)
    }

    /// From the start of the first of `weeks` to the end of `week`.
    fn period(&self, tz: &jiff::tz::TimeZone) -> (i64, i64) {
        (
            self.first_week(tz).start_ms(tz),
            self.week.back(-1, tz).start_ms(tz),
        )
    }

    /// For the audit trail: which view, with which filters.
    fn describe(&self, view: &str) -> String {
        format!(
            "{view} {} weeks={} area={} group={} min_severity={} exercises={}",
            self.week,
            self.weeks,
            self.area.as_deref().unwrap_or(""),
            self.group.as_deref().unwrap_or(""),
            self.min_severity,
            self.exercises.as_str()
        )
    }

    /// The observations in `from..to` that `user` may read and the filters
    /// select; with `notes`, the notes of their own organisation's.
    async fn observations(
        &self,
        state: &AppState,
        user: &User,
        (from, to): (i64, i64),
        vocabulary: &Vocabulary,
        notes: bool,
    ) -> Result<Vec<picture::Seen>, ApiError> {
        let filter = read::Filter {
            from,
            to,
            area: self.area.clone(),
            min_severity: self.min_severity,
            notes,
            exercises: self.exercises,
        };
        let rows = state
            .index
            .observations(filter, readable(state, user))
            .await
            .map_err(ApiError::internal)?;
        let Some(group) = &self.group else {
            return Ok(rows);
        };
        Ok(rows
            .into_iter()
            .filter(|r| {
                vocabulary
                    .current_term(&r.category)
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
    if selection.weeks > picture::MAX_WEEKS {
        return Err(ApiError::bad_request(format!(
            "the lägesbild covers 1 to {} weeks, not {}",
            picture::MAX_WEEKS,
            selection.weeks
        )));
    }
    let period = picture::Period {
        week: selection.week,
        weeks: selection.weeks,
    };
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(selection.describe("lägesbild")),
    );
    let vocabulary = vocabulary(&state).await?;
    let rows = selection
        .observations(&state, &person.user, period.window(&tz), &vocabulary, false)
        .await?;
    let districts = areas();
    let name = |id: &str| places::name(&districts, id);
    Ok(Json(picture::picture(
        period,
        &rows,
        &vocabulary,
        &tz,
        name,
    )))
}

/// The vocabulary to count and name terms with ([`read::IndexReader::vocabulary`]).
async fn vocabulary(state: &AppState) -> Result<Arc<Vocabulary>, ApiError> {
    state.index.vocabulary().await.map_err(ApiError::internal)
}

/// Weeks the district comparison shows when the page does not say.
const COMPARE_WEEKS: u8 = 12;

/// Every district side by side over `weeks` (12 when absent) ending with
/// `week`, with the group and severity filters; the district filter only
/// marks which one is chosen, on the page.
async fn compare_districts(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Query(mut q): Query<PictureQuery>,
) -> Result<Json<CompareBody>, ApiError> {
    let tz = picture::time_zone();
    q.weeks = Some(q.weeks.unwrap_or(COMPARE_WEEKS));
    let mut selection = Selection::parse(q, &tz)?;
    audit(
        &state,
        &person.user,
        from,
        Action::View,
        Some(selection.describe("compare")),
    );
    selection.area = None;
    let weeks = usize::from(selection.weeks);
    let rows = selection
        .observations(
            &state,
            &person.user,
            compare::window(selection.week, weeks, &tz),
            &*vocabulary(&state).await?,
            false,
        )
        .await?;
    let mut districts: Vec<(String, String)> =
        areas().into_values().map(|a| (a.code, a.name)).collect();
    districts.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Json(CompareBody {
        comparison: compare::compare(selection.week, weeks, &rows, &districts, &tz),
        extent: map::extent(None),
    }))
}

#[derive(Serialize)]
struct CompareBody {
    #[serde(flatten)]
    comparison: compare::Comparison,
    /// The whole city, for the graded map.
    extent: Option<map::Extent>,
}

async fn export_csv(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Query(q): Query<PictureQuery>,
) -> Result<Response, ApiError> {
    let export = export_rows(&state, from, &person, q, "csv").await?;
    let body = export::csv(&export.rows, export.columns).map_err(ApiError::internal)?;
    download(
        body,
        "text/csv; charset=utf-8",
        &format!("{}.csv", export.name),
    )
}

async fn export_geojson(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Query(q): Query<PictureQuery>,
) -> Result<Response, ApiError> {
    let export = export_rows(&state, from, &person, q, "geojson").await?;
    let body = serde_json::to_vec(&export::geojson(&export.rows, export.columns))
        .map_err(ApiError::internal)?;
    download(
        body,
        "application/geo+json",
        &format!("{}.geojson", export.name),
    )
}

/// What an export holds.
struct Export {
    rows: Vec<export::Row>,
    columns: export::Columns,
    /// A file name (without extension) saying what it is.
    name: String,
}

/// The rows an export holds, audited as an export in `format` (and
/// whether it carries notes, as the person's organisation decided).
async fn export_rows(
    state: &AppState,
    from: SocketAddr,
    person: &Person,
    q: PictureQuery,
    format: &str,
) -> Result<Export, ApiError> {
    let tz = picture::time_zone();
    let selection = Selection::parse(q, &tz)?;
    let notes = state
        .registry
        .org_settings(&person.user.org)
        .await
        .map_err(ApiError::internal)?
        .export_notes;
    let format = if notes {
        format!("{format} with notes")
    } else {
        format.to_string()
    };
    audit(
        state,
        &person.user,
        from,
        Action::Export,
        Some(selection.describe(&format)),
    );
    let vocabulary = vocabulary(state).await?;
    let seen = selection
        .observations(
            state,
            &person.user,
            selection.period(&tz),
            &vocabulary,
            notes,
        )
        .await?;
    let districts = areas();
    let (seen, _withheld) = suppress::coarsen(seen, &districts);
    let rows = export::rows(&seen, &vocabulary, &districts, &tz);
    let first = selection.first_week(&tz);
    let weeks = if selection.weeks == 1 {
        selection.week.to_string()
    } else {
        format!("{first}--{}", selection.week)
    };
    let name = format!(
        "trygg-{}-{weeks}{}{}",
        selection.area.as_deref().unwrap_or("stockholm"),
        match selection.exercises {
            read::Exercises::Exclude => "",
            read::Exercises::Include => "-med-ovningar",
            read::Exercises::Only => "-ovningar",
        },
        if notes { "-med-anteckningar" } else { "" }
    );
    let columns = export::Columns {
        notes,
        exercise: selection.exercises != read::Exercises::Exclude,
    };
    Ok(Export {
        rows,
        columns,
        name,
    })
}

/// A file to save, not to show.
fn download(body: Vec<u8>, content_type: &'static str, name: &str) -> Result<Response, ApiError> {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

/// The map of the selected week (or `weeks` weeks ending with it): clusters and a heat grid over the chosen
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
    let vocabulary = vocabulary(&state).await?;
    let rows = selection
        .observations(
            &state,
            &person.user,
            selection.period(&tz),
            &vocabulary,
            false,
        )
        .await?;
    let districts = areas();
    let (rows, withheld) = suppress::coarsen(rows, &districts);
    let mut unplaced = 0;
    let dots: Vec<map::Dot> = rows
        .iter()
        .filter_map(|r| {
            let Some((lat, lon)) = r.point(&districts) else {
                unplaced += 1;
                return None;
            };
            let group = vocabulary
                .current_term(&r.category)
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
        .map(|g| Named {
            code: g.code.clone(),
            name: g.label_sv.clone(),
        })
        .collect();
    Ok(Json(MapBody {
        tiles: state.tiles.as_ref().map(|t| t.source().clone()),
        week: selection.week.to_string(),
        withheld: suppress::publishable(withheld),
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
        .open_actions(area, readable(&state, &person.user).into_keys().collect())
        .await
        .map_err(ApiError::internal)?;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(picture::time_zone())
        .date()
        .to_string();
    let orgs = org_names(&state);
    let mut owners = actions::by_owner(
        rows,
        &today,
        |org| orgs.get(org).cloned().unwrap_or_else(|| org.to_string()),
        |area| {
            districts
                .get(area)
                .map_or_else(|| area.to_string(), |d| d.name.clone())
        },
    );
    let who = person.user.principal();
    let snap = state.snapshot.borrow();
    for item in owners.iter_mut().flat_map(|o| o.actions.iter_mut()) {
        item.writable = item
            .doc_id
            .parse()
            .is_ok_and(|id| snap.decide(&who, &id).can_write());
    }
    drop(snap);
    Ok(Json(ActionsBody { today, owners }))
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

#[derive(Serialize)]
struct StatusChanged {
    status: String,
    /// The change's hash, or none when the action already had this status.
    change: Option<String>,
}

/// Changes an action's status: an ordinary Automerge change, made through
/// the sync engine, stored before this answers and sent to every device
/// that follows the action. Only someone the access table lets write the
/// action may (PRODUCT §3: the responsible organisation's people who
/// record, the proposing organisation's coordinators); a reader is refused
/// with 403, anyone else hears of no such action. The body must be JSON,
/// which a form on another site cannot send (with the `SameSite=Strict`
/// cookie, the guard against cross-site requests).
async fn set_action_status(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Result<Json<StatusBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<StatusChanged>, ApiError> {
    let Json(body) = body?;
    let doc: trygg_core::DocId = id.parse().map_err(|_| ApiError::not_found())?;
    let access = state
        .snapshot
        .borrow()
        .decide(&person.user.principal(), &doc);
    if !access.can_read() {
        return Err(ApiError::not_found());
    }
    if !access.can_write() {
        return Err(ApiError::forbidden(
            "you may follow this action but not change it: its responsible organisation \
             or the proposing organisation's coordinators can",
        ));
    }
    let status: ActionStatus = body
        .status
        .parse()
        .map_err(|e: String| ApiError::bad_request(format!("status: {e}")))?;
    let change = state
        .engine
        .edit(doc, move |tx| {
            trygg_core::edit::set_action_status(tx, status)
        })
        .await
        .map_err(|e| edit_refused(e, "this action"))?;
    let change = change.map(|h| h.to_string());
    tracing::info!(user = %person.user.id, %doc, %status, "dashboard: action status changed");
    // So that the page, asking again now, shows what it just did.
    let indexed = state
        .index
        .wait_for_action_status(&doc.to_string(), status.as_str(), INDEXED_WITHIN)
        .await
        .map_err(ApiError::internal)?;
    if !indexed {
        tracing::warn!(%doc, "the index did not show a status change within {INDEXED_WITHIN:?}; open pages hear of it when it does");
    }
    audit_doc(
        &state,
        &person.user,
        from,
        Action::Edit,
        Some(doc),
        Some(format!("status={status}")),
    );
    Ok(Json(StatusChanged {
        status: status.to_string(),
        change,
    }))
}

/// What a person is told when the engine did not make their edit of
/// `what` (a document that exists).
fn edit_refused(e: EditError, what: &str) -> ApiError {
    match e {
        EditError::NotFound => ApiError::not_found(),
        EditError::Refused(e) => ApiError::bad_request(e.to_string()),
        EditError::Unavailable(reason) => {
            ApiError::conflict(format!("{what} cannot be changed now: {reason}"))
        }
        // Only creating a document can meet these; an edit of one that
        // exists never does, but if it did the change was not made.
        EditError::Exists | EditError::Empty | EditError::Storage(_) | EditError::Stopped => {
            ApiError::unavailable(format!("the change was not made: {e}; try again"))
        }
    }
}

/// Organisations' names by id, from the access table.
fn org_names(state: &AppState) -> std::collections::BTreeMap<String, String> {
    state
        .snapshot
        .borrow()
        .orgs
        .iter()
        .map(|(id, o)| (id.clone(), o.name.clone()))
        .collect()
}

#[derive(Serialize)]
struct MapBody {
    week: String,
    /// Partners' observations left off (too few in their cells); `None`
    /// when that number is itself too small to publish.
    withheld: Option<u32>,
    /// The vocabulary's groups, in order, for colouring by category.
    groups: Vec<Named>,
    /// Raster tiles to draw under the outlines, when an operator configured them.
    tiles: Option<tiles::TileSource>,
    #[serde(flatten)]
    view: map::MapView,
}

/// The documents `user` may read now, by their ids' text (as the index
/// keys them), each with whether another organisation owns it (then
/// `user` sees what it holds only in aggregates, see [`suppress`]).
fn readable(state: &AppState, user: &User) -> HashMap<String, bool> {
    let who = user.principal();
    let snap = state.snapshot.borrow();
    snap.documents
        .iter()
        .filter(|(id, _)| snap.decide(&who, id).can_read())
        .map(|(id, record)| (id.to_string(), record.access.owner_org != user.org))
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
