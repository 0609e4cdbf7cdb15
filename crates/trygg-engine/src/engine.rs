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
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};
use trygg_core::DocId;
use trygg_core::access::{Access, ContentCheck};
use trygg_store::GroupCommit;
use trygg_store::group_commit::Write;

use crate::doc::{self, ConnId, DocSync, Receipt};
use crate::gate::{Gate, Refusal};
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
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            server_peer: "trygg-server".into(),
            evict_after: Duration::from_secs(30),
            max_in_flight: 64,
            max_queued_bytes: 256 * 1024 * 1024,
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

/// Counters for operators and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub loaded_documents: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub commits: AtomicU64,
    pub chunks_stored: AtomicU64,
    pub evictions: AtomicU64,
    pub failed_commits: AtomicU64,
    /// Times a document was refused because its content contradicts its
    /// registration (when it arrived, and each time it is loaded again).
    pub refused_documents: AtomicU64,
}

/// The engine. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Engine {
    shared: Arc<Shared>,
}

struct Shared {
    config: EngineConfig,
    server: Arc<str>,
    access: Arc<dyn AccessSource>,
    audit: Arc<dyn Audit>,
    writer: GroupCommit,
    readers: Readers,
    shards: Box<[Mutex<HashMap<DocId, Slot>>]>,
    hasher: std::collections::hash_map::RandomState,
    /// Open connections by peer id, to close a revoked device's.
    by_peer: Mutex<HashMap<Arc<str>, Vec<Weak<Outlet>>>>,
    next_conn: AtomicU64,
    /// Documents that received changes since the last `take_touched`.
    touched: Mutex<BTreeSet<DocId>>,
    stats: Stats,
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
enum Slot {
    Live(mpsc::UnboundedSender<Input>),
    Idle(Vec<IdleSub>),
}

struct IdleSub {
    out: Arc<Outlet>,
    shared_heads: Vec<ChangeHash>,
}

enum Input {
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
}

/// The sending half of one connection, shared with the documents it is
/// subscribed to. Its queue allocates nothing until a frame waits in it (a
/// channel would allocate a block of slots per connection up front): an
/// idle device costs a few dozen bytes here.
#[derive(Debug)]
pub struct Outlet {
    id: ConnId,
    peer: Arc<str>,
    /// Where the connection comes from (for the audit trail).
    origin: Arc<str>,
    queue: Mutex<VecDeque<Out>>,
    /// Wakes the socket task (one waiter; a wake-up before it waits is kept).
    ready: Notify,
    queued: AtomicUsize,
    closed: AtomicBool,
    max_queued: usize,
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

    fn push(&self, out: Out) {
        lock(&self.queue).push_back(out);
        self.ready.notify_one();
    }

    fn send(&self, frame: Vec<u8>) {
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

    fn close(&self, reason: String) {
        if !self.closed.swap(true, Ordering::Relaxed) {
            self.push(Out::Close(reason));
        }
    }

    fn is_closed(&self) -> bool {
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

    /// Closes every connection of `peer` (a revoked or expired device).
    pub fn disconnect_peer(&self, peer: &str, reason: &str) {
        let outs = lock(&self.shared.by_peer).remove(peer).unwrap_or_default();
        for out in outs.iter().filter_map(Weak::upgrade) {
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain maps consistent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn shard(&self, id: &DocId) -> MutexGuard<'_, HashMap<DocId, Slot>> {
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
        tokio::spawn(run_document(self.clone(), id, rx, restore));
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
        let shared = self.shared.clone();
        shared.stats.frames_in.fetch_add(1, Ordering::Relaxed);
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

/// At most this many inputs are handled in one round (one commit).
const BATCH: usize = 256;

/// One loaded document: loads, then handles rounds of inputs until it has
/// been idle for `evict_after`.
async fn run_document(
    shared: Arc<Shared>,
    id: DocId,
    mut rx: mpsc::UnboundedReceiver<Input>,
    restore: Vec<IdleSub>,
) {
    let loaded = {
        let readers = shared.readers.clone();
        tokio::task::spawn_blocking(move || readers.load(&id)).await
    };
    let loaded = match loaded {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(e)) => return fail_load(&shared, id, rx, restore, &e.to_string()),
        Err(e) => return fail_load(&shared, id, rx, restore, &e.to_string()),
    };
    for (key, reason) in &loaded.damaged {
        tracing::error!(doc = %id, key, reason, "a stored chunk cannot be read; it is kept and left out");
    }
    let mut doc = DocSync::new(id, shared.server.clone(), loaded);
    let mut outs: HashMap<ConnId, Arc<Outlet>> = HashMap::new();
    for sub in restore {
        if sub.out.is_closed() {
            continue;
        }
        let access = shared.access.access(&id, &sub.out.peer);
        doc.restore(sub.out.id, sub.out.peer.clone(), access, sub.shared_heads);
        if doc.is_subscribed(sub.out.id) {
            outs.insert(sub.out.id, sub.out);
        }
    }
    check_content(&shared, &mut doc, &mut outs, None);
    loop {
        let first = match tokio::time::timeout(shared.config.evict_after, rx.recv()).await {
            Ok(Some(input)) => input,
            // Every sender is gone: only when the engine itself is dropped.
            Ok(None) => return,
            Err(_) => {
                if evict(&shared, &doc, &outs, &rx) {
                    if let Some(write) = doc.compaction()
                        && let Err(e) = shared.writer.commit(vec![write]).await
                    {
                        tracing::warn!(doc = %id, %e, "compaction failed; the chunks stay as they are");
                    }
                    return;
                }
                continue;
            }
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(input) => batch.push(input),
                Err(_) => break,
            }
        }
        round(&shared, &mut doc, &mut outs, batch).await;
    }
}

/// Handles one round: store what is new, apply, answer.
async fn round(
    shared: &Shared,
    doc: &mut DocSync,
    outs: &mut HashMap<ConnId, Arc<Outlet>>,
    mut batch: Vec<Input>,
) {
    let id = doc.id();
    if doc.refused().is_some() {
        for input in batch {
            match input {
                Input::Sync { out, .. } => {
                    out.send(wire::doc_unavailable(
                        &shared.server,
                        &out.peer,
                        doc.id_text(),
                    ));
                }
                Input::Leave(conn) => {
                    outs.remove(&conn);
                }
                Input::Ephemeral { .. } | Input::AccessChanged => {}
            }
        }
        return;
    }
    // 1. What must be stored before anything is applied.
    let mut writes = Vec::new();
    let mut keys = HashSet::new();
    let mut writers: HashSet<ConnId> = HashSet::new();
    let mut refused: HashSet<ConnId> = HashSet::new();
    for input in &batch {
        if let Input::Sync {
            out,
            access,
            request,
            msg,
            ..
        } = input
        {
            if refused.contains(&out.id) {
                continue;
            }
            match doc.stage(msg, *access) {
                Ok(staged) => {
                    if !staged.is_empty() {
                        writers.insert(out.id);
                    }
                    for w in staged {
                        if keys.insert(write_key(&w).to_string()) {
                            writes.push(w);
                        }
                    }
                }
                Err(reason) => {
                    let refusal = Refusal::BadChanges {
                        kind: if *request { "request" } else { "sync" }.into(),
                        doc: doc.id_text().to_string(),
                        reason,
                    };
                    tracing::warn!(peer = %out.peer, %refusal, "refused a message; closing the connection");
                    out.close(refusal.to_string());
                    refused.insert(out.id);
                }
            }
        }
    }
    if !writes.is_empty() {
        let n = writes.len() as u64;
        match shared.writer.commit(writes).await {
            Ok(()) => {
                shared.stats.commits.fetch_add(1, Ordering::Relaxed);
                shared.stats.chunks_stored.fetch_add(n, Ordering::Relaxed);
                doc.stored(keys);
                lock(&shared.touched).insert(id);
            }
            Err(e) => {
                shared.stats.failed_commits.fetch_add(1, Ordering::Relaxed);
                tracing::error!(doc = %id, %e, "cannot store changes; they are not acknowledged and the devices will send them again");
                for input in &batch {
                    if let Input::Sync { out, .. } = input
                        && writers.contains(&out.id)
                    {
                        out.close(format!(
                            "the server could not store the changes ({e}); they will be sent again"
                        ));
                        refused.insert(out.id);
                    }
                }
            }
        }
    }
    // 2. Apply, in arrival order.
    let heads_before = doc.heads();
    for input in batch.drain(..) {
        match input {
            Input::Sync {
                out,
                access,
                request,
                msg,
                ..
            } => {
                if refused.contains(&out.id) || out.is_closed() {
                    continue;
                }
                if doc.refused().is_some() {
                    out.send(wire::doc_unavailable(
                        &shared.server,
                        &out.peer,
                        doc.id_text(),
                    ));
                    continue;
                }
                tracing::trace!(doc = %id, peer = %out.peer, request, heads = ?msg.heads, changes = msg.changes.len(), "received");
                let heads_if_changes = (!msg.changes.is_empty()).then(|| doc.heads());
                let receipt = doc.receive(out.id, &out.peer, access, request, msg);
                if matches!(receipt, Ok(Receipt::Applied))
                    && heads_if_changes.is_some_and(|before| before != doc.heads())
                {
                    shared
                        .audit
                        .record(&id, &out.peer, &out.origin, SyncEvent::Changed);
                }
                match receipt {
                    Ok(Receipt::Applied) if check_content(shared, doc, outs, Some(&out)) => {
                        out.send(wire::doc_unavailable(
                            &shared.server,
                            &out.peer,
                            doc.id_text(),
                        ));
                    }
                    Ok(Receipt::Applied) => {
                        // Answer each message before the next one from the same
                        // peer is applied: automerge's sync state assumes it.
                        // Its changes are stored, so the answer may say so.
                        answer(shared, doc, &out);
                        outs.insert(out.id, out);
                    }
                    Ok(Receipt::Unavailable) => {
                        out.send(wire::doc_unavailable(
                            &shared.server,
                            &out.peer,
                            doc.id_text(),
                        ));
                        outs.insert(out.id, out);
                    }
                    Err(e) => {
                        let refusal = Refusal::BadChanges {
                            kind: if request { "request" } else { "sync" }.into(),
                            doc: doc.id_text().to_string(),
                            reason: e.to_string(),
                        };
                        tracing::warn!(peer = %out.peer, %refusal, "refused a message; closing the connection");
                        out.close(refusal.to_string());
                        doc.remove(out.id);
                        outs.remove(&out.id);
                        refused.insert(out.id);
                    }
                }
            }
            Input::Ephemeral {
                out,
                count,
                session,
                data,
                ..
            } => {
                for (conn, frame) in doc.relay(out.id, count, &session, &data) {
                    if let Some(o) = outs.get(&conn) {
                        o.send(frame);
                    }
                }
            }
            Input::Leave(conn) => {
                doc.remove(conn);
                outs.remove(&conn);
            }
            Input::AccessChanged => {
                let peers: Vec<(ConnId, Arc<str>)> =
                    doc.peers().map(|(c, p)| (c, p.clone())).collect();
                for (conn, peer) in peers {
                    if !doc.set_access(conn, shared.access.access(&id, &peer)) {
                        outs.remove(&conn);
                    } else if let Some(out) = outs.get(&conn) {
                        answer(shared, doc, out);
                    }
                }
            }
        }
    }
    // 3. When the document changed, everyone else subscribed hears of it.
    if doc.heads() != heads_before {
        let conns: Vec<ConnId> = outs.keys().copied().collect();
        for conn in conns {
            if let Some(out) = outs.get(&conn).cloned() {
                if out.is_closed() {
                    doc.remove(conn);
                    outs.remove(&conn);
                } else {
                    answer(shared, doc, &out);
                }
            }
        }
    }
}

/// Sends `out` what its sync state says it lacks, if it may still read.
fn answer(shared: &Shared, doc: &mut DocSync, out: &Outlet) {
    if !shared.access.access(&doc.id(), &out.peer).can_read() {
        // Access went away a moment ago; the AccessChanged input follows.
        return;
    }
    let frames = doc.generate(out.id);
    tracing::trace!(doc = %doc.id(), peer = %out.peer, frames = frames.len(), "answered");
    for frame in frames {
        out.send(frame);
    }
}

/// Checks the content against its registration while that is still needed
/// (see [`DocSync::needs_check`]); `true` when the document is refused, in
/// which case every subscriber has been told it is unavailable.
fn check_content(
    shared: &Shared,
    doc: &mut DocSync,
    outs: &mut HashMap<ConnId, Arc<Outlet>>,
    from: Option<&Outlet>,
) -> bool {
    if !doc.needs_check() {
        return doc.refused().is_some();
    }
    match shared.access.check_content(&doc.id(), doc.document()) {
        ContentCheck::Matches => {
            doc.mark_verified();
            false
        }
        ContentCheck::Unreadable => false,
        ContentCheck::Contradicts(facts) => {
            let reason = facts.join("; ");
            let sender = from.map_or("(as stored)", |o| &*o.peer);
            tracing::error!(
                doc = %doc.id(),
                peer = sender,
                %reason,
                "the document's content contradicts its registration: refused; its chunks are kept"
            );
            shared
                .stats
                .refused_documents
                .fetch_add(1, Ordering::Relaxed);
            for conn in doc.refuse(reason) {
                if let Some(out) = outs.remove(&conn) {
                    out.send(wire::doc_unavailable(
                        &shared.server,
                        &out.peer,
                        doc.id_text(),
                    ));
                }
            }
            for (_, out) in outs.drain() {
                out.send(wire::doc_unavailable(
                    &shared.server,
                    &out.peer,
                    doc.id_text(),
                ));
            }
            true
        }
    }
}

fn write_key(w: &Write) -> &str {
    match w {
        Write::Put { key, .. } | Write::Compact { key, .. } => key,
    }
}

/// Evicts the document if nothing waits for it; its subscribers stay as
/// idle records. Under the shard lock, so no message can slip in between.
fn evict(
    shared: &Shared,
    doc: &DocSync,
    outs: &HashMap<ConnId, Arc<Outlet>>,
    rx: &mpsc::UnboundedReceiver<Input>,
) -> bool {
    let id = doc.id();
    let mut shard = shared.shard(&id);
    if !rx.is_empty() {
        return false;
    }
    let subs: Vec<IdleSub> = doc
        .subscribers()
        .filter_map(|(conn, heads)| {
            let out = outs.get(&conn)?;
            (!out.is_closed()).then(|| IdleSub {
                out: out.clone(),
                shared_heads: heads.to_vec(),
            })
        })
        .collect();
    if subs.is_empty() {
        shard.remove(&id);
    } else {
        shard.insert(id, Slot::Idle(subs));
    }
    shared.stats.evictions.fetch_add(1, Ordering::Relaxed);
    shared
        .stats
        .loaded_documents
        .fetch_sub(1, Ordering::Relaxed);
    true
}

/// The document could not be read from storage: the peers waiting for it
/// are told it is unavailable (they ask again later), and its slot goes.
fn fail_load(
    shared: &Shared,
    id: DocId,
    mut rx: mpsc::UnboundedReceiver<Input>,
    restore: Vec<IdleSub>,
    reason: &str,
) {
    tracing::error!(doc = %id, reason, "cannot load a document; answering that it is unavailable");
    let mut shard = shared.shard(&id);
    shard.remove(&id);
    drop(shard);
    shared
        .stats
        .loaded_documents
        .fetch_sub(1, Ordering::Relaxed);
    let text = id.to_string();
    while let Ok(input) = rx.try_recv() {
        if let Input::Sync { out, .. } = input {
            out.send(wire::doc_unavailable(&shared.server, &out.peer, &text));
        }
    }
    drop(restore);
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
