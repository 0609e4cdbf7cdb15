//! The server's check of every frame a device sends, before samod sees it.
//!
//! samod already refuses what it cannot decode, but it does so deep inside its
//! hub with a generic log line. The gate knows which device sent the frame and
//! says plainly what was wrong, so a city's operator can tell a broken client
//! from an attack. It also enforces rules samod leaves to the transport: one
//! `join` per connection, and every message claims the authenticated peer id.
//!
//! It reads only the envelope (the automerge-repo wire protocol is a CBOR map);
//! for `sync` and `request` it also decodes the Automerge sync message, so
//! garbage bytes never reach a document.

use minicbor::Decoder;
use minicbor::data::Type;

/// Why a frame was refused. Each one closes the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("malformed CBOR frame: {0}")]
    Malformed(String),
    #[error("the first message must be `join`, got `{0}`")]
    NoJoin(String),
    #[error("a second `join` on one connection")]
    SecondJoin,
    #[error("message claims peer id `{claimed}` but the token belongs to `{expected}`")]
    WrongPeer { claimed: String, expected: String },
    #[error("`{kind}` message without {field}")]
    Missing { kind: String, field: &'static str },
    #[error(
        "`{kind}` message for document `{doc}` carries bytes that are not an Automerge sync message: {reason}"
    )]
    BadSyncData {
        kind: String,
        doc: String,
        reason: String,
    },
}

/// Per-connection state: the peer the token authenticated, and whether it has joined.
#[derive(Debug)]
pub struct Gate {
    expected_peer: String,
    joined: bool,
}

/// The envelope fields the gate looks at.
#[derive(Debug, Default)]
struct Envelope {
    kind: Option<String>,
    sender: Option<String>,
    document: Option<String>,
    data: Option<Vec<u8>>,
}

impl Gate {
    pub fn new(expected_peer: impl Into<String>) -> Self {
        Self {
            expected_peer: expected_peer.into(),
            joined: false,
        }
    }

    /// Checks one inbound frame. On `Ok` the frame may go to samod unchanged.
    pub fn check(&mut self, frame: &[u8]) -> Result<(), Refusal> {
        let env = decode(frame).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let kind = env
            .kind
            .ok_or_else(|| Refusal::Malformed("no `type` field".into()))?;
        if let Some(sender) = &env.sender
            && *sender != self.expected_peer
        {
            return Err(Refusal::WrongPeer {
                claimed: sender.clone(),
                expected: self.expected_peer.clone(),
            });
        }
        if !self.joined {
            if kind != "join" {
                return Err(Refusal::NoJoin(kind));
            }
            if env.sender.is_none() {
                return Err(Refusal::Missing {
                    kind,
                    field: "senderId",
                });
            }
            self.joined = true;
            return Ok(());
        }
        match kind.as_str() {
            "join" => Err(Refusal::SecondJoin),
            "sync" | "request" => {
                let doc = env.document.ok_or_else(|| Refusal::Missing {
                    kind: kind.clone(),
                    field: "documentId",
                })?;
                let data = env.data.ok_or_else(|| Refusal::Missing {
                    kind: kind.clone(),
                    field: "data",
                })?;
                automerge::sync::Message::decode(&data).map_err(|e| Refusal::BadSyncData {
                    kind,
                    doc,
                    reason: e.to_string(),
                })?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// For a message carrying document content (`sync`, `ephemeral`), the
/// document it is about: the server's last check before sending it.
pub fn content_document(frame: &[u8]) -> Option<String> {
    let env = decode(frame).ok()?;
    match env.kind.as_deref() {
        Some("sync" | "ephemeral") => env.document,
        _ => None,
    }
}

fn decode(frame: &[u8]) -> Result<Envelope, minicbor::decode::Error> {
    let mut d = Decoder::new(frame);
    let Some(len) = d.map()? else {
        return Err(minicbor::decode::Error::message(
            "indefinite-length map is not used by the protocol",
        ));
    };
    let mut env = Envelope::default();
    for _ in 0..len {
        let key = d.str()?.to_owned();
        match key.as_str() {
            "type" => env.kind = Some(d.str()?.to_owned()),
            "senderId" => env.sender = Some(d.str()?.to_owned()),
            "documentId" => {
                env.document = Some(match d.datatype()? {
                    Type::Bytes => bs58_like(d.bytes()?),
                    _ => d.str()?.to_owned(),
                })
            }
            "data" => env.data = Some(d.bytes()?.to_vec()),
            _ => d.skip()?,
        }
    }
    if d.position() != frame.len() {
        return Err(minicbor::decode::Error::message(
            "trailing bytes after the message",
        ));
    }
    Ok(env)
}

/// A printable form of a binary document id, for log lines only.
fn bs58_like(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use minicbor::Encoder;

    fn frame(fields: &[(&str, Field)]) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        e.map(fields.len() as u64).unwrap();
        for (k, v) in fields {
            e.str(k).unwrap();
            match v {
                Field::S(s) => e.str(s).unwrap(),
                Field::B(b) => e.bytes(b).unwrap(),
            };
        }
        e.into_writer()
    }

    enum Field {
        S(&'static str),
        B(Vec<u8>),
    }
    use Field::{B, S};

    fn join(peer: &'static str) -> Vec<u8> {
        frame(&[("type", S("join")), ("senderId", S(peer))])
    }

    fn sync_data() -> Vec<u8> {
        let mut state = automerge::sync::State::new();
        let doc = automerge::Automerge::new();
        use automerge::sync::SyncDoc;
        doc.generate_sync_message(&mut state).unwrap().encode()
    }

    #[test]
    fn content_messages_name_their_document_and_others_do_not() {
        let sync = frame(&[
            ("type", S("sync")),
            ("documentId", S("abc")),
            ("data", B(vec![])),
        ]);
        assert_eq!(content_document(&sync).as_deref(), Some("abc"));
        let unavailable = frame(&[("type", S("doc-unavailable")), ("documentId", S("abc"))]);
        assert_eq!(content_document(&unavailable), None);
        assert_eq!(content_document(b"\xff garbage"), None);
    }

    #[test]
    fn a_join_then_sync_passes() {
        let mut g = Gate::new("p1");
        g.check(&join("p1")).unwrap();
        let sync = frame(&[
            ("type", S("sync")),
            ("senderId", S("p1")),
            ("targetId", S("server")),
            ("documentId", S("2Ex5L5kBbWsGfjEJkV8ZBVpYb4Lv")),
            ("data", B(sync_data())),
        ]);
        g.check(&sync).unwrap();
    }

    #[test]
    fn refusals_name_what_was_wrong() {
        let mut g = Gate::new("p1");
        assert!(matches!(
            g.check(b"\xff\x00garbage"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            g.check(&frame(&[("type", S("sync")), ("senderId", S("p1"))])),
            Err(Refusal::NoJoin(_))
        ));
        assert_eq!(
            g.check(&join("p2")),
            Err(Refusal::WrongPeer {
                claimed: "p2".into(),
                expected: "p1".into()
            })
        );
        g.check(&join("p1")).unwrap();
        assert_eq!(g.check(&join("p1")), Err(Refusal::SecondJoin));
        let garbage = frame(&[
            ("type", S("sync")),
            ("senderId", S("p1")),
            ("documentId", S("doc")),
            ("data", B(b"not automerge".to_vec())),
        ]);
        assert!(matches!(
            g.check(&garbage),
            Err(Refusal::BadSyncData { .. })
        ));
        let mut trailing = join("p1");
        trailing.push(0);
        assert!(matches!(
            Gate::new("p1").check(&trailing),
            Err(Refusal::Malformed(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let mut g = Gate::new("p1");
            let _ = g.check(&bytes);
            g.joined = true;
            let _ = g.check(&bytes);
        }
    }
}
