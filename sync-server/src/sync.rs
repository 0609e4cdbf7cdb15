//! `GET /sync`: the automerge-repo wire protocol over WebSocket, through samod.
//!
//! The socket is authenticated before the upgrade (bearer header, or `?token=`
//! for browsers), bound to the device's peer id, and every inbound frame passes
//! the [`Gate`]. samod then asks [`policy`] per document and peer; the answer
//! follows the access table, so a grant or revocation reaches open connections.
//! A revoked or expired device's connection is closed outright.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures::{SinkExt, Stream, StreamExt};
use samod::{PeerId, ShareConfig, Transport};
use trygg_sync::access::Access;
use trygg_sync::gate::Gate;
use trygg_sync::trygg_id;

use crate::registry::Device;
use crate::serve::AppState;
use crate::snapshot::Published;

/// The server's share policy: the access table's decision for (document,
/// peer), again whenever the table changes.
pub fn policy(
    snapshot: Published,
) -> impl Fn(samod::DocumentId, PeerId) -> std::pin::Pin<Box<dyn Stream<Item = ShareConfig> + Send>>
+ Clone
+ Send
+ 'static {
    move |doc, peer| {
        let rx = snapshot.subscribe();
        let id = trygg_id(&doc);
        let peer = Arc::new(peer.to_string());
        Box::pin(futures::stream::unfold(
            (rx, None::<Access>),
            move |(mut rx, last)| {
                let peer = peer.clone();
                async move {
                    loop {
                        if last.is_some() && rx.changed().await.is_err() {
                            return None;
                        }
                        let access = match id {
                            Some(id) => rx.borrow_and_update().access(&id, &peer),
                            None => Access::None,
                        };
                        if Some(access) != last {
                            return Some((access.share_config(), (rx, Some(access))));
                        }
                    }
                }
            },
        ))
    }
}

/// What one inbound WebSocket message means for the connection.
enum Inbound {
    Frame(Vec<u8>),
    Skip,
}

/// Runs one authenticated socket until it closes, is refused, or the device
/// loses its access.
pub fn serve_socket(state: Arc<AppState>, socket: WebSocket, device: Device) {
    let peer = trygg_sync::api::peer_id_of(&device.id);
    let device_id = device.id.clone();
    let (sink, stream) = socket.split();
    let mut gate = Gate::new(peer.clone());
    let log_id = device_id.clone();
    let inbound = stream
        .scan((), move |(), msg| {
            let step = match msg {
                Ok(Message::Binary(bytes)) => match gate.check(&bytes) {
                    Ok(()) => Some(Inbound::Frame(bytes.to_vec())),
                    Err(refusal) => {
                        tracing::warn!(device = %log_id, %refusal, "refused a frame; closing the connection");
                        None
                    }
                },
                Ok(Message::Text(_)) => {
                    tracing::warn!(device = %log_id, "refused a text frame (the protocol is binary CBOR); closing the connection");
                    None
                }
                Ok(Message::Close(_)) => None,
                Ok(Message::Ping(_) | Message::Pong(_)) => Some(Inbound::Skip),
                Err(e) => {
                    tracing::warn!(device = %log_id, error = %e, "receive failed (a message over the size limit ends here too); closing the connection");
                    None
                }
            };
            futures::future::ready(step)
        })
        .filter_map(|step| {
            futures::future::ready(match step {
                Inbound::Frame(bytes) => Some(Ok::<_, axum::Error>(bytes)),
                Inbound::Skip => None,
            })
        })
        .take_until(lost_access(state.snapshot.clone(), device_id.clone()));
    // The share policy reaches samod a moment after the access table changes;
    // this last check holds back content the device may no longer see, so a
    // sharing change is in force once its HTTP call has answered.
    let snapshot = state.snapshot.clone();
    let out_peer = peer.clone();
    let out_log = device_id.clone();
    let outbound = sink.with_flat_map(move |bytes: Vec<u8>| {
        let withheld = trygg_sync::gate::content_document(&bytes)
            .and_then(|d| d.parse::<trygg_core::DocId>().ok())
            .is_some_and(|doc| {
                snapshot.borrow().access(&doc, &out_peer) == trygg_sync::access::Access::None
            });
        if withheld {
            tracing::debug!(device = %out_log, "withheld a message about a document the device may no longer see");
        }
        futures::stream::iter((!withheld).then(|| Ok(Message::Binary(bytes.into()))))
    });
    let transport = Transport::new(Box::pin(inbound), Box::pin(outbound))
        .with_expected_peer_id(PeerId::from(peer));
    let conn = match state.acceptor.accept(transport) {
        Ok(conn) => conn,
        Err(_) => {
            tracing::error!(device = %device_id, "sync engine stopped; connection dropped");
            return;
        }
    };
    tracing::info!(device = %device_id, org = %device.org, "device connected");
    // One line when it ends, with samod's reason, for the operator.
    tokio::spawn(async move {
        let mut events = conn.events();
        while let Some(event) = events.next().await {
            if let samod::AcceptorEvent::ClientDisconnected { reason, .. } = event {
                tracing::info!(device = %device_id, ?reason, "device disconnected");
                break;
            }
        }
    });
}

/// Resolves when the device is revoked or expires.
async fn lost_access(snapshot: Published, device_id: String) {
    let mut rx = snapshot.subscribe();
    loop {
        if let Some(why) = rx.borrow_and_update().inactive(&device_id) {
            tracing::info!(device = %device_id, ?why, "device lost access; closing its connection");
            return;
        }
        if rx.changed().await.is_err() {
            // The server is stopping; let the connection end with it.
            std::future::pending::<()>().await;
        }
    }
}
