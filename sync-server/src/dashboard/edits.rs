//! Changes the dashboard makes to documents: each is a CRDT edit the sync
//! engine makes (`Engine::edit`: stored before it is applied, then sent to
//! every device following the document), audited, and answered once the
//! index shows it, so the page's next read sees what it just did. A new
//! document (a decision, a planned walk, a template) is registered in the
//! access table first and then written the same way.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use trygg_core::DocId;
use trygg_core::access::{self, DocAccess};
use trygg_engine::EditError;

use super::{INDEXED_WITHIN, Person, audit_doc, edit_refused};
use crate::audit::Action;
use crate::http::{ApiError, refusal};
use crate::registry::RegistryError;
use crate::serve::AppState;

/// Registers a new document with `facts` (the access rules'
/// [`access::may_register`] decides whether `person` may) and writes its
/// first change with `write` through the engine; audited with `what`,
/// answered once the index shows it, with the change made. `subject` names it in an error
/// ("the walk was not planned").
pub(super) async fn create_doc(
    state: &AppState,
    person: &Person,
    from: SocketAddr,
    facts: DocAccess,
    what: String,
    subject: &str,
    write: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), trygg_core::DocError>
    + Send
    + 'static,
) -> Result<automerge::ChangeHash, ApiError> {
    let who = person.user.principal();
    let id = facts.id;
    access::may_register(&who, &facts).map_err(refusal)?;
    match state.register_new(facts, &who.device_id).await {
        Ok(_) => {}
        // A random id taken already: vanishingly rare, and nothing was made.
        Err(RegistryError::Conflict(_)) => {
            return Err(ApiError::conflict(format!("{subject}; try again")));
        }
        Err(e) => return Err(ApiError::internal(e)),
    }
    let change = state.engine.create(id, write).await.map_err(|e| match e {
        EditError::Refused(e) => ApiError::bad_request(e.to_string()),
        // Registered, with nothing written: the document stays empty and
        // unlisted in every view; the person is told to try again.
        other => {
            tracing::error!(doc = %id, %other, "a new document was registered but not written");
            ApiError::unavailable(format!("{subject}: {other}; try again"))
        }
    })?;
    tracing::info!(user = %person.user.id, doc = %id, "dashboard: {what}");
    audit_doc(
        state,
        &person.user,
        from,
        Action::Register,
        Some(id),
        Some(what),
    );
    // So that the page, asking again now, lists it.
    let indexed = state
        .index
        .wait_for_head(id, change, INDEXED_WITHIN)
        .await
        .map_err(ApiError::internal)?;
    if !indexed {
        tracing::warn!(doc = %id, "the index did not show a new document within {INDEXED_WITHIN:?}");
    }
    Ok(change)
}

/// Runs `edit` on document `doc` through the engine (the caller has
/// decided that `person` may) and returns what it returned. `what` is the
/// log and audit line; `subject` names the document in a refusal.
pub(super) async fn edit_doc<T: Send + 'static>(
    state: &AppState,
    person: &Person,
    from: SocketAddr,
    doc: DocId,
    what: String,
    subject: &str,
    edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<T, trygg_core::DocError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let made = Arc::new(Mutex::new(None));
    let out = made.clone();
    let change = state
        .engine
        .edit(doc, move |tx| {
            let value = edit(tx)?;
            *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            Ok(())
        })
        .await
        .map_err(|e| edit_refused(e, subject))?;
    let value = made
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .ok_or_else(|| ApiError::internal(format!("an edit of {subject} ran without an answer")))?;
    tracing::info!(user = %person.user.id, %doc, "dashboard: {what}");
    audit_doc(
        state,
        &person.user,
        from,
        Action::Edit,
        Some(doc),
        Some(what),
    );
    if let Some(change) = change {
        let indexed = state
            .index
            .wait_for_head(doc, change, INDEXED_WITHIN)
            .await
            .map_err(ApiError::internal)?;
        if !indexed {
            tracing::warn!(%doc, "the index did not show an edit of {subject} within {INDEXED_WITHIN:?}");
        }
    }
    Ok(value)
}

/// `doc` when the access table lets `person` write it; otherwise why not,
/// naming `what` it is (the vocabulary, the directory).
pub(super) fn may_write(
    state: &AppState,
    person: &Person,
    doc: DocId,
    what: &str,
) -> Result<DocId, String> {
    let access = state
        .snapshot
        .borrow()
        .decide(&person.user.principal(), &doc);
    if access.can_write() {
        Ok(doc)
    } else {
        Err(format!(
            "only the coordinators of the organisation that keeps {what} may change it"
        ))
    }
}
