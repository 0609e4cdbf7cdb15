//! The automerge-repo wire protocol: CBOR maps over WebSocket binary frames.
//!
//! Decoding borrows from the frame (no copies of `data`), and reads only the
//! fields the server acts on; encoding writes exactly the fields the JS
//! `automerge-repo` and samod expect. Field names and message types follow
//! automerge-repo's `network/messages.ts`.

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};
use trygg_core::DocId;

/// The only protocol version automerge-repo has defined so far.
pub const PROTOCOL_VERSION: &str = "1";

/// A message a peer sent, borrowed from its frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    Join {
        sender: &'a str,
        versions: Vec<&'a str>,
    },
    /// `request` (the sender has no copy) or `sync`.
    Sync {
        request: bool,
        sender: &'a str,
        doc: DocRef<'a>,
        data: &'a [u8],
    },
    Ephemeral {
        sender: &'a str,
        doc: DocRef<'a>,
        count: u64,
        session: &'a str,
        data: &'a [u8],
    },
    DocUnavailable {
        sender: &'a str,
        doc: DocRef<'a>,
    },
    Leave {
        sender: Option<&'a str>,
    },
    /// Anything else the protocol defines (remote heads gossip, `peer`,
    /// `error`): the server has nothing to do with it.
    Other {
        kind: &'a str,
        sender: Option<&'a str>,
    },
}

impl Inbound<'_> {
    pub fn sender(&self) -> Option<&str> {
        match self {
            Inbound::Join { sender, .. }
            | Inbound::Sync { sender, .. }
            | Inbound::Ephemeral { sender, .. }
            | Inbound::DocUnavailable { sender, .. } => Some(sender),
            Inbound::Leave { sender } | Inbound::Other { sender, .. } => *sender,
        }
    }

    pub fn kind(&self) -> &str {
        match self {
            Inbound::Join { .. } => "join",
            Inbound::Sync { request: true, .. } => "request",
            Inbound::Sync { request: false, .. } => "sync",
            Inbound::Ephemeral { .. } => "ephemeral",
            Inbound::DocUnavailable { .. } => "doc-unavailable",
            Inbound::Leave { .. } => "leave",
            Inbound::Other { kind, .. } => kind,
        }
    }
}

/// A document id as a peer wrote it: automerge-repo's bs58check string, or
/// (older clients) the 16 raw bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocRef<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl DocRef<'_> {
    pub fn parse(self) -> Option<DocId> {
        match self {
            DocRef::Text(s) => s.parse().ok(),
            DocRef::Bytes(b) => Some(DocId::from_bytes(b.try_into().ok()?)),
        }
    }
}

impl std::fmt::Display for DocRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocRef::Text(s) => f.write_str(s),
            DocRef::Bytes(b) => write!(f, "0x{}", hex::encode(b)),
        }
    }
}

/// Why a frame could not be read as a protocol message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{0}")]
    Cbor(String),
    #[error("no `type` field")]
    NoType,
    #[error("`{kind}` message without {field}")]
    Missing { kind: String, field: &'static str },
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(e: minicbor::decode::Error) -> Self {
        DecodeError::Cbor(e.to_string())
    }
}

#[derive(Default)]
struct Fields<'a> {
    kind: Option<&'a str>,
    sender: Option<&'a str>,
    doc: Option<DocRef<'a>>,
    data: Option<&'a [u8]>,
    versions: Option<Vec<&'a str>>,
    count: Option<u64>,
    session: Option<&'a str>,
}

/// Decodes one frame.
pub fn decode(frame: &[u8]) -> Result<Inbound<'_>, DecodeError> {
    let mut d = Decoder::new(frame);
    let Some(len) = d.map()? else {
        return Err(DecodeError::Cbor(
            "indefinite-length map is not used by the protocol".into(),
        ));
    };
    let mut f = Fields::default();
    for _ in 0..len {
        match d.str()? {
            "type" => f.kind = Some(d.str()?),
            "senderId" => f.sender = Some(d.str()?),
            "documentId" => {
                f.doc = Some(match d.datatype()? {
                    Type::Bytes => DocRef::Bytes(d.bytes()?),
                    _ => DocRef::Text(d.str()?),
                })
            }
            "data" => f.data = Some(d.bytes()?),
            "sessionId" => f.session = Some(d.str()?),
            "count" => {
                f.count = Some(match d.datatype()? {
                    Type::F16 | Type::F32 | Type::F64 => d.f64()? as u64,
                    _ => d.u64()?,
                })
            }
            "supportedProtocolVersions" => {
                let n = d.array()?.ok_or_else(|| {
                    DecodeError::Cbor("indefinite-length array is not used by the protocol".into())
                })?;
                let mut v = Vec::with_capacity(n.min(8) as usize);
                for _ in 0..n {
                    v.push(d.str()?);
                }
                f.versions = Some(v);
            }
            _ => d.skip()?,
        }
    }
    if d.position() != frame.len() {
        return Err(DecodeError::Cbor("trailing bytes after the message".into()));
    }
    let kind = f.kind.ok_or(DecodeError::NoType)?;
    let missing = |field| DecodeError::Missing {
        kind: kind.to_string(),
        field,
    };
    Ok(match kind {
        "join" => Inbound::Join {
            sender: f.sender.ok_or_else(|| missing("senderId"))?,
            versions: f.versions.unwrap_or_default(),
        },
        "request" | "sync" => Inbound::Sync {
            request: kind == "request",
            sender: f.sender.ok_or_else(|| missing("senderId"))?,
            doc: f.doc.ok_or_else(|| missing("documentId"))?,
            data: f.data.ok_or_else(|| missing("data"))?,
        },
        "ephemeral" => Inbound::Ephemeral {
            sender: f.sender.ok_or_else(|| missing("senderId"))?,
            doc: f.doc.ok_or_else(|| missing("documentId"))?,
            count: f.count.ok_or_else(|| missing("count"))?,
            session: f.session.ok_or_else(|| missing("sessionId"))?,
            data: f.data.ok_or_else(|| missing("data"))?,
        },
        "doc-unavailable" => Inbound::DocUnavailable {
            sender: f.sender.ok_or_else(|| missing("senderId"))?,
            doc: f.doc.ok_or_else(|| missing("documentId"))?,
        },
        "leave" => Inbound::Leave { sender: f.sender },
        other => Inbound::Other {
            kind: other,
            sender: f.sender,
        },
    })
}

/// A CBOR map being written: the protocol's messages are flat maps of
/// strings, bytes and numbers.
struct Map(Encoder<Vec<u8>>);

// Writing into a Vec cannot fail; minicbor's signature allows for writers
// that can, hence the `expect`s below.
const INFALLIBLE: &str = "encoding into a Vec cannot fail";

impl Map {
    fn new(fields: u64, capacity: usize) -> Self {
        let mut e = Encoder::new(Vec::with_capacity(capacity));
        e.map(fields).expect(INFALLIBLE);
        Map(e)
    }

    fn str(mut self, key: &str, value: &str) -> Self {
        self.0
            .str(key)
            .and_then(|e| e.str(value))
            .expect(INFALLIBLE);
        self
    }

    fn bytes(mut self, key: &str, value: &[u8]) -> Self {
        self.0
            .str(key)
            .and_then(|e| e.bytes(value))
            .expect(INFALLIBLE);
        self
    }

    fn u64(mut self, key: &str, value: u64) -> Self {
        self.0
            .str(key)
            .and_then(|e| e.u64(value))
            .expect(INFALLIBLE);
        self
    }

    fn done(self) -> Vec<u8> {
        self.0.into_writer()
    }
}

/// The server's answer to `join`.
pub fn peer(server: &str, target: &str) -> Vec<u8> {
    let mut m = Map::new(5, 128)
        .str("type", "peer")
        .str("senderId", server)
        .str("targetId", target)
        .str("selectedProtocolVersion", PROTOCOL_VERSION);
    // A server that keeps what it receives: not ephemeral.
    m.0.str("peerMetadata")
        .and_then(|e| e.map(1))
        .and_then(|e| e.str("isEphemeral"))
        .and_then(|e| e.bool(false))
        .expect(INFALLIBLE);
    m.done()
}

/// A `sync` message carrying an Automerge sync message.
pub fn sync(server: &str, target: &str, doc: &str, data: &[u8]) -> Vec<u8> {
    Map::new(5, 96 + data.len())
        .str("type", "sync")
        .str("documentId", doc)
        .str("senderId", server)
        .str("targetId", target)
        .bytes("data", data)
        .done()
}

/// `doc-unavailable`: the server has no copy the peer may see. Unknown and
/// forbidden documents get the same answer.
pub fn doc_unavailable(server: &str, target: &str, doc: &str) -> Vec<u8> {
    Map::new(4, 96)
        .str("type", "doc-unavailable")
        .str("senderId", server)
        .str("targetId", target)
        .str("documentId", doc)
        .done()
}

/// An ephemeral message relayed to another peer of the document.
pub fn ephemeral(
    sender: &str,
    target: &str,
    doc: &str,
    count: u64,
    session: &str,
    data: &[u8],
) -> Vec<u8> {
    Map::new(7, 128 + data.len())
        .str("type", "ephemeral")
        .str("senderId", sender)
        .str("targetId", target)
        .str("documentId", doc)
        .u64("count", count)
        .str("sessionId", session)
        .bytes("data", data)
        .done()
}

/// An `error` message, sent just before the server closes a connection.
pub fn error(message: &str) -> Vec<u8> {
    Map::new(2, 32 + message.len())
        .str("type", "error")
        .str("message", message)
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_server_writes_it_can_read_back() {
        let doc = DocId::random().to_string();
        match decode(&sync("s", "p", &doc, b"xyz")).unwrap() {
            Inbound::Sync {
                request,
                sender,
                doc: d,
                data,
            } => {
                assert!(!request);
                assert_eq!(sender, "s");
                assert_eq!(d, DocRef::Text(&doc));
                assert_eq!(data, b"xyz");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decode(&doc_unavailable("s", "p", &doc)).unwrap().kind(),
            "doc-unavailable"
        );
        let eph = ephemeral("a", "b", &doc, 3, "sess", b"hi");
        assert!(matches!(
            decode(&eph).unwrap(),
            Inbound::Ephemeral {
                count: 3,
                session: "sess",
                ..
            }
        ));
        assert_eq!(decode(&peer("s", "p")).unwrap().kind(), "peer");
        assert_eq!(decode(&error("bad")).unwrap().kind(), "error");
    }

    #[test]
    fn binary_document_ids_are_read_too() {
        let id = DocId::random();
        assert_eq!(DocRef::Bytes(id.as_bytes()).parse(), Some(id));
        assert_eq!(DocRef::Text(&id.to_string()).parse(), Some(id));
        assert_eq!(DocRef::Text("nonsense").parse(), None);
        assert_eq!(DocRef::Bytes(b"short").parse(), None);
    }

    #[test]
    fn broken_frames_are_errors() {
        assert!(decode(b"\xff\x00").is_err());
        let mut trailing = error("x");
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        // A sync message without data.
        let mut e = Encoder::new(Vec::new());
        e.map(3).unwrap();
        e.str("type").unwrap().str("sync").unwrap();
        e.str("senderId").unwrap().str("p").unwrap();
        e.str("documentId").unwrap().str("d").unwrap();
        assert_eq!(
            decode(&e.into_writer()),
            Err(DecodeError::Missing {
                kind: "sync".into(),
                field: "data"
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = decode(&bytes);
        }
    }
}
