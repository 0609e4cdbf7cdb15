//! `GET /metrics`: what the engine counts, in the Prometheus text format
//! (OpenMetrics 1.0, which Prometheus scrapes), for the operator's
//! monitoring. Counts and durations only: no document, device or person is
//! named, so it needs no login; an operator who wants it private blocks the
//! path at the reverse proxy.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use trygg_engine::Engine;

use crate::http::ApiError;
use crate::serve::AppState;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let text = render(&state.engine).map_err(ApiError::internal)?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        text,
    )
        .into_response())
}

/// The engine's figures now, as the text a scraper reads.
pub fn render(engine: &Engine) -> Result<String, std::fmt::Error> {
    let stats = engine.stats();
    let (loaded, idle) = engine.slots();
    let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
    let gauge = |n: u64| ConstGauge::new(i64::try_from(n).unwrap_or(i64::MAX));
    let mut r = Registry::with_prefix("trygg");
    r.register(
        "connected_devices",
        "Open sync connections",
        gauge(read(&stats.connections)),
    );
    r.register(
        "loaded_documents",
        "Documents held in memory with a task of their own",
        gauge(loaded as u64),
    );
    r.register(
        "idle_documents",
        "Documents evicted from memory whose subscribers are kept",
        gauge(idle as u64),
    );
    let counters = [
        (
            "sync_messages_received",
            "Sync frames received from devices",
            &stats.frames_in,
        ),
        (
            "sync_messages_sent",
            "Sync frames sent to devices",
            &stats.frames_out,
        ),
        (
            "storage_commits",
            "Group commits of document changes",
            &stats.commits,
        ),
        (
            "storage_failed_commits",
            "Commits that failed (nothing was acknowledged)",
            &stats.failed_commits,
        ),
        (
            "storage_chunks_stored",
            "Document chunks written",
            &stats.chunks_stored,
        ),
        (
            "documents_evicted",
            "Documents dropped from memory after being idle",
            &stats.evictions,
        ),
        (
            "documents_refused",
            "Times a document was refused for content that contradicts its registration",
            &stats.refused_documents,
        ),
        (
            "index_updates",
            "Times a document's index rows were derived from memory",
            &stats.indexed,
        ),
    ];
    for (name, help, n) in counters {
        r.register(name, help, ConstCounter::new(read(n)));
    }
    r.register(
        "sync_messages_refused",
        "Messages refused, by reason (no_access: a document the device may not read)",
        stats.refused_messages.clone(),
    );
    r.register(
        "storage_write_seconds",
        "How long a document waited for its changes to be committed (fsync included)",
        stats.write_seconds.0.clone(),
    );
    let mut text = String::new();
    encode(&mut text, &r)?;
    Ok(text)
}
