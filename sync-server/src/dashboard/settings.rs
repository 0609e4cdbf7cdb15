//! An organisation's settings, as its people see them and its coordinators
//! change them (`registry::settings`): today whether its exports carry the
//! notes of its own observations. Who may change them is the access rules'
//! [`access::may_change_settings`].

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use serde::{Deserialize, Serialize};
use trygg_core::Timestamp;
use trygg_core::access;

use super::{Person, audit};
use crate::audit::Action;
use crate::http::ApiError;
use crate::registry::settings::OrgSettings;
use crate::serve::AppState;

/// What the page shows.
#[derive(Serialize)]
pub(super) struct SettingsBody {
    /// Exports carry the notes of the organisation's own observations.
    export_notes: bool,
    /// Whether this person may change the settings.
    may_change: bool,
    /// Who changed them last, and when (milliseconds); absent while unchanged.
    changed_by: Option<String>,
    changed_at: Option<i64>,
}

/// A change of settings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Change {
    export_notes: bool,
}

fn body(person: &Person, settings: OrgSettings) -> SettingsBody {
    let (changed_by, changed_at) = settings
        .changed
        .map_or((None, None), |(by, at)| (Some(by), Some(at.millis())));
    SettingsBody {
        export_notes: settings.export_notes,
        may_change: access::may_change_settings(&person.user.principal(), &person.user.org),
        changed_by,
        changed_at,
    }
}

/// The person's organisation's settings.
pub(super) async fn get_settings(
    State(state): State<Arc<AppState>>,
    person: Person,
) -> Result<Json<SettingsBody>, ApiError> {
    let settings = state
        .registry
        .org_settings(&person.user.org)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(body(&person, settings)))
}

/// Changes the person's organisation's settings: its coordinators only.
pub(super) async fn put_settings(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    change: Result<Json<Change>, JsonRejection>,
) -> Result<Json<SettingsBody>, ApiError> {
    let Json(change) = change?;
    let user = &person.user;
    if !access::may_change_settings(&user.principal(), &user.org) {
        return Err(ApiError::forbidden(
            "only your organisation's coordinators can change its settings",
        ));
    }
    state
        .registry
        .set_export_notes(&user.org, change.export_notes, &user.name, Timestamp::now())
        .await
        .map_err(ApiError::internal)?;
    let on = if change.export_notes { "on" } else { "off" };
    audit(
        &state,
        user,
        from,
        Action::Settings,
        Some(format!("export_notes={on}")),
    );
    tracing::info!(user = %user.id, org = %user.org, export_notes = change.export_notes, "organisation settings changed");
    get_settings(State(state), person).await
}
