//! Tauri commands: each forwards to [`Field`] and nothing more.

use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, Emitter, State};
use trygg_sync::client::SyncStatus;

use crate::AppState;
use crate::dto::*;
use crate::error::{AppError, Result};
use crate::field::{Field, Saved};

/// Runs a command that reads the device's store (SQLite) on the blocking
/// pool, off the async threads that the other commands and sync share.
async fn on_store<R: Send + 'static>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&Field) -> Result<R> + Send + 'static,
) -> Result<R> {
    let field = state.field.clone();
    tauri::async_runtime::spawn_blocking(move || f(&field))
        .await
        .map_err(|e| AppError::Other(format!("a background task failed: {e}")))?
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo> {
    Ok(state.field.info())
}

/// The UI calls this once its first screen is drawn; the time since the
/// process started is logged and kept for the e2e test to read.
#[tauri::command]
pub fn app_ready(state: State<'_, AppState>) -> u64 {
    let ms = *state
        .ready_ms
        .get_or_init(|| state.started.elapsed().as_millis() as u64);
    tracing::info!(ms, "first screen ready");
    ms
}

/// The offline basemap the dashboard draws too (`trygg-basemap`): one JSON
/// text, `{"districts": <GeoJSON>, "water": <GeoJSON>}`, made once.
#[tauri::command]
pub fn basemap() -> &'static str {
    static BASEMAP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            r#"{{"districts":{},"water":{}}}"#,
            trygg_basemap::DISTRICTS_GEOJSON,
            trygg_basemap::WATER_GEOJSON
        )
    });
    &BASEMAP
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, language: String) -> Result<()> {
    state.field.set_language(&language)
}

#[tauri::command]
pub async fn pair(
    app: AppHandle,
    state: State<'_, AppState>,
    server: String,
    token: String,
) -> Result<AppInfo> {
    let info = state.field.pair(&server, &token).await?;
    crate::forward_status(app, state.field.clone());
    crate::settle_offline_walks(state.field.clone());
    Ok(info)
}

#[tauri::command]
pub async fn continue_offline(
    app: AppHandle,
    state: State<'_, AppState>,
    organisation: String,
) -> Result<AppInfo> {
    let info = state.field.continue_offline(&organisation).await?;
    crate::forward_status(app, state.field.clone());
    Ok(info)
}

#[tauri::command]
pub async fn builtin_organisations(state: State<'_, AppState>) -> Result<Vec<OrgView>> {
    Ok(state.field.builtin_organisations())
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus> {
    state.field.status().await
}

#[tauri::command]
pub async fn directory(state: State<'_, AppState>) -> Result<DirectoryView> {
    on_store(&state, |f| f.directory_view()).await
}

#[tauri::command]
pub async fn vocabulary(state: State<'_, AppState>) -> Result<VocabularyView> {
    on_store(&state, |f| f.vocabulary_view()).await
}

#[tauri::command]
pub async fn templates(state: State<'_, AppState>) -> Result<Vec<TemplateChoice>> {
    state.field.templates().await
}

#[tauri::command]
pub async fn walks(state: State<'_, AppState>, query: WalkQuery) -> Result<WalkPage> {
    on_store(&state, |f| f.walks(query)).await
}

#[tauri::command]
pub async fn start_walk(state: State<'_, AppState>, input: StartWalk) -> Result<String> {
    state.field.start_walk(input).await
}

#[tauri::command]
pub async fn walk(state: State<'_, AppState>, id: String) -> Result<WalkView> {
    state.field.walk(&id).await
}

/// What changed in the walk on screen since the heads it shows.
#[tauri::command]
pub async fn walk_update(
    state: State<'_, AppState>,
    id: String,
    heads: Vec<String>,
) -> Result<WalkUpdate> {
    state.field.walk_update(&id, &heads).await
}

/// Sends `doc-changed` with the id whenever the walk changes, here or on
/// another device, until another document is watched.
/// How long a document must be quiet before the open screen refreshes.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(120);

#[tauri::command]
pub async fn watch_document(app: AppHandle, state: State<'_, AppState>, id: String) -> Result<()> {
    let mut changes = state.field.changes(&id).await?;
    let task = tauri::async_runtime::spawn(async move {
        while changes.recv().await.is_some() {
            // A burst (typing, a sync catching up) becomes one refresh once it
            // pauses: reading the whole walk holds its lock, which the next
            // keystroke's save would otherwise wait for.
            loop {
                match tokio::time::timeout(SETTLE, changes.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            if let Err(e) = app.emit("doc-changed", &id) {
                // The window is gone (closing): nobody is left to refresh.
                tracing::warn!(error = %e, doc = %id, "could not tell the screen the walk changed");
                return;
            }
        }
    });
    if let Some(old) = state
        .watching
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .replace(task)
    {
        old.abort();
    }
    Ok(())
}

#[tauri::command]
pub async fn answer(
    state: State<'_, AppState>,
    walk: String,
    item: String,
    answer: Option<AnswerInput>,
) -> Result<()> {
    state.field.answer(&walk, &item, answer).await
}

#[tauri::command]
pub async fn answer_text(
    state: State<'_, AppState>,
    walk: String,
    item: String,
    before: String,
    text: String,
) -> Result<()> {
    state.field.answer_text(&walk, &item, &before, &text).await
}

#[tauri::command]
pub async fn set_walk_status(
    state: State<'_, AppState>,
    walk: String,
    status: String,
) -> Result<()> {
    state.field.set_walk_status(&walk, &status).await
}

#[tauri::command]
pub async fn add_observation(
    state: State<'_, AppState>,
    target: ObservationTarget,
    input: ObservationInput,
) -> Result<Saved> {
    state.field.add_observation(target, input).await
}

#[tauri::command]
pub async fn set_note(
    state: State<'_, AppState>,
    doc: String,
    observation: String,
    before: String,
    text: String,
) -> Result<()> {
    state
        .field
        .set_note(&doc, &observation, &before, &text)
        .await
}

#[tauri::command]
pub async fn set_severity(
    state: State<'_, AppState>,
    doc: String,
    observation: String,
    severity: u8,
) -> Result<()> {
    state.field.set_severity(&doc, &observation, severity).await
}

#[tauri::command]
pub async fn recent_reports(state: State<'_, AppState>) -> Result<Vec<ReportSummary>> {
    on_store(&state, |f| f.recent_reports()).await
}

/// The photo's bytes arrive as the raw request body (no JSON number arrays),
/// its media type in the `media-type` header.
#[tauri::command]
pub async fn add_photo(state: State<'_, AppState>, request: Request<'_>) -> Result<PhotoView> {
    let media_type = request
        .headers()
        .get("media-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes: std::borrow::Cow<'_, [u8]> = match request.body() {
        InvokeBody::Raw(bytes) => bytes.into(),
        // Where the webview cannot use the custom IPC protocol, Tauri falls
        // back to JSON: the bytes arrive as an array of numbers.
        InvokeBody::Json(serde_json::Value::Array(values)) => values
            .iter()
            .map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| AppError::Other("the photo's bytes were malformed".into()))?
            .into(),
        InvokeBody::Json(_) => return Err(AppError::Other("expected the photo's bytes".into())),
    };
    state.field.add_photo(&bytes, &media_type).await
}

#[tauri::command]
pub async fn photo(state: State<'_, AppState>, sha256: String) -> Result<Response> {
    Ok(Response::new(state.field.photo(&sha256).await?))
}

#[tauri::command]
pub async fn propose_action(state: State<'_, AppState>, input: ProposeAction) -> Result<String> {
    state.field.propose_action(input).await
}

#[tauri::command]
pub async fn actions(state: State<'_, AppState>) -> Result<Vec<ActionView>> {
    on_store(&state, |f| f.actions()).await
}

#[tauri::command]
pub async fn set_action_status(
    state: State<'_, AppState>,
    action: String,
    status: String,
) -> Result<()> {
    state.field.set_action_status(&action, &status).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_basemap_is_one_json_text_with_the_districts_and_the_water() {
        let map: serde_json::Value = serde_json::from_str(super::basemap()).unwrap();
        let districts = map["districts"]["features"].as_array().unwrap();
        assert_eq!(districts.len(), 11);
        assert!(districts.iter().any(|d| d["properties"]["code"] == "jarva"));
        assert!(!map["water"]["features"].as_array().unwrap().is_empty());
    }
}
