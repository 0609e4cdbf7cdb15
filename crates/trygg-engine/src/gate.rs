//! The rules every frame from a device passes before it reaches a document.
//!
//! The engine knows which device sent the frame, so a refusal says plainly
//! what was wrong and an operator can tell a broken client from an attack.
//! It also enforces what the protocol leaves to the transport: one `join` per
//! connection, first, and every message claims the authenticated peer id.

use crate::wire::{self, DecodeError, Inbound, PROTOCOL_VERSION};

/// Why a frame was refused. Each one closes the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("malformed CBOR frame: {0}")]
    Malformed(#[from] DecodeError),
    #[error("the first message must be `join`, got `{0}`")]
    NoJoin(String),
    #[error("a second `join` on one connection")]
    SecondJoin,
    #[error("message claims peer id `{claimed}` but the token belongs to `{expected}`")]
    WrongPeer { claimed: String, expected: String },
    #[error("no protocol version in common (server speaks {PROTOCOL_VERSION}, peer offers {0})")]
    Version(String),
    #[error("`{kind}` message names `{doc}`, which is not a document id")]
    BadDocumentId { kind: String, doc: String },
    #[error(
        "`{kind}` message for document `{doc}` carries bytes that are not an Automerge sync message: {reason}"
    )]
    BadSyncData {
        kind: String,
        doc: String,
        reason: String,
    },
    #[error(
        "`{kind}` message for document `{doc}` carries changes Automerge cannot read: {reason}"
    )]
    BadChanges {
        kind: String,
        doc: String,
        reason: String,
    },
    #[error("the text frame was refused (the protocol is binary CBOR)")]
    Text,
    #[error("the peer left")]
    Left,
}

impl Refusal {
    /// A short name for counting refusals (the `reason` label of `/metrics`).
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::NoJoin(_) => "no_join",
            Refusal::SecondJoin => "second_join",
            Refusal::WrongPeer { .. } => "wrong_peer",
            Refusal::Version(_) => "version",
            Refusal::BadDocumentId { .. } => "bad_document_id",
            Refusal::BadSyncData { .. } => "bad_sync_data",
            Refusal::BadChanges { .. } => "bad_changes",
            Refusal::Text => "text",
            Refusal::Left => "left",
        }
    }
}

/// Per-connection state: the peer the token authenticated, and whether it has joined.
#[derive(Debug)]
pub struct Gate {
    expected_peer: String,
    joined: bool,
}

impl Gate {
    pub fn new(expected_peer: impl Into<String>) -> Self {
        Self {
            expected_peer: expected_peer.into(),
            joined: false,
        }
    }

    pub fn peer(&self) -> &str {
        &self.expected_peer
    }

    /// Checks one inbound frame and returns the message it holds.
    pub fn check<'a>(&mut self, frame: &'a [u8]) -> Result<Inbound<'a>, Refusal> {
        let msg = wire::decode(frame)?;
        if let Some(sender) = msg.sender()
            && sender != self.expected_peer
        {
            return Err(Refusal::WrongPeer {
                claimed: sender.to_string(),
                expected: self.expected_peer.clone(),
            });
        }
        if !self.joined {
            let Inbound::Join { versions, .. } = &msg else {
                return Err(Refusal::NoJoin(msg.kind().to_string()));
            };
            // automerge-repo peers always offer "1"; an empty list is an old peer.
            if !versions.is_empty() && !versions.contains(&PROTOCOL_VERSION) {
                return Err(Refusal::Version(versions.join(", ")));
            }
            self.joined = true;
            return Ok(msg);
        }
        match msg {
            Inbound::Join { .. } => Err(Refusal::SecondJoin),
            Inbound::Leave { .. } => Err(Refusal::Left),
            msg => Ok(msg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minicbor::Encoder;

    enum F {
        S(&'static str),
        B(Vec<u8>),
    }

    fn frame(fields: &[(&str, F)]) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        e.map(fields.len() as u64).unwrap();
        for (k, v) in fields {
            e.str(k).unwrap();
            match v {
                F::S(s) => e.str(s).unwrap(),
                F::B(b) => e.bytes(b).unwrap(),
            };
        }
        e.into_writer()
    }

    fn join(peer: &'static str) -> Vec<u8> {
        frame(&[("type", F::S("join")), ("senderId", F::S(peer))])
    }

    #[test]
    fn a_join_then_sync_passes() {
        let mut g = Gate::new("p1");
        assert_eq!(g.check(&join("p1")).unwrap().kind(), "join");
        let sync = frame(&[
            ("type", F::S("sync")),
            ("senderId", F::S("p1")),
            ("targetId", F::S("server")),
            ("documentId", F::S("2Ex5L5kBbWsGfjEJkV8ZBVpYb4Lv")),
            ("data", F::B(vec![1, 2])),
        ]);
        assert_eq!(g.check(&sync).unwrap().kind(), "sync");
    }

    #[test]
    fn refusals_name_what_was_wrong() {
        let mut g = Gate::new("p1");
        assert!(matches!(
            g.check(b"\xff\x00garbage"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            g.check(&frame(&[
                ("type", F::S("ephemeral")),
                ("senderId", F::S("p1"))
            ])),
            Err(Refusal::Malformed(_))
        ));
        assert_eq!(
            g.check(&frame(&[("type", F::S("leave")), ("senderId", F::S("p1"))])),
            Err(Refusal::NoJoin("leave".into()))
        );
        assert_eq!(
            g.check(&join("p2")),
            Err(Refusal::WrongPeer {
                claimed: "p2".into(),
                expected: "p1".into()
            })
        );
        g.check(&join("p1")).unwrap();
        assert_eq!(g.check(&join("p1")), Err(Refusal::SecondJoin));
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
