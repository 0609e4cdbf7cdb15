//! The HTTP side: `/healthz`, `/api/v1/…` (JSON, bearer auth) and the
//! `/sync` upgrade. Handlers are short: they authenticate, ask the access
//! rules, and delegate.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use trygg_core::{DocId, Timestamp};
use trygg_sync::access::{self, Access, DocAccess};
use trygg_sync::api::{
    DocumentInfo, ErrorBody, Me, PhotoStored, RegisterDocument, SetSharing, peer_id_of,
};
use trygg_sync::photo::{MEDIA_TYPES, PhotoError, is_sha256_hex, metadata_found, sha256_hex};

use crate::audit::{Action, Entry};
use crate::registry::{Device, DocRecord, Inactive, RegistryError, token_hash};
use crate::serve::AppState;
use crate::snapshot::{self, Snapshot};

type AppResult<T> = Result<T, ApiError>;

/// An error answer: a status and `{"error": "…"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds, for `Retry-After`.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    pub(crate) fn too_many_unknown_tokens(wait: Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self {
            retry_after: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many unknown tokens from this address; try again in {secs} s \
                     (check the device token with your coordinator)"
                ),
            )
        }
    }
    pub(crate) fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    /// Every problem with a request's fields, each under its path, in one
    /// message (`route_name: must not be empty; area: no district …`).
    pub(crate) fn invalid(e: trygg_core::error::ValidationErrors) -> Self {
        Self::bad_request(
            e.0.iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
    pub(crate) fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, m)
    }
    pub(crate) fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, m)
    }
    pub(crate) fn unsupported_media_type(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, m)
    }
    pub(crate) fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, m)
    }
    pub(crate) fn unavailable(m: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, m)
    }
    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not found")
    }
    /// A 404 that says what is missing: only for something the asker may
    /// know is missing (never to tell unknown ids from foreign ones).
    pub(crate) fn not_found_because(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, m)
    }
    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        Self::new(r.status(), r.body_text())
    }
}

/// Largest JSON body the API reads.
const MAX_JSON_BYTES: usize = 64 * 1024;

/// HSTS over TLS: browsers keep to HTTPS for a year once they have seen it.
const HSTS: &str = "max-age=31536000";

/// The routes; `tls` adds `Strict-Transport-Security` to every answer.
pub fn router(state: Arc<AppState>, tls: bool) -> Router {
    let photo_limit = usize::try_from(state.args.max_photo_bytes).unwrap_or(usize::MAX);
    let api = Router::new()
        .route("/me", get(me))
        .route("/documents", get(list_documents).post(register_document))
        .route("/documents/{id}", get(get_document).patch(set_sharing))
        .route(
            "/photos/{sha256}",
            put(put_photo)
                .get(get_photo)
                .layer(DefaultBodyLimit::max(photo_limit)),
        )
        .fallback(|| async { ApiError::not_found() })
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES));
    let router = Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/sync", get(sync))
        .nest("/api/v1", api)
        .merge(crate::dashboard::router())
        .with_state(state);
    if tls {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><meta charset=utf-8><title>Trygg</title>\
         <h1>Trygg</h1><p>Synkserver för trygghetsvandringar. \
         <a href=\"/dashboard/\">Lägesbilden</a> (logga in med länken du fått).</p>",
    )
}

/// A token the snapshot does not know: perhaps a device `admin` added
/// moments ago in another process. Looked up in the registry (bringing the
/// snapshot along when found), unless this address has presented too many
/// unknown tokens lately (`auth_limit`).
async fn lookup_unknown(state: &AppState, hash: &str, from: IpAddr) -> AppResult<Device> {
    // Logged once when the address goes over, not for every request after:
    // a flood of guesses must not flood the log.
    state.unknown_tokens.check(from).map_err(|wait| {
        tracing::debug!(%from, ?wait, "unknown token refused: the address is over its limit");
        ApiError::too_many_unknown_tokens(wait)
    })?;
    let found = state
        .registry
        .device_by_token_hash(hash)
        .await
        .map_err(ApiError::internal)?;
    match found {
        Some(device) => {
            snapshot::refresh_now(state.registry.as_ref(), &state.snapshot).await;
            Ok(device)
        }
        None => {
            state.unknown_tokens.unknown(from).map_err(|wait| {
                tracing::warn!(%from, ?wait, "too many unknown tokens from this address: refused for a while");
                ApiError::too_many_unknown_tokens(wait)
            })?;
            Err(ApiError::unauthorized("invalid token"))
        }
    }
}

/// The TCP peer's address (the server is served with connect info).
fn peer_ip(parts: &Parts) -> IpAddr {
    match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => addr.ip(),
        // Only a router driven without a listener (none in this binary).
        None => IpAddr::from([0, 0, 0, 0]),
    }
}

/// Appends to the audit trail what `device` did from `from`.
fn audit(
    state: &AppState,
    device: &Device,
    from: SocketAddr,
    action: Action,
    doc: Option<DocId>,
    detail: Option<String>,
) {
    state.audit.record(Entry {
        at: Timestamp::now(),
        actor: device.id.clone(),
        org: device.org.clone(),
        action,
        doc,
        detail,
        origin: from.ip().to_string(),
    });
}

/// The device a request's bearer token belongs to, if it may act now.
#[derive(Debug)]
pub struct Authed(pub Device);

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn authenticate(state: &AppState, token: Option<&str>, from: IpAddr) -> AppResult<Device> {
    let token = token.ok_or_else(|| {
        ApiError::unauthorized("missing token: send `Authorization: Bearer <device token>`")
    })?;
    let hash = token_hash(token);
    let known = state.snapshot.borrow().device_by_token_hash(&hash).cloned();
    let device = match known {
        Some(d) => d,
        None => lookup_unknown(state, &hash, from).await?,
    };
    let inactive = state
        .snapshot
        .borrow()
        .inactive(&device.id)
        .or(device.inactive(Timestamp::now()));
    match inactive {
        None => Ok(device),
        Some(Inactive::Revoked) => Err(ApiError::unauthorized(
            "token revoked; ask your coordinator for a new device token",
        )),
        Some(Inactive::Expired) => Err(ApiError::unauthorized(
            "token expired; ask your coordinator for a new device token",
        )),
    }
}

impl FromRequestParts<Arc<AppState>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> AppResult<Self> {
        authenticate(state, bearer(&parts.headers), peer_ip(parts))
            .await
            .map(Authed)
    }
}

async fn me(Authed(device): Authed) -> Json<Me> {
    Json(Me {
        peer_id: peer_id_of(&device.id),
        device_id: device.id,
        organisation: device.org,
        role: device.role,
        name: device.name,
    })
}

fn info(record: &DocRecord, access: Access) -> DocumentInfo {
    DocumentInfo {
        doc: record.access.clone(),
        access,
        updated_at: record.updated_at.to_rfc3339(),
        replaces: record.replaces,
    }
}

/// What `device` may read, newest first; with `since`, only entries that
/// changed at or after it (new, updated, or shared differently).
fn visible(snap: &Snapshot, device: &Device, since: Option<Timestamp>) -> Vec<DocumentInfo> {
    let who = device.principal();
    let mut docs: Vec<(i64, DocumentInfo)> = snap
        .documents
        .values()
        .filter(|r| r.replaced_by.is_none())
        .filter(|r| since.is_none_or(|t| r.updated_at >= t))
        .filter_map(|r| {
            let access = access::decide(&who, &r.access);
            access.can_read().then(|| (r.updated_at.0, info(r, access)))
        })
        .collect();
    docs.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.doc.id.to_string().cmp(&b.1.doc.id.to_string()))
    });
    docs.into_iter().map(|(_, d)| d).collect()
}

async fn list_documents(
    State(state): State<Arc<AppState>>,
    Authed(device): Authed,
    Query(query): Query<HashMap<String, String>>,
) -> AppResult<Json<Vec<DocumentInfo>>> {
    let since = query
        .get("since")
        .map(|s| Timestamp::parse_rfc3339(s).map_err(ApiError::bad_request))
        .transpose()?;
    Ok(Json(visible(&state.snapshot.borrow(), &device, since)))
}

/// A document id, bare or as an `automerge:` URL (`DocId`'s parser takes both).
fn parse_doc_id(raw: &str) -> AppResult<DocId> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("`{raw}` is not a document id")))
}

async fn get_document(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Authed(device): Authed,
    Path(raw): Path<String>,
) -> AppResult<Json<DocumentInfo>> {
    let id = parse_doc_id(&raw)?;
    let snap = state.snapshot.borrow();
    let readable = snap.current(&id).and_then(|record| {
        let access = access::decide(&device.principal(), &record.access);
        access.can_read().then(|| info(record, access))
    });
    drop(snap);
    match readable {
        Some(info) => Ok(Json(info)),
        None => {
            audit(&state, &device, from, Action::Refused, Some(id), None);
            // Same answer as an unknown id: existence is not revealed.
            Err(ApiError::not_found())
        }
    }
}

/// A refusal of the access rules as an HTTP answer.
pub(crate) fn refusal(r: access::RegisterRefusal) -> ApiError {
    use trygg_sync::access::RegisterRefusal::*;
    match r {
        RoleCannotCreate { .. } | CoordinatorOnly { .. } | NotOwner => {
            ApiError::forbidden(r.to_string())
        }
        _ => ApiError::bad_request(r.to_string()),
    }
}

/// Organisations that must exist, or a 400 naming the unknown ones.
fn known_orgs<'a>(snap: &Snapshot, orgs: impl Iterator<Item = &'a String>) -> AppResult<()> {
    let unknown: Vec<&str> = orgs
        .filter(|o| !snap.orgs.contains_key(*o))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "unknown organisation(s): {}",
            unknown.join(", ")
        )))
    }
}

async fn set_sharing(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Authed(device): Authed,
    Path(raw): Path<String>,
    body: Result<Json<SetSharing>, JsonRejection>,
) -> AppResult<Json<DocumentInfo>> {
    let id = parse_doc_id(&raw)?;
    let Json(SetSharing { shared_with }) = body?;
    let who = device.principal();
    let refused = |e: ApiError| {
        audit(
            &state,
            &device,
            from,
            Action::Refused,
            Some(id),
            Some("share".into()),
        );
        e
    };
    let mut doc = {
        let snap = state.snapshot.borrow();
        let record = snap
            .current(&id)
            .filter(|record| access::decide(&who, &record.access).can_read());
        let Some(record) = record.cloned() else {
            drop(snap);
            return Err(refused(ApiError::not_found()));
        };
        known_orgs(&snap, shared_with.iter())?;
        record
    };
    access::may_share(&who, &doc.access).map_err(|r| refused(refusal(r)))?;
    doc.access.shared_with = shared_with.into_iter().filter(|o| *o != who.org).collect();
    state
        .registry
        .set_sharing(&id, &doc.access.shared_with)
        .await
        .map_err(ApiError::internal)?;
    snapshot::refresh_now(state.registry.as_ref(), &state.snapshot).await;
    tracing::info!(doc = %id, shared_with = ?doc.access.shared_with, device = %device.id, "sharing changed");
    audit(
        &state,
        &device,
        from,
        Action::Share,
        Some(id),
        Some(shared_with_detail(&doc.access)),
    );
    let access = access::decide(&who, &doc.access);
    Ok(Json(info(&doc, access)))
}

/// Who a document is shared with, for the audit trail (organisation ids).
fn shared_with_detail(doc: &DocAccess) -> String {
    let orgs: Vec<&str> = doc.shared_with.iter().map(String::as_str).collect();
    format!("shared_with={}", orgs.join(","))
}

async fn register_document(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Authed(device): Authed,
    body: Result<Json<RegisterDocument>, JsonRejection>,
) -> AppResult<(StatusCode, Json<DocumentInfo>)> {
    let Json(reg) = body?;
    let doc = reg.facts(&device.org);
    access::may_register(&device.principal(), &doc).map_err(refusal)?;
    known_orgs(
        &state.snapshot.borrow(),
        doc.shared_with.iter().chain(doc.responsible_org.iter()),
    )?;
    let record = match state.register_new(doc, &device.id).await {
        Ok(record) => record,
        Err(RegistryError::Conflict(_)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "conflict"));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    tracing::info!(doc = %record.access.id, kind = %record.access.kind, device = %device.id, "document registered");
    let doc = &record.access;
    audit(
        &state,
        &device,
        from,
        Action::Register,
        Some(doc.id),
        Some(format!(
            "kind={} restricted={} {}",
            doc.kind,
            doc.restricted,
            shared_with_detail(doc)
        )),
    );
    let access = access::decide(&device.principal(), &record.access);
    Ok((StatusCode::CREATED, Json(info(&record, access))))
}

fn check_photo_name(sha256: &str) -> AppResult<()> {
    if is_sha256_hex(sha256) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a photo is named by the SHA-256 of its bytes: 64 lowercase hex digits",
        ))
    }
}

async fn put_photo(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Authed(device): Authed,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<(StatusCode, Json<PhotoStored>)> {
    check_photo_name(&sha256)?;
    if device.role == access::Role::Viewer || device.role == access::Role::Admin {
        return Err(ApiError::forbidden(format!(
            "a {} device cannot upload photos",
            device.role
        )));
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !MEDIA_TYPES.contains(&media) {
        let refused = if matches!(media, "image/heic" | "image/heif") {
            PhotoError::Heic
        } else {
            PhotoError::UnsupportedType(media.to_string())
        };
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            refused.to_string(),
        ));
    }
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("photo larger than {} bytes", state.args.max_photo_bytes),
            )
        } else {
            ApiError::from(r)
        }
    })?;
    let actual = sha256_hex(&bytes);
    if actual != sha256 {
        return Err(ApiError::bad_request(format!(
            "the bytes hash to {actual}, not {sha256}: the upload was damaged or misnamed"
        )));
    }
    let photos = state.photos.clone();
    let name = sha256.clone();
    let size = bytes.len() as u64;
    let media = media.to_string();
    let created = tokio::task::spawn_blocking(move || {
        // The name is the hash, so the server cannot strip: it refuses.
        match metadata_found(&bytes, &media) {
            Ok(found) if found.is_empty() => {}
            Ok(found) => return Ok(Err(PhotoError::Metadata(found))),
            Err(e) => return Ok(Err(e)),
        }
        photos.put(&name, &bytes).map(Ok)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?
    .map_err(|refused| {
        tracing::info!(device = %device.id, %refused, "photo refused");
        ApiError::bad_request(refused.to_string())
    })?;
    audit(
        &state,
        &device,
        from,
        Action::PhotoUpload,
        None,
        Some(format!("sha256={sha256}")),
    );
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(PhotoStored {
            sha256,
            size,
            created,
        }),
    ))
}

async fn get_photo(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Authed(device): Authed,
    Path(sha256): Path<String>,
) -> AppResult<Response> {
    check_photo_name(&sha256)?;
    // Only through a document the device may read; otherwise the same answer
    // as for a photo that does not exist.
    let snapshot = state.snapshot.clone();
    let principal = device.principal();
    let readable = state
        .photo_refs
        .any_readable(&sha256, |doc| {
            snapshot.borrow().decide(&principal, doc).can_read()
        })
        .await
        .map_err(|e| ApiError::internal(format!("{e:#}")))?;
    let detail = Some(format!("sha256={sha256}"));
    if !readable {
        audit(&state, &device, from, Action::Refused, None, detail);
        return Err(ApiError::not_found());
    }
    audit(&state, &device, from, Action::PhotoRead, None, detail);
    let photos = state.photos.clone();
    let name = sha256.clone();
    let bytes = tokio::task::spawn_blocking(move || photos.get(&name))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A connection's initial read buffer (tungstenite allocates 128 KiB by default).
const READ_BUFFER_BYTES: usize = 4096;

/// `GET /sync`: authenticates, then upgrades with explicit size limits.
async fn sync(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> AppResult<Response> {
    // Browsers cannot set headers on a WebSocket: they send `?token=`.
    let token = bearer(&headers).or(query.get("token").map(String::as_str));
    let device = authenticate(&state, token, from.ip()).await?;
    let max = state.args.max_message_bytes;
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        // The read buffer grows for big messages; an idle device keeps a small one.
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_failed_upgrade(|e| tracing::warn!(error = %e, "WebSocket upgrade failed"))
        .on_upgrade(move |socket| crate::sync::serve_socket(state, socket, device, from.ip())))
}
