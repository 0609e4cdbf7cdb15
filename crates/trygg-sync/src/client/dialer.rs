//! Our WebSocket dialer: samod's own cannot send an `Authorization` header.
//!
//! samod calls [`Dialer::connect`] on the first dial and on every reconnect
//! (with its exponential backoff). A refused token is a permanent failure, so a
//! revoked tablet stops knocking and the app can say why; anything else (server
//! down, network gone) is transient and retried.

use std::time::Duration;

use futures::future::BoxFuture;
use futures::{SinkExt, StreamExt};
use samod::{DialError, Dialer, Transport};
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use url::Url;

use crate::tls::Trust;

/// The server refused the token: revoked, expired or unknown.
#[derive(Debug, thiserror::Error)]
#[error(
    "the server refused this device's token ({status}); ask your coordinator for a new device token"
)]
pub struct TokenRefused {
    pub status: u16,
}

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct WsDialer {
    url: Url,
    token: String,
    max_message_bytes: usize,
    trust: Trust,
}

impl WsDialer {
    /// `sync_url` is the server's `ws://…/sync` (or `wss://`, whose
    /// certificate `trust` must accept) address.
    pub fn new(
        sync_url: Url,
        token: impl Into<String>,
        max_message_bytes: usize,
        trust: Trust,
    ) -> Self {
        Self {
            url: sync_url,
            token: token.into(),
            max_message_bytes,
            trust,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Transient(String);

impl Dialer for WsDialer {
    type Error = TokenRefused;

    fn url(&self) -> Url {
        self.url.clone()
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<TokenRefused>>> {
        let url = self.url.clone();
        let token = self.token.clone();
        let max = self.max_message_bytes;
        let tls = Connector::Rustls(self.trust.rustls());
        Box::pin(async move {
            let mut request = url
                .as_str()
                .into_client_request()
                .map_err(|e| DialError::transient(Transient(format!("bad sync address: {e}"))))?;
            let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| DialError::PermanentFailure(TokenRefused { status: 400 }))?;
            request.headers_mut().insert(header::AUTHORIZATION, bearer);
            let config = WebSocketConfig::default()
                .max_message_size(Some(max))
                .max_frame_size(Some(max));
            let connecting = tokio_tungstenite::connect_async_tls_with_config(
                request,
                Some(config),
                true,
                Some(tls),
            );
            let (socket, _) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
                Err(_) => return Err(DialError::transient(Transient("connect timed out".into()))),
                Ok(Err(tungstenite::Error::Http(response)))
                    if matches!(
                        response.status(),
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                    ) =>
                {
                    return Err(DialError::PermanentFailure(TokenRefused {
                        status: response.status().as_u16(),
                    }));
                }
                Ok(Err(e)) => return Err(DialError::transient(e)),
                Ok(Ok(ok)) => ok,
            };
            let (sink, stream) = socket.split();
            let stream = stream.filter_map(|msg| async move {
                match msg {
                    Ok(Message::Binary(b)) => Some(Ok(b.to_vec())),
                    Ok(Message::Close(_)) => None,
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                }
            });
            let sink = sink.with(|bytes: Vec<u8>| async move {
                Ok::<_, tungstenite::Error>(Message::Binary(bytes.into()))
            });
            Ok(Transport::new(Box::pin(stream), Box::pin(sink)))
        })
    }
}
