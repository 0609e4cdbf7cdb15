//! The Trygg field app: a Tauri 2 shell around [`field::Field`].
//!
//! * `field` — what the app does (store, sync, settings), no Tauri in it;
//! * `commands` — thin Tauri commands over `Field`;
//! * `dto` — the shapes that cross to the TypeScript UI;
//! * `bindings` — their TypeScript declarations (`ui/src/bindings.ts`);
//! * `settings` — the device's settings file.
//!
//! The data folder is Tauri's app data folder, or `TRYGG_APP_DATA` when set
//! (the demo and the end-to-end tests run several devices side by side).

pub mod bindings;
pub mod commands;
pub mod dto;
pub mod error;
pub mod field;
pub mod secret;
pub mod settings;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use tauri::{AppHandle, Emitter, Manager};

use crate::field::Field;

/// What every command can reach.
#[derive(Debug)]
pub struct AppState {
    pub field: Arc<Field>,
    pub started: Instant,
    pub ready_ms: OnceLock<u64>,
    /// The task sending `doc-changed` for the walk on screen.
    pub watching: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

/// Sends the sync indicator's content as `sync-status` events whenever it
/// changes, for the client running now (a new pairing starts a new one).
pub fn forward_status(app: AppHandle, field: Arc<Field>) {
    tauri::async_runtime::spawn(async move {
        let Some(mut rx) = field.status_updates().await else {
            return;
        };
        loop {
            let status = rx.borrow_and_update().clone();
            if app.emit("sync-status", &status).is_err() {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    });
}

/// Moves walks started offline to the server's checklist
/// ([`Field::move_offline_walks`]), trying again every 30 s while some wait
/// (the server unreachable, or its template not here yet). Ends at once on a
/// device that never recorded offline.
pub fn settle_offline_walks(field: Arc<Field>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match field.move_offline_walks().await {
                Ok(walks) if walks.stranded.is_empty() => return,
                Ok(walks) => tracing::warn!(
                    waiting = walks.stranded.len(),
                    "walks started offline still follow this device's own checklist; trying again in 30 s"
                ),
                Err(e) => {
                    tracing::warn!(%e, "could not move walks started offline to the server's checklist; trying again in 30 s")
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
    });
}

fn data_dir(app: &tauri::App) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("TRYGG_APP_DATA") {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
}

pub fn run() {
    let started = Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,samod=warn,samod_core=warn".into()),
        )
        .init();
    let app = tauri::Builder::default()
        .setup(move |app| {
            let dir = data_dir(app)?;
            tracing::info!(dir = %dir.display(), "opening the device's data");
            let field = tauri::async_runtime::block_on(Field::open(dir))
                .map_err(|e| anyhow::anyhow!("could not open the device's data: {e}"))?;
            let field = Arc::new(field);
            forward_status(app.handle().clone(), field.clone());
            settle_offline_walks(field.clone());
            app.manage(AppState {
                field,
                started,
                ready_ms: OnceLock::new(),
                watching: Mutex::new(None),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::app_ready,
            commands::set_language,
            commands::pair,
            commands::continue_offline,
            commands::builtin_organisations,
            commands::sync_status,
            commands::directory,
            commands::vocabulary,
            commands::templates,
            commands::walks,
            commands::start_walk,
            commands::walk,
            commands::walk_update,
            commands::watch_document,
            commands::basemap,
            commands::answer,
            commands::answer_text,
            commands::set_walk_status,
            commands::add_observation,
            commands::set_note,
            commands::set_severity,
            commands::recent_reports,
            commands::add_photo,
            commands::photo,
            commands::propose_action,
            commands::actions,
            commands::set_action_status,
        ])
        .build(tauri::generate_context!())
        .expect("the Tauri app could not be built");
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(state) = handle.try_state::<AppState>()
        {
            // Every edit is already on disk; this only lets samod finish its own writes.
            tauri::async_runtime::block_on(state.field.shutdown());
        }
    });
}
