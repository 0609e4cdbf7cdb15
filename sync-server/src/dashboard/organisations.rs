//! The directory's organisations in the dashboard, with how to reach them:
//! anyone logged in reads them; a coordinator the access table lets write
//! the directory sets an organisation's contact (an edit of the directory
//! document through the engine, sent to every device). The walk protocol
//! names the contact beside the actions an organisation is responsible for,
//! which matters most for one without devices (a small property owner).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use serde::{Deserialize, Serialize};
use trygg_core::DocId;
use trygg_core::edit::directory::set_contact;
use trygg_core::model::{Contact, Directory};

use super::Person;
use super::edits::{edit_doc, may_write};
use crate::http::ApiError;
use crate::serve::AppState;

#[derive(Serialize)]
pub(super) struct OrganisationView {
    id: String,
    name: String,
    kind: &'static str,
    contact: Option<Contact>,
    /// Whether the access table lists any device of it.
    has_devices: bool,
}

#[derive(Serialize)]
pub(super) struct Organisations {
    /// Whether this person may change contacts; when not, `why_not` says why.
    can_edit: bool,
    why_not: Option<String>,
    organisations: Vec<OrganisationView>,
}

pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    person: Person,
) -> Result<Json<Organisations>, ApiError> {
    let (doc, directory) = directory(&state).await?;
    let (can_edit, why_not) = match may_edit(&state, &person, doc) {
        Ok(_) => (true, None),
        Err(why) => (false, Some(why)),
    };
    let snapshot = state.snapshot.borrow().clone();
    let mut organisations: Vec<OrganisationView> = directory
        .organisations
        .into_values()
        .map(|o| OrganisationView {
            has_devices: snapshot
                .devices
                .values()
                .any(|d| d.org == o.id && crate::snapshot::active(d, snapshot.taken_at)),
            kind: o.kind.as_str(),
            id: o.id,
            name: o.name,
            contact: o.contact,
        })
        .collect();
    organisations.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(Organisations {
        can_edit,
        why_not,
        organisations,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContactBody {
    /// `None` removes the contact.
    contact: Option<Contact>,
}

pub(super) async fn set(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(org): Path<String>,
    body: Result<Json<ContactBody>, JsonRejection>,
) -> Result<Json<Organisations>, ApiError> {
    let Json(ContactBody { contact }) = body?;
    let (doc, _) = directory(&state).await?;
    let doc = may_edit(&state, &person, doc).map_err(ApiError::forbidden)?;
    let what = format!(
        "directory: contact of {org} {}",
        if contact.is_some() { "set" } else { "removed" }
    );
    edit_doc(
        &state,
        &person,
        from,
        doc,
        what,
        "the directory",
        move |tx| set_contact(tx, &org, contact.as_ref()),
    )
    .await?;
    list(State(state), person).await
}

/// The directory everyone reads: of those stored, the one with the lowest
/// id (a deployment has one).
async fn directory(state: &AppState) -> Result<(Option<DocId>, Directory), ApiError> {
    let mut all = state
        .index
        .directories()
        .await
        .map_err(ApiError::internal)?;
    Ok(if all.is_empty() {
        (None, Directory::default())
    } else {
        let (id, d) = all.remove(0);
        (Some(id), d)
    })
}

fn may_edit(state: &AppState, person: &Person, doc: Option<DocId>) -> Result<DocId, String> {
    let doc = doc.ok_or_else(|| "no directory is stored yet".to_string())?;
    may_write(state, person, doc, "the directory")
}
