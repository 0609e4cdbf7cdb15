//! `GET /sync`: one WebSocket per device, driven through the sync engine.
//!
//! The socket is authenticated before the upgrade (bearer header, or `?token=`
//! for browsers) and bound to the device's peer id. This task only moves
//! frames: inbound ones go to the engine's [`Connection`] (which checks them
//! and routes them to documents), outbound ones come from the documents the
//! device is subscribed to. A revoked or expired device's connection is
//! closed by the engine ([`AccessListener`]).

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use trygg_core::DocId;
use trygg_core::access::{self, Access, ContentCheck};
use trygg_engine::{AccessSource, Audit, Engine, Out, SyncEvent};

use crate::audit::{Action, AuditLog, Entry};
use crate::registry::{Device, Inactive};
use crate::serve::AppState;
use crate::snapshot::{Listener, Published};

/// The engine's access decisions: the published access table.
#[derive(Debug)]
pub struct SnapshotAccess(pub Published);

impl AccessSource for SnapshotAccess {
    fn access(&self, doc: &DocId, peer: &str) -> Access {
        self.0.borrow().access(doc, peer)
    }

    fn check_content(&self, doc: &DocId, content: &automerge::Automerge) -> ContentCheck {
        match self.0.borrow().current(doc) {
            Some(record) => access::check_content(&record.access, content),
            // Not registered: nobody may read or write it anyway.
            None => ContentCheck::Unreadable,
        }
    }
}

/// The engine's sync events, as audit entries of the device behind the peer.
#[derive(Debug)]
pub struct SyncAudit {
    pub log: AuditLog,
    pub snapshot: Published,
}

impl Audit for SyncAudit {
    fn record(&self, doc: &DocId, peer: &str, origin: &str, event: SyncEvent) {
        let (actor, org) = match self.snapshot.borrow().device_of_peer(peer) {
            Some(d) => (d.id.clone(), d.org.clone()),
            // Only authenticated devices connect; one deleted meanwhile is
            // still recorded, by its peer id.
            None => (peer.to_string(), String::new()),
        };
        self.log.record(Entry {
            at: trygg_core::Timestamp::now(),
            actor,
            org,
            action: match event {
                SyncEvent::Read => Action::Read,
                SyncEvent::Changed => Action::Change,
                SyncEvent::Refused => Action::Refused,
            },
            doc: Some(*doc),
            detail: None,
            origin: origin.to_string(),
        });
    }
}

/// Tells the engine what the access table changed.
#[derive(Debug)]
pub struct AccessListener(pub Engine);

impl Listener for AccessListener {
    fn documents_changed(&self, docs: Vec<DocId>) {
        self.0.access_changed(docs);
    }

    fn device_lost(&self, device_id: &str, why: Inactive) {
        tracing::info!(device = %device_id, ?why, "device lost access; closing its connections");
        self.0.disconnect_peer(
            &trygg_sync::api::peer_id_of(device_id),
            &format!("the device's token is {}", inactive_word(why)),
        );
    }
}

fn inactive_word(why: Inactive) -> &'static str {
    match why {
        Inactive::Revoked => "revoked",
        Inactive::Expired => "expired",
    }
}

/// Runs one authenticated socket until it closes or is closed.
///
/// Not an `async fn`: the setup runs here, and the future that lives as
/// long as the socket holds only what the loop needs, once (an `async fn`
/// would keep its arguments beside the locals moved out of them). Every
/// idle device keeps one such task.
pub fn serve_socket(
    state: Arc<AppState>,
    mut socket: WebSocket,
    device: Device,
    from: std::net::IpAddr,
) -> impl Future<Output = ()> + Send {
    let peer = trygg_sync::api::peer_id_of(&device.id);
    let (mut conn, mut outbox) = state.engine.connect(&peer, &from.to_string());
    tracing::info!(device = %device.id, org = %device.org, %from, "device connected");
    // A device revoked between its upgrade and now.
    let revoked = state.snapshot.borrow().inactive(&device.id);
    let device_id: Box<str> = device.id.into();
    drop(state);
    async move {
        if let Some(why) = revoked {
            tracing::info!(device = %device_id, ?why, "device lost access; closing its connection");
            return;
        }
        let reason: String = loop {
            tokio::select! {
                out = outbox.recv() => {
                    // Boxed, like `receive` below: an idle task keeps no room
                    // for the send futures.
                    match Box::pin(send_out(&mut socket, out)).await {
                        Ok(n) => conn.sent(n),
                        Err(reason) => break reason,
                    }
                }
                msg = socket.recv() => match msg {
                    Some(Ok(Message::Binary(bytes))) => {
                        if let Err(refusal) = Box::pin(conn.receive(&bytes)).await {
                            if refusal == trygg_engine::Refusal::Left {
                                break "the device left".into();
                            }
                            tracing::warn!(device = %device_id, %refusal, "refused a frame; closing the connection");
                            break refusal.to_string();
                        }
                    }
                    Some(Ok(Message::Text(_))) => {
                        let refusal = trygg_engine::Refusal::Text;
                        conn.refused(&refusal);
                        tracing::warn!(device = %device_id, %refusal, "refused a frame; closing the connection");
                        break refusal.to_string();
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break "closed by the device".into(),
                    Some(Err(e)) => {
                        tracing::warn!(device = %device_id, error = %e, "receive failed (a message over the size limit ends here too); closing the connection");
                        break format!("receive failed: {e}");
                    }
                },
            }
        };
        tracing::info!(device = %device_id, %reason, "device disconnected");
    }
}

/// Sends one frame (returning its size), or closes the socket as the engine
/// asked (returning why).
async fn send_out(socket: &mut WebSocket, out: Out) -> Result<usize, String> {
    match out {
        Out::Frame(bytes) => {
            let n = bytes.len();
            socket
                .send(Message::Binary(bytes))
                .await
                .map_err(|e| format!("send failed: {e}"))?;
            Ok(n)
        }
        Out::Close(reason) => {
            // automerge-repo clients log an `error` message; the close frame
            // says the same to anything else.
            let _ = socket
                .send(Message::Binary(trygg_engine::wire::error(&reason).into()))
                .await;
            let frame = CloseFrame {
                code: close_code::POLICY,
                reason: truncate(&reason).into(),
            };
            // The device may be gone already; the socket closes either way.
            let _ = socket.send(Message::Close(Some(frame))).await;
            Err(reason)
        }
    }
}

/// A WebSocket close reason holds at most 123 bytes.
fn truncate(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}
