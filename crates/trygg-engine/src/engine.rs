//! The engine's runtime: connections, one task per loaded document, the
//! group-commit writer, and eviction.
//!
//! Work follows subscriptions. A connection subscribes to a document by
//! sending a message about it (after an access check); a change to a
//! document is answered and forwarded to that document's subscribers only.
//! An idle connection has no task of its own beyond its socket's; an idle
//! document is evicted, its subscribers kept as a few bytes each (the heads
//! each shares) and restored when it loads again.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use automerge::ChangeHash;
use automerge::sync;
use bytes::Bytes;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use trygg_core::access::{Access, ContentCheck};
use trygg_core::{DocError, DocId};
use trygg_store::GroupCommit;

use crate::doc::{self, ConnId};
use crate::gate::{Gate, Refusal};
pub use crate::stats::Stats;
use crate::store::Readers;
use crate::wire::{self, Inbound};

/// The access decision the engine asks for every (document, peer).
pub trait AccessSource: Send + Sync + 'static {
    fn access(&self, doc: &DocId, peer: &str) -> Access;

    /// Whether the document's content agrees with what it was registered as.
    /// Asked after it is loaded and after changes are applied, until it
    /// matches once; a contradiction refuses the document.
    fn check_content(&self, _doc: &DocId, _content: &automerge::Automerge) -> ContentCheck {
        ContentCheck::Matches
    }
}

/// What the engine tells the audit trail: a connection's peer (from
/// `origin`) read, changed or was refused a document over sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncEvent {
    /// The connection subscribed to the document (it may read it): the
    /// document is sent to it from now on.
    Read,
    /// A message from the connection changed the document (once stored).
    Changed,
    /// The connection asked for a document it may not read (or that does not
    /// exist: the answer is the same).
    Refused,
}

/// Where the engine reports [`SyncEvent`]s. Called on the sync path: it must
/// only queue, never wait.
pub trait Audit: Send + Sync + 'static {
    fn record(&self, doc: &DocId, peer: &str, origin: &str, event: SyncEvent);
}

#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The server's own peer id on the wire.
    pub server_peer: String,
    /// A document nobody has sent anything about for this long is evicted.
    pub evict_after: Duration,
    /// Messages one connection may have waiting at documents; past that its
    /// socket is not read (TCP pushes back on the device).
    pub max_in_flight: usize,
    /// Bytes queued for one connection before it counts as too slow and is closed.
    pub max_queued_bytes: usize,
    /// A changed document's index rows are derived from it in memory at
    /// most this often (and once more when it goes idle).
    pub index_every: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            server_peer: "trygg-server".into(),
            evict_after: Duration::from_secs(30),
            max_in_flight: 64,
            max_queued_bytes: 256 * 1024 * 1024,
            index_every: Duration::from_millis(200),
        }
    }
}

/// What a connection's socket task is told to do.
#[derive(Debug)]
pub enum Out {
    Frame(Bytes),
    /// Close the socket; the reason is for the log.
    Close(String),
}

/// The engine. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Engine {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) config: EngineConfig,
    pub(crate) server: Arc<str>,
    pub(crate) access: Arc<dyn AccessSource>,
    pub(crate) audit: Arc<dyn Audit>,
    pub(crate) writer: GroupCommit,
    pub(crate) readers: Readers,
    pub(crate) shards: Box<[Mutex<HashMap<DocId, Slot>>]>,
    pub(crate) hasher: std::collections::hash_map::RandomState,
    /// Open connections by peer id, to close a revoked device's.
    pub(crate) by_peer: Mutex<HashMap<Arc<str>, Vec<Weak<Outlet>>>>,
    pub(crate) next_conn: AtomicU64,
    /// Documents that received changes since the last `take_touched`.
    pub(crate) touched: Mutex<BTreeSet<DocId>>,
    pub(crate) stats: Stats,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A document's place in the engine: loaded (its task's inbox) or evicted
/// (only who is subscribed, and what each shares).
pub(crate) enum Slot {
    Live(mpsc::UnboundedSender<Input>),
    Idle(Vec<IdleSub>),
}

pub(crate) struct IdleSub {
    pub(crate) out: Arc<Outlet>,
    pub(crate) shared_heads: Vec<ChangeHash>,
}

pub(crate) enum Input {
    Sync {
        out: Arc<Outlet>,
        access: Access,
        request: bool,
        msg: sync::Message,
        _permit: OwnedSemaphorePermit,
    },
    Ephemeral {
        out: Arc<Outlet>,
        count: u64,
        session: String,
        data: Vec<u8>,
        _permit: OwnedSemaphorePermit,
    },
    Leave(ConnId),
    AccessChanged,
    /// The document is gone for good (see [`Engine::retire`]).
    Retire(oneshot::Sender<()>),
    /// A change made on the server (see [`Engine::edit`]); with `new`, the
    /// first change of a document nobody has written yet ([`Engine::create`]).
    Edit {
        edit: EditFn,
        new: bool,
        done: oneshot::Sender<Result<Option<ChangeHash>, EditError>>,
    },
}

/// An edit made on the server, on an open transaction of the document.
pub(crate) type EditFn =
    Box<dyn FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), DocError> + Send>;

/// Why an edit made on the server did not happen.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the server holds no such document")]
    NotFound,
    #[error("a document with this id already holds changes")]
    Exists,
    #[error("the new document would hold nothing")]
    Empty,
    #[error("the document cannot be served: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Refused(#[from] DocError),
    #[error("the change could not be stored: {0}")]
    Storage(String),
    #[error("the server is stopping")]
    Stopped,
}

/// The sending half of one connection, shared with the documents it is
/// subscribed to. Its queue allocates nothing until a frame waits in it (a
/// channel would allocate a block of slots per connection up front): an
/// idle device costs a few dozen bytes here.
#[derive(Debug)]
pub struct Outlet {
    pub(crate) id: ConnId,
    pub(crate) peer: Arc<str>,
    /// Where the connection comes from (for the audit trail).
    pub(crate) origin: Arc<str>,
    pub(crate) queue: Mutex<VecDeque<Out>>,
    /// Wakes the socket task (one waiter; a wake-up before it waits is kept).
    pub(crate) ready: Notify,
    pub(crate) queued: AtomicUsize,
    pub(crate) closed: AtomicBool,
    pub(crate) max_queued: usize,
}

impl Outlet {
    fn new(id: ConnId, peer: Arc<str>, origin: Arc<str>, max_queued: usize) -> Self {
        Outlet {
            id,
            peer,
            origin,
            queue: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
            queued: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            max_queued,
        }
    }

    pub(crate) fn push(&self, out: Out) {
        lock(&self.queue).push_back(out);
        self.ready.notify_one();
    }

    pub(crate) fn send(&self, frame: Vec<u8>) {
        if self.is_closed() {
            return;
        }
        let n = frame.len();
        if self.queued.fetch_add(n, Ordering::Relaxed) + n > self.max_queued {
            self.close(format!(
                "the device fell more than {} MiB behind; it will resync when it reconnects",
                self.max_queued >> 20
            ));
            return;
        }
        self.push(Out::Frame(Bytes::from(frame)));
    }

    pub(crate) fn close(&self, reason: String) {
        if !self.closed.swap(true, Ordering::Relaxed) {
            self.push(Out::Close(reason));
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

/// What the socket task of one connection sends from.
#[derive(Debug)]
pub struct Outbox(Arc<Outlet>);

impl Outbox {
    /// The next frame to send, or the order to close.
    pub async fn recv(&mut self) -> Out {
        loop {
            if let Some(out) = lock(&self.0.queue).pop_front() {
                return out;
            }
            self.0.ready.notified().await;
        }
    }
}

impl Drop for Outbox {
    /// The socket is gone: documents stop queueing for it.
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Relaxed);
        lock(&self.0.queue).clear();
    }
}

impl Engine {
    pub fn new(
        config: EngineConfig,
        access: Arc<dyn AccessSource>,
        audit: Arc<dyn Audit>,
        writer: GroupCommit,
        readers: Readers,
    ) -> Self {
        let shards = (0..64).map(|_| Mutex::new(HashMap::new())).collect();
        Self {
            shared: Arc::new(Shared {
                server: Arc::from(config.server_peer.as_str()),
                config,
                access,
                audit,
                writer,
                readers,
                shards,
                hasher: Default::default(),
                by_peer: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(1),
                touched: Mutex::new(BTreeSet::new()),
                stats: Stats::default(),
            }),
        }
    }

    /// A new connection for `peer` (the peer id its token authenticated) from
    /// `origin` (its address, as the audit trail records it), and the receiver
    /// its socket task sends from.
    pub fn connect(&self, peer: &str, origin: &str) -> (Connection, Outbox) {
        let peer: Arc<str> = Arc::from(peer);
        let out = Arc::new(Outlet::new(
            self.shared.next_conn.fetch_add(1, Ordering::Relaxed),
            peer.clone(),
            Arc::from(origin),
            self.shared.config.max_queued_bytes,
        ));
        lock(&self.shared.by_peer)
            .entry(peer.clone())
            .or_default()
            .push(Arc::downgrade(&out));
        self.shared
            .stats
            .connections
            .fetch_add(1, Ordering::Relaxed);
        let outbox = Outbox(out.clone());
        let conn = Connection {
            shared: self.shared.clone(),
            gate: Gate::new(peer.to_string()),
            out,
            subscribed: HashSet::new(),
            permits: Arc::new(Semaphore::new(self.shared.config.max_in_flight)),
        };
        (conn, outbox)
    }

    /// The access table changed for these documents: every subscriber's
    /// access is decided again (a loaded document does it in its task; an
    /// evicted one here).
    pub fn access_changed(&self, docs: impl IntoIterator<Item = DocId>) {
        for id in docs {
            let mut shard = self.shared.shard(&id);
            match shard.get_mut(&id) {
                Some(Slot::Live(tx)) => {
                    // Fails only if the task died; the next message starts a
                    // new one, which decides every subscriber's access afresh.
                    let _ = tx.send(Input::AccessChanged);
                }
                Some(Slot::Idle(subs)) => {
                    subs.retain(|s| self.shared.access.access(&id, &s.out.peer).can_read());
                    if subs.is_empty() {
                        shard.remove(&id);
                    }
                }
                None => {}
            }
        }
    }

    /// Retires a document for good (it was replaced by a purged copy): its
    /// subscribers are told it is unavailable and its task ends without
    /// writing anything back (no compaction on the way out). Returns once
    /// nothing in the engine will write the document again. The caller
    /// removes every device's access first: a message already on its way is
    /// then refused, because a round decides access afresh before it stores.
    pub async fn retire(&self, id: DocId) {
        let done = {
            let mut shard = self.shared.shard(&id);
            match shard.remove(&id) {
                Some(Slot::Live(tx)) => {
                    let (done_tx, done_rx) = oneshot::channel();
                    match tx.send(Input::Retire(done_tx)) {
                        Ok(()) => {
                            shard.insert(id, Slot::Live(tx));
                            Some(done_rx)
                        }
                        // The task is gone already (it panicked).
                        Err(_) => None,
                    }
                }
                Some(Slot::Idle(subs)) => {
                    let text = id.to_string();
                    for sub in subs {
                        sub.out.send(wire::doc_unavailable(
                            &self.shared.server,
                            &sub.out.peer,
                            &text,
                        ));
                    }
                    None
                }
                None => None,
            }
        };
        if let Some(done) = done {
            // An error means the task ended another way: it writes nothing either.
            let _ = done.await;
        }
    }

    /// Makes a change on the server (a person in the dashboard): `edit` runs
    /// on the document as it is in memory; the change is stored through the
    /// group commit, then applied and sent to every subscriber, like a
    /// device's. Returns its hash, or `None` when the edit changed nothing.
    /// The caller decides whether the person may make it.
    pub async fn edit(
        &self,
        id: DocId,
        edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), DocError>
        + Send
        + 'static,
    ) -> Result<Option<ChangeHash>, EditError> {
        self.server_change(id, false, Box::new(edit)).await
    }

    /// Makes the first change of a document on the server (a decision taken
    /// in a council meeting becomes an action): like [`Self::edit`], but the
    /// document must hold nothing yet ([`EditError::Exists`] otherwise).
    /// The caller registers the document first, so that the content check
    /// and every subscriber's access follow the access table.
    pub async fn create(
        &self,
        id: DocId,
        write: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<(), DocError>
        + Send
        + 'static,
    ) -> Result<ChangeHash, EditError> {
        self.server_change(id, true, Box::new(write))
            .await?
            .ok_or(EditError::Empty)
    }

    async fn server_change(
        &self,
        id: DocId,
        new: bool,
        edit: EditFn,
    ) -> Result<Option<ChangeHash>, EditError> {
        let (done, result) = oneshot::channel();
        self.shared.route(id, Input::Edit { edit, new, done });
        result.await.map_err(|_| EditError::Stopped)?
    }

    /// Closes every connection of `peer` (a revoked or expired device).
    pub fn disconnect_peer(&self, peer: &str, reason: &str) {
        let outs = lock(&self.shared.by_peer).remove(peer).unwrap_or_default();
        for out in outs.iter().filter_map(Weak::upgrade) {
            out.close(reason.to_string());
        }
    }

    /// Closes every sync connection with `reason` (the server is stopping):
    /// each socket sends what was queued before, then the reason and a close
    /// frame, so devices reconnect, to another instance where there is one.
    pub fn close_all(&self, reason: &str) {
        let all: Vec<_> = lock(&self.shared.by_peer).drain().collect();
        for out in all
            .iter()
            .flat_map(|(_, outs)| outs)
            .filter_map(Weak::upgrade)
        {
            out.close(reason.to_string());
        }
    }

    /// Documents that received changes since the last call.
    pub fn take_touched(&self) -> BTreeSet<DocId> {
        std::mem::take(&mut *lock(&self.shared.touched))
    }

    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Documents with a task (loaded) and documents kept only as subscriptions.
    pub fn slots(&self) -> (usize, usize) {
        let mut live = 0;
        let mut idle = 0;
        for shard in self.shared.shards.iter() {
            for slot in lock(shard).values() {
                match slot {
                    Slot::Live(_) => live += 1,
                    Slot::Idle(_) => idle += 1,
                }
            }
        }
        (live, idle)
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain maps consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub(crate) fn shard(&self, id: &DocId) -> MutexGuard<'_, HashMap<DocId, Slot>> {
        let i = (self.hasher.hash_one(id) as usize) % self.shards.len();
        lock(&self.shards[i])
    }

    /// Delivers `input` to the document's task, starting it if needed.
    fn route(self: &Arc<Self>, id: DocId, input: Input) {
        let mut shard = self.shard(&id);
        let restore = match shard.remove(&id) {
            Some(Slot::Live(tx)) => match tx.send(input) {
                Ok(()) => {
                    shard.insert(id, Slot::Live(tx));
                    return;
                }
                // The task ended without removing itself (it panicked):
                // start a new one.
                Err(mpsc::error::SendError(input)) => {
                    return self.start(&mut shard, id, Vec::new(), input);
                }
            },
            Some(Slot::Idle(subs)) => subs,
            None => Vec::new(),
        };
        self.start(&mut shard, id, restore, input)
    }

    fn start(
        self: &Arc<Self>,
        shard: &mut HashMap<DocId, Slot>,
        id: DocId,
        restore: Vec<IdleSub>,
        input: Input,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        // The receiver is alive: it was made on the line above.
        let _ = tx.send(input);
        shard.insert(id, Slot::Live(tx));
        self.stats.loaded_documents.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(crate::task::run_document(self.clone(), id, rx, restore));
    }

    /// Leaves a document (a closed connection, or one that lost access).
    fn leave(&self, id: DocId, conn: ConnId) {
        let mut shard = self.shard(&id);
        match shard.get_mut(&id) {
            Some(Slot::Live(tx)) => {
                // A dead task holds no subscription to leave.
                let _ = tx.send(Input::Leave(conn));
            }
            Some(Slot::Idle(subs)) => {
                subs.retain(|s| s.out.id != conn);
                if subs.is_empty() {
                    shard.remove(&id);
                }
            }
            None => {}
        }
    }
}

/// One connection's receiving side, owned by its socket task.
#[derive(Debug)]
pub struct Connection {
    shared: Arc<Shared>,
    gate: Gate,
    out: Arc<Outlet>,
    subscribed: HashSet<DocId>,
    permits: Arc<Semaphore>,
}

impl Connection {
    pub fn peer(&self) -> &str {
        &self.out.peer
    }

    /// Handles one inbound frame. An error means the connection must close;
    /// it says why, for the log.
    pub async fn receive(&mut self, frame: &[u8]) -> Result<(), Refusal> {
        self.shared.stats.frames_in.fetch_add(1, Ordering::Relaxed);
        let result = self.handle(frame).await;
        if let Err(refusal) = &result {
            self.shared.stats.refused(refusal);
        }
        result
    }

    async fn handle(&mut self, frame: &[u8]) -> Result<(), Refusal> {
        let shared = self.shared.clone();
        match self.gate.check(frame)? {
            Inbound::Join { .. } => {
                self.out.send(wire::peer(&shared.server, &self.out.peer));
            }
            Inbound::Sync {
                request, doc, data, ..
            } => {
                let kind = if request { "request" } else { "sync" };
                let id = doc.parse().ok_or_else(|| Refusal::BadDocumentId {
                    kind: kind.into(),
                    doc: doc.to_string(),
                })?;
                let msg = sync::Message::decode(data).map_err(|e| Refusal::BadSyncData {
                    kind: kind.into(),
                    doc: doc.to_string(),
                    reason: e.to_string(),
                })?;
                let access = shared.access.access(&id, &self.out.peer);
                if !access.can_read() {
                    if self.subscribed.remove(&id) {
                        shared.leave(id, self.out.id);
                    }
                    self.audit(&id, SyncEvent::Refused);
                    shared.stats.refused_because("no_access");
                    self.out.send(wire::doc_unavailable(
                        &shared.server,
                        &self.out.peer,
                        &doc.to_string(),
                    ));
                    return Ok(());
                }
                let permit = self.permit().await;
                if self.subscribed.insert(id) {
                    self.audit(&id, SyncEvent::Read);
                }
                shared.route(
                    id,
                    Input::Sync {
                        out: self.out.clone(),
                        access,
                        request,
                        msg,
                        _permit: permit,
                    },
                );
            }
            Inbound::Ephemeral {
                doc,
                count,
                session,
                data,
                ..
            } => {
                // Only to documents the peer is subscribed to and may read.
                let Some(id) = doc.parse() else {
                    return Ok(());
                };
                if self.subscribed.contains(&id)
                    && shared.access.access(&id, &self.out.peer).can_read()
                {
                    let permit = self.permit().await;
                    shared.route(
                        id,
                        Input::Ephemeral {
                            out: self.out.clone(),
                            count,
                            session: session.to_string(),
                            data: data.to_vec(),
                            _permit: permit,
                        },
                    );
                }
            }
            // A peer telling us it lacks a document, or gossip about remote
            // heads, asks nothing of the server.
            Inbound::DocUnavailable { .. } | Inbound::Other { .. } => {}
            Inbound::Leave { .. } => return Err(Refusal::Left),
        }
        Ok(())
    }

    fn audit(&self, doc: &DocId, event: SyncEvent) {
        self.shared
            .audit
            .record(doc, &self.out.peer, &self.out.origin, event);
    }

    async fn permit(&self) -> OwnedSemaphorePermit {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .expect("the connection's semaphore is never closed")
    }

    /// A frame the socket task refused before the engine saw it (a text
    /// frame), counted as the engine's refusals are.
    pub fn refused(&self, refusal: &Refusal) {
        self.shared.stats.refused(refusal);
    }

    /// The socket task wrote `n` bytes of queued frames.
    pub fn sent(&self, n: usize) {
        self.out.queued.fetch_sub(n, Ordering::Relaxed);
        self.shared.stats.frames_out.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.out.closed.store(true, Ordering::Relaxed);
        for id in self.subscribed.drain() {
            self.shared.leave(id, self.out.id);
        }
        let mut by_peer = lock(&self.shared.by_peer);
        if let Some(list) = by_peer.get_mut(&self.out.peer) {
            list.retain(|w| w.upgrade().is_some_and(|o| o.id != self.out.id));
            if list.is_empty() {
                by_peer.remove(&self.out.peer);
            }
        }
        self.shared
            .stats
            .connections
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// For `doc::load` callers outside the engine (tests, tools).
pub use doc::load as load_chunks;

#[cfg(test)]
mod tests {
    use super::*;

    fn outlet(max_queued: usize) -> Arc<Outlet> {
        Arc::new(Outlet::new(
            1,
            Arc::from("peer"),
            Arc::from("127.0.0.1"),
            max_queued,
        ))
    }

    fn next(out: &Outlet) -> Option<Out> {
        lock(&out.queue).pop_front()
    }

    #[test]
    fn a_connection_that_falls_too_far_behind_is_closed_once() {
        let out = outlet(100);
        out.send(vec![0; 60]);
        out.send(vec![0; 60]);
        out.send(vec![0; 10]);
        assert!(matches!(next(&out), Some(Out::Frame(f)) if f.len() == 60));
        match next(&out) {
            Some(Out::Close(reason)) => assert!(reason.contains("fell more than"), "{reason}"),
            other => panic!("expected a close, got {other:?}"),
        }
        assert!(next(&out).is_none(), "nothing is queued after the close");
        assert!(out.is_closed());
    }

    #[test]
    fn frames_written_out_make_room_again() {
        let out = outlet(100);
        for _ in 0..10 {
            out.send(vec![0; 60]);
            let Some(Out::Frame(f)) = next(&out) else {
                panic!("a frame")
            };
            out.queued.fetch_sub(f.len(), Ordering::Relaxed);
        }
        assert!(!out.is_closed());
    }

    #[tokio::test]
    async fn the_socket_task_wakes_for_each_frame_and_a_dropped_outbox_closes() {
        let out = outlet(1 << 20);
        let mut outbox = Outbox(out.clone());
        let sender = out.clone();
        let task = tokio::spawn(async move {
            for i in 0..100u8 {
                sender.send(vec![i]);
                tokio::task::yield_now().await;
            }
        });
        for i in 0..100u8 {
            match outbox.recv().await {
                Out::Frame(f) => assert_eq!(&f[..], &[i]),
                other => panic!("expected frame {i}, got {other:?}"),
            }
        }
        task.await.unwrap();
        drop(outbox);
        assert!(out.is_closed());
        out.send(vec![1]);
        assert!(next(&out).is_none(), "nothing queues for a gone socket");
    }
}
