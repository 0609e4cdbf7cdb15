//! A hand-driven automerge-repo peer: sends exactly the frames a test wants,
//! good or bad, and reads what the server answers.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use minicbor::Encoder;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub enum Val<'a> {
    S(&'a str),
    B(&'a [u8]),
    A(&'a [&'a str]),
}

/// A CBOR map frame.
pub fn frame(fields: &[(&str, Val<'_>)]) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.map(fields.len() as u64).unwrap();
    for (k, v) in fields {
        e.str(k).unwrap();
        match v {
            Val::S(s) => {
                e.str(s).unwrap();
            }
            Val::B(b) => {
                e.bytes(b).unwrap();
            }
            Val::A(items) => {
                e.array(items.len() as u64).unwrap();
                for i in *items {
                    e.str(i).unwrap();
                }
            }
        }
    }
    e.into_writer()
}

pub fn join(peer: &str) -> Vec<u8> {
    frame(&[
        ("type", Val::S("join")),
        ("senderId", Val::S(peer)),
        ("supportedProtocolVersions", Val::A(&["1"])),
    ])
}

/// A sync message an empty document sends first.
pub fn first_sync_data() -> Vec<u8> {
    use automerge::sync::SyncDoc;
    let doc = automerge::Automerge::new();
    doc.generate_sync_message(&mut automerge::sync::State::new())
        .expect("a first sync message")
        .encode()
}

pub fn request(peer: &str, doc: &str) -> Vec<u8> {
    frame(&[
        ("type", Val::S("request")),
        ("senderId", Val::S(peer)),
        ("targetId", Val::S("trygg-server")),
        ("documentId", Val::S(doc)),
        ("data", Val::B(&first_sync_data())),
    ])
}

/// A sync message from `peer` to `target` about `doc`.
pub fn sync(peer: &str, target: &str, doc: &str, data: &[u8]) -> Vec<u8> {
    frame(&[
        ("type", Val::S("sync")),
        ("senderId", Val::S(peer)),
        ("targetId", Val::S(target)),
        ("documentId", Val::S(doc)),
        ("data", Val::B(data)),
    ])
}

/// The parts of a server message a test looks at.
#[derive(Debug, Default)]
pub struct Msg {
    pub kind: String,
    pub sender: Option<String>,
    pub document: Option<String>,
    /// A sync message's payload.
    pub data: Option<Vec<u8>>,
    /// The whole frame as it came.
    pub raw: Vec<u8>,
}

fn decode(bytes: &[u8]) -> Msg {
    let mut d = minicbor::Decoder::new(bytes);
    let mut msg = Msg {
        raw: bytes.to_vec(),
        ..Msg::default()
    };
    let n = d.map().unwrap().unwrap_or(0);
    for _ in 0..n {
        let key = d.str().unwrap().to_string();
        match key.as_str() {
            "type" => msg.kind = d.str().unwrap().to_string(),
            "senderId" => msg.sender = Some(d.str().unwrap().to_string()),
            "documentId" => msg.document = Some(d.str().unwrap().to_string()),
            "data" => msg.data = Some(d.bytes().unwrap().to_vec()),
            _ => d.skip().unwrap(),
        }
    }
    msg
}

/// What [`RawPeer::next`] found.
pub enum Received {
    Msg(Msg),
    /// Nothing within the wait.
    Quiet,
    Closed,
}

pub struct RawPeer {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RawPeer {
    /// Connects with `Authorization: Bearer token`; large messages allowed on our side.
    pub async fn connect(url: &str, token: &str) -> Result<RawPeer, tungstenite::Error> {
        let mut req = url.into_client_request()?;
        req.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        let config = WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), false).await?;
        Ok(RawPeer { ws })
    }

    pub async fn send(&mut self, bytes: Vec<u8>) {
        let _ = self.ws.send(Message::Binary(bytes.into())).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        let _ = self.ws.send(Message::Text(text.into())).await;
    }

    /// The next protocol message, or `None` when the connection closed (or
    /// nothing came within `wait`).
    pub async fn recv(&mut self, wait: Duration) -> Option<Msg> {
        loop {
            let next = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match next {
                Ok(Message::Binary(b)) => return Some(decode(&b)),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// The next protocol message, told apart from quiet and a closed connection.
    pub async fn next(&mut self, wait: Duration) -> Received {
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return Received::Quiet,
                Ok(Some(Ok(Message::Binary(b)))) => return Received::Msg(decode(&b)),
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => {
                    return Received::Closed;
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Joins as `peer` and expects the server's `peer` answer; returns the
    /// server's peer id.
    pub async fn handshake(&mut self, peer: &str) -> String {
        self.send(join(peer)).await;
        let answer = self
            .recv(Duration::from_secs(10))
            .await
            .expect("an answer to join");
        assert_eq!(answer.kind, "peer");
        answer.sender.expect("the server names itself")
    }

    /// True when the server closes the connection within `wait`.
    pub async fn is_closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            match tokio::time::timeout(left, self.ws.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Reads until the server closes: the kinds of the messages before, and
    /// the close frame's code and reason (`None`: the connection ended
    /// without one, or nothing within `wait`).
    pub async fn until_closed(&mut self, wait: Duration) -> (Vec<String>, Option<(u16, String)>) {
        let mut kinds = Vec::new();
        loop {
            match tokio::time::timeout(wait, self.ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) => kinds.push(decode(&b).kind),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return (
                        kinds,
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    );
                }
                Ok(Some(Ok(_))) => continue,
                Err(_) | Ok(None) | Ok(Some(Err(_))) => return (kinds, None),
            }
        }
    }
}
