//! One document's sync with the peers subscribed to it: plain data, no IO.
//!
//! The rule that makes "on the server" mean durable lives here: the
//! Automerge document in memory only ever holds changes that are already in
//! storage. A batch of messages goes through three steps, and the runtime
//! ([`crate::engine`]) does the storage write between the first two:
//!
//! 1. [`DocSync::stage`]: the chunks a message carries that the document does
//!    not have yet, validated, as writes;
//! 2. [`DocSync::receive`]: once those are committed, the message is applied;
//! 3. [`DocSync::generate`]: answers, which can only advertise heads that are
//!    on disk.
//!
//! An edit made on the server (a person in the dashboard) follows the same
//! rule: [`DocSync::prepare_edit`] makes the change on a copy, the runtime
//! stores it, and only then [`DocSync::apply_local`] puts it in the document.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use trygg_core::access::Access;
use trygg_core::{DocId, chunk};
use trygg_store::chunks;
use trygg_store::group_commit::Write;

use crate::wire;

/// A connection's number, unique for the life of the server.
pub type ConnId = u64;

/// After this many separate chunks on disk, an evicted document is written
/// back as one snapshot.
pub const COMPACT_AFTER: usize = 64;

/// One subscribed peer: its sync state and what it may do.
#[derive(Debug)]
struct PeerSync {
    peer: Arc<str>,
    state: sync::State,
    access: Access,
}

impl PeerSync {
    fn new(peer: Arc<str>, access: Access, shared_heads: Vec<ChangeHash>) -> Self {
        let mut state = if shared_heads.is_empty() {
            sync::State::new()
        } else {
            // What `sync::State::decode` makes of a persisted state: the heads
            // both sides had, nothing yet said in this session.
            sync::State {
                shared_heads,
                their_have: Some(Vec::new()),
                ..sync::State::new()
            }
        };
        state.read_only = !access.can_write();
        Self {
            peer,
            state,
            access,
        }
    }

    fn set_access(&mut self, access: Access) {
        if self.access != access {
            // Read-only → read-write resets the exchange, so the peer resends
            // what the server ignored while it could only read.
            self.state.set_read_only(!access.can_write());
            self.access = access;
        }
    }
}

/// What applying a message meant for the peer that sent it.
#[derive(Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Applied; answer with [`DocSync::generate`].
    Applied,
    /// The peer asked for a document the server holds no content of yet.
    Unavailable,
}

/// A change made on the server, ready to be stored: the write comes first,
/// then [`DocSync::apply_local`].
#[derive(Debug)]
pub struct Prepared {
    pub hash: ChangeHash,
    doc: DocId,
    change: Change,
}

impl Prepared {
    /// The change as the chunk it is stored as.
    pub fn write(&self) -> Write {
        Write::Put {
            doc: self.doc,
            key: chunks::incremental_key(&self.doc, &self.hash),
            data: self.change.raw_bytes().to_vec(),
        }
    }
}

/// A document in memory and its subscribers.
#[derive(Debug)]
pub struct DocSync {
    id: DocId,
    id_text: Arc<str>,
    server: Arc<str>,
    doc: Automerge,
    peers: HashMap<ConnId, PeerSync>,
    /// Keys of the chunks the document is stored as (to compact them).
    chunk_keys: Vec<String>,
    /// Keys that could not be read when loading: kept out of compaction.
    damaged: usize,
    /// The content matched its registration once; it is not checked again.
    verified: bool,
    /// Why the content was refused (it contradicts its registration): the
    /// document is then served to nobody until it is loaded again.
    refused: Option<String>,
}

/// A document as loaded from storage.
#[derive(Debug)]
pub struct Loaded {
    pub doc: Automerge,
    pub chunk_keys: Vec<String>,
    pub damaged: Vec<(String, String)>,
}

/// Rebuilds a document from its chunks. A chunk Automerge cannot read is
/// reported and skipped (the rest of the document stays available); it stays
/// in storage.
pub fn load(chunks: Vec<(String, Vec<u8>)>) -> Loaded {
    let mut doc = Automerge::new();
    let mut chunk_keys = Vec::with_capacity(chunks.len());
    let mut damaged = Vec::new();
    for (key, data) in chunks {
        match chunk::load_into(&mut doc, &data) {
            Ok(()) => chunk_keys.push(key),
            Err(e) => damaged.push((key, e.to_string())),
        }
    }
    Loaded {
        doc,
        chunk_keys,
        damaged,
    }
}

impl DocSync {
    pub fn new(id: DocId, server: Arc<str>, loaded: Loaded) -> Self {
        Self {
            id,
            id_text: id.to_string().into(),
            server,
            doc: loaded.doc,
            peers: HashMap::new(),
            chunk_keys: loaded.chunk_keys,
            damaged: loaded.damaged.len(),
            verified: false,
            refused: None,
        }
    }

    /// Whether chunks could not be read when loading: the document in memory
    /// is then not all that is stored.
    pub fn is_damaged(&self) -> bool {
        self.damaged > 0
    }

    /// Whether the content still has to be checked against its registration:
    /// until it has matched once (a first sync may carry only part of it).
    pub fn needs_check(&self) -> bool {
        !self.verified && self.refused.is_none() && !self.doc.get_heads().is_empty()
    }

    pub fn mark_verified(&mut self) {
        self.verified = true;
    }

    /// Refuses the document: every subscriber is dropped; their connections
    /// are returned so they can be told.
    pub fn refuse(&mut self, reason: String) -> Vec<ConnId> {
        self.refused = Some(reason);
        self.peers.drain().map(|(conn, _)| conn).collect()
    }

    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    pub fn id(&self) -> DocId {
        self.id
    }

    pub fn id_text(&self) -> &str {
        &self.id_text
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn document(&self) -> &Automerge {
        &self.doc
    }

    /// Subscribes a peer the document had before it was evicted.
    pub fn restore(
        &mut self,
        conn: ConnId,
        peer: Arc<str>,
        access: Access,
        shared_heads: Vec<ChangeHash>,
    ) {
        if access.can_read() {
            self.peers
                .insert(conn, PeerSync::new(peer, access, shared_heads));
        }
    }

    /// The subscribers and the heads each is known to share, for eviction.
    pub fn subscribers(&self) -> impl Iterator<Item = (ConnId, &[ChangeHash])> {
        self.peers
            .iter()
            .map(|(c, p)| (*c, p.state.shared_heads.as_slice()))
    }

    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    pub fn is_subscribed(&self, conn: ConnId) -> bool {
        self.peers.contains_key(&conn)
    }

    /// Step 1: what of `msg` must be written before it may be applied. Only
    /// a peer that may write gets its changes stored; a read-only peer's are
    /// ignored when applied. Every chunk is checked to be Automerge data, so
    /// nothing unreadable is ever stored.
    pub fn stage(&self, msg: &sync::Message, access: Access) -> Result<Vec<Write>, String> {
        if !access.can_write() || msg.changes.is_empty() {
            return Ok(Vec::new());
        }
        let mut changes: Vec<(ChangeHash, &[u8])> = Vec::new();
        let mut writes = Vec::new();
        // An entry may hold several chunks back to back (an incremental save).
        for entry in msg.changes.iter() {
            for chunk in chunk::split(entry).map_err(|e| e.to_string())? {
                match Change::try_from(chunk) {
                    Ok(change) => changes.push((change.hash(), chunk)),
                    Err(automerge::LoadChangeError::WrongChunkType) => {
                        // A whole document (a first sync sends one).
                        let whole = Automerge::load(chunk).map_err(|e| e.to_string())?;
                        let heads = whole.get_heads();
                        if !self.missing(&heads).is_empty() {
                            writes.push(Write::Put {
                                doc: self.id,
                                key: chunks::snapshot_key(&self.id, &heads),
                                data: chunk.to_vec(),
                            });
                        }
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
        }
        let hashes: Vec<ChangeHash> = changes.iter().map(|(h, _)| *h).collect();
        let missing = self.missing(&hashes);
        for (hash, chunk) in changes {
            if missing.contains(&hash) {
                writes.push(Write::Put {
                    doc: self.id,
                    key: chunks::incremental_key(&self.id, &hash),
                    data: chunk.to_vec(),
                });
            }
        }
        Ok(writes)
    }

    /// Of `hashes`, those the document does not hold.
    fn missing(&self, hashes: &[ChangeHash]) -> HashSet<ChangeHash> {
        let wanted: HashSet<ChangeHash> = hashes.iter().copied().collect();
        self.doc
            .get_missing_deps(hashes)
            .into_iter()
            .filter(|h| wanted.contains(h))
            .collect()
    }

    /// Notes chunks written for this document (after a commit).
    pub fn stored(&mut self, keys: impl IntoIterator<Item = String>) {
        self.chunk_keys.extend(keys);
    }

    /// Step 2: applies a message whose changes are stored, subscribing the
    /// peer if it is new.
    pub fn receive(
        &mut self,
        conn: ConnId,
        peer: &Arc<str>,
        access: Access,
        request: bool,
        msg: sync::Message,
    ) -> Result<Receipt, automerge::AutomergeError> {
        let p = self
            .peers
            .entry(conn)
            .or_insert_with(|| PeerSync::new(peer.clone(), access, Vec::new()));
        p.set_access(access);
        self.doc.receive_sync_message(&mut p.state, msg)?;
        if request && self.doc.get_heads().is_empty() {
            return Ok(Receipt::Unavailable);
        }
        Ok(Receipt::Applied)
    }

    /// Makes `edit`'s change on a copy of the document (under a new actor id),
    /// leaving the document itself untouched until [`Self::apply_local`].
    /// `Ok(None)`: the edit changed nothing. An edit that fails leaves no
    /// trace.
    pub fn prepare_edit<E>(
        &self,
        edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), E>,
    ) -> Result<Option<Prepared>, E> {
        let mut copy = self.doc.fork();
        let mut tx = copy.transaction();
        edit(&mut tx)?;
        let (Some(hash), _) = tx.commit() else {
            return Ok(None);
        };
        let change = copy
            .get_change_by_hash(&hash)
            .expect("a change just committed is in the document")
            .clone();
        Ok(Some(Prepared {
            hash,
            doc: self.id,
            change,
        }))
    }

    /// Puts a prepared change, now stored, into the document. Its subscribers
    /// hear of it through [`Self::generate`].
    pub fn apply_local(&mut self, prepared: Prepared) -> Result<(), automerge::AutomergeError> {
        self.chunk_keys
            .push(chunks::incremental_key(&self.id, &prepared.hash));
        self.doc.apply_changes([prepared.change])
    }

    /// Applies a new access decision; `false` when the peer lost its access
    /// and was unsubscribed.
    pub fn set_access(&mut self, conn: ConnId, access: Access) -> bool {
        if !access.can_read() {
            self.peers.remove(&conn);
            return false;
        }
        if let Some(p) = self.peers.get_mut(&conn) {
            p.set_access(access);
        }
        true
    }

    pub fn peers(&self) -> impl Iterator<Item = (ConnId, &Arc<str>)> {
        self.peers.iter().map(|(c, p)| (*c, &p.peer))
    }

    pub fn remove(&mut self, conn: ConnId) {
        self.peers.remove(&conn);
    }

    /// Step 3: the frames to send `conn` now, if any.
    pub fn generate(&mut self, conn: ConnId) -> Vec<Vec<u8>> {
        let Some(p) = self.peers.get_mut(&conn) else {
            return Vec::new();
        };
        let heads = self.doc.get_heads();
        let mut frames = Vec::new();
        // Automerge 0.12's reset message advertises empty heads but records
        // the real ones as sent; a follow-up with the real heads goes in the
        // same batch, or an empty peer might never answer (samod does the same).
        for _ in 0..2 {
            let Some(msg) = self.doc.generate_sync_message(&mut p.state) else {
                break;
            };
            let follow_up = msg.heads != heads;
            if follow_up {
                p.state.last_sent_heads.clone_from(&msg.heads);
            }
            frames.push(wire::sync(
                &self.server,
                &p.peer,
                &self.id_text,
                &msg.encode(),
            ));
            if !follow_up {
                break;
            }
        }
        frames
    }

    /// An ephemeral message from `from`, for every other subscriber that may read.
    pub fn relay(
        &self,
        from: ConnId,
        count: u64,
        session: &str,
        data: &[u8],
    ) -> Vec<(ConnId, Vec<u8>)> {
        let Some(sender) = self.peers.get(&from) else {
            return Vec::new();
        };
        self.peers
            .iter()
            .filter(|(c, _)| **c != from)
            .map(|(c, p)| {
                (
                    *c,
                    wire::ephemeral(&sender.peer, &p.peer, &self.id_text, count, session, data),
                )
            })
            .collect()
    }

    /// The write that replaces the document's chunks by one snapshot, when
    /// there are enough of them and the snapshot would hold them all.
    pub fn compaction(&self) -> Option<Write> {
        if self.chunk_keys.len() < COMPACT_AFTER || self.damaged > 0 {
            return None;
        }
        // Changes waiting for their dependencies are not in a saved document.
        if !self.doc.get_missing_deps(&[]).is_empty() {
            return None;
        }
        let heads = self.doc.get_heads();
        Some(Write::Compact {
            doc: self.id,
            key: chunks::snapshot_key(&self.id, &heads),
            data: self.doc.save(),
            replaces: self.chunk_keys.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ReadDoc};

    fn server() -> Arc<str> {
        Arc::from("trygg-server")
    }

    fn empty(id: DocId) -> DocSync {
        DocSync::new(id, server(), load(Vec::new()))
    }

    /// Runs one client against the server document until neither side has
    /// anything to say, storing what the server stages as the engine would.
    fn sync_until_quiet(
        server: &mut DocSync,
        conn: ConnId,
        access: Access,
        client: &mut AutoCommit,
        state: &mut sync::State,
    ) -> usize {
        let peer: Arc<str> = Arc::from("client");
        let mut stored = 0;
        for _ in 0..20 {
            let mut quiet = true;
            if let Some(msg) = client.sync().generate_sync_message(state) {
                quiet = false;
                let writes = server.stage(&msg, access).unwrap();
                stored += writes.len();
                let keys = writes.iter().map(|w| match w {
                    Write::Put { key, .. } | Write::Compact { key, .. } => key.clone(),
                });
                server.stored(keys.collect::<Vec<_>>());
                server.receive(conn, &peer, access, false, msg).unwrap();
            }
            for frame in server.generate(conn) {
                quiet = false;
                let wire::Inbound::Sync { data, .. } = wire::decode(&frame).unwrap() else {
                    panic!("not a sync frame");
                };
                let msg = sync::Message::decode(data).unwrap();
                client.sync().receive_sync_message(state, msg).unwrap();
            }
            if quiet {
                break;
            }
        }
        stored
    }

    #[test]
    fn a_server_edit_reaches_the_document_only_when_applied_and_then_its_readers() {
        let id = DocId::random();
        let mut server_doc = empty(id);
        let mut device = AutoCommit::new();
        device.put(automerge::ROOT, "status", "proposed").unwrap();
        let mut ds = sync::State::new();
        sync_until_quiet(&mut server_doc, 1, Access::ReadWrite, &mut device, &mut ds);
        let before = server_doc.heads();

        let prepared = server_doc
            .prepare_edit(|tx| tx.put(automerge::ROOT, "status", "done"))
            .unwrap()
            .expect("the edit changed something");
        assert_eq!(
            server_doc.heads(),
            before,
            "not in the document before it is stored"
        );
        let Write::Put { key, data, .. } = &prepared.write() else {
            panic!("a new change is written as an incremental chunk");
        };
        assert_eq!(key, &chunks::incremental_key(&id, &prepared.hash));
        assert!(Change::try_from(data.as_slice()).is_ok());

        let hash = prepared.hash;
        server_doc.apply_local(prepared).unwrap();
        assert_eq!(server_doc.heads(), vec![hash]);
        sync_until_quiet(&mut server_doc, 1, Access::ReadWrite, &mut device, &mut ds);
        assert_eq!(device.get_heads(), vec![hash]);
        let status = device.get(automerge::ROOT, "status").unwrap().unwrap().0;
        assert_eq!(status.as_str(), Some("done"));
    }

    #[test]
    fn a_failed_or_empty_server_edit_leaves_no_trace() {
        let server_doc = empty(DocId::random());
        let failed = server_doc.prepare_edit(|tx| {
            tx.put(automerge::ROOT, "status", "done").unwrap();
            Err("refused")
        });
        assert_eq!(failed.unwrap_err(), "refused");
        let nothing = server_doc.prepare_edit(|_| Ok::<(), String>(()));
        assert!(nothing.unwrap().is_none());
        assert!(server_doc.heads().is_empty());
    }

    #[test]
    fn a_writer_uploads_and_a_reader_receives() {
        let id = DocId::random();
        let mut server_doc = empty(id);
        let mut writer = AutoCommit::new();
        writer.put(automerge::ROOT, "title", "Torget").unwrap();
        let mut ws = sync::State::new();
        let stored = sync_until_quiet(&mut server_doc, 1, Access::ReadWrite, &mut writer, &mut ws);
        assert!(stored >= 1, "the upload was staged for storage");
        assert_eq!(server_doc.heads(), writer.get_heads());

        let mut reader = AutoCommit::new();
        let mut rs = sync::State::new();
        let stored = sync_until_quiet(&mut server_doc, 2, Access::Read, &mut reader, &mut rs);
        assert_eq!(stored, 0);
        assert_eq!(reader.get_heads(), writer.get_heads());
        assert_eq!(
            reader
                .get(automerge::ROOT, "title")
                .unwrap()
                .unwrap()
                .0
                .as_str(),
            Some("Torget")
        );
    }

    #[test]
    fn a_read_only_peer_changes_nothing() {
        let id = DocId::random();
        let mut server_doc = empty(id);
        let mut owner = AutoCommit::new();
        owner.put(automerge::ROOT, "a", 1).unwrap();
        let mut os = sync::State::new();
        sync_until_quiet(&mut server_doc, 1, Access::ReadWrite, &mut owner, &mut os);
        let before = server_doc.heads();

        let mut viewer = owner.fork();
        viewer.put(automerge::ROOT, "a", 2).unwrap();
        let mut vs = sync::State::new();
        let stored = sync_until_quiet(&mut server_doc, 2, Access::Read, &mut viewer, &mut vs);
        assert_eq!(stored, 0, "nothing of a viewer's is stored");
        assert_eq!(server_doc.heads(), before);
    }

    #[test]
    fn changes_already_held_are_not_stored_again() {
        let id = DocId::random();
        let mut server_doc = empty(id);
        let mut a = AutoCommit::new();
        a.put(automerge::ROOT, "k", "v").unwrap();
        let mut sa = sync::State::new();
        sync_until_quiet(&mut server_doc, 1, Access::ReadWrite, &mut a, &mut sa);
        // A second device with the same history, syncing from scratch.
        let mut b = a.fork();
        let mut sb = sync::State::new();
        let stored = sync_until_quiet(&mut server_doc, 2, Access::ReadWrite, &mut b, &mut sb);
        assert_eq!(stored, 0);
    }

    #[test]
    fn garbage_changes_are_refused_before_anything_is_stored() {
        let server_doc = empty(DocId::random());
        let mut a = AutoCommit::new();
        a.put(automerge::ROOT, "k", "v").unwrap();
        let mut msg = a
            .sync()
            .generate_sync_message(&mut sync::State::new())
            .unwrap();
        // The server says what it has; the client answers with changes.
        msg.changes = automerge::sync::ChunkList::from(vec![b"\x85\x6f\x4a\x83garbage".to_vec()]);
        assert!(server_doc.stage(&msg, Access::ReadWrite).is_err());
    }

    #[test]
    fn chunks_back_to_back_are_split_and_each_stored() {
        let mut a = AutoCommit::new();
        let mut joined = Vec::new();
        for i in 0..3 {
            a.put(automerge::ROOT, "n", i).unwrap();
            a.commit();
        }
        for c in a.get_changes(&[]) {
            joined.extend_from_slice(c.raw_bytes());
        }
        let parts = chunk::split(&joined).unwrap();
        assert_eq!(parts.len(), 3);
        assert!(chunk::split(&joined[..joined.len() - 1]).is_err());
        assert!(chunk::split(b"nonsense bytes").is_err());
        let server_doc = empty(DocId::random());
        let mut msg = a
            .sync()
            .generate_sync_message(&mut sync::State::new())
            .unwrap();
        msg.changes = automerge::sync::ChunkList::from(vec![joined]);
        assert_eq!(server_doc.stage(&msg, Access::ReadWrite).unwrap().len(), 3);
    }

    #[test]
    fn a_request_for_a_document_without_content_is_unavailable() {
        let mut server_doc = empty(DocId::random());
        let fresh = Automerge::new();
        let msg = fresh
            .generate_sync_message(&mut sync::State::new())
            .unwrap();
        let r = server_doc
            .receive(1, &Arc::from("p"), Access::ReadWrite, true, msg)
            .unwrap();
        assert_eq!(r, Receipt::Unavailable);
    }

    #[test]
    fn losing_access_unsubscribes() {
        let mut server_doc = empty(DocId::random());
        let msg = Automerge::new()
            .generate_sync_message(&mut sync::State::new())
            .unwrap();
        server_doc
            .receive(1, &Arc::from("p"), Access::ReadWrite, false, msg)
            .unwrap();
        assert!(server_doc.is_subscribed(1));
        assert!(server_doc.set_access(1, Access::Read));
        assert!(!server_doc.set_access(1, Access::None));
        assert!(!server_doc.is_subscribed(1));
        assert!(server_doc.generate(1).is_empty());
    }

    #[test]
    fn a_compacted_document_loads_to_the_same_heads() {
        let id = DocId::random();
        let mut server_doc = empty(id);
        let mut a = AutoCommit::new();
        let mut sa = sync::State::new();
        for i in 0..(COMPACT_AFTER as i64 + 1) {
            a.put(automerge::ROOT, "n", i).unwrap();
            a.commit();
            sync_until_quiet(&mut server_doc, 1, Access::ReadWrite, &mut a, &mut sa);
        }
        let Some(Write::Compact { data, replaces, .. }) = server_doc.compaction() else {
            panic!("enough chunks for a compaction");
        };
        assert!(replaces.len() >= COMPACT_AFTER);
        let reloaded = load(vec![("k".into(), data)]);
        assert_eq!(reloaded.doc.get_heads(), a.get_heads());
    }
}
