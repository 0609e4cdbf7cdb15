//! One loaded document's task: it loads the document, then handles rounds
//! of inputs (store what is new through the group commit, apply, answer,
//! fan out to subscribers) until it is idle long enough to be evicted, or
//! is retired. A changed document's index rows are derived from it in
//! memory, at most every `index_every` and once more before it goes idle.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use automerge::ChangeHash;
use tokio::sync::mpsc;
use tokio::time::Instant;
use trygg_core::DocId;
use trygg_core::access::ContentCheck;
use trygg_store::group_commit::{Mark, Write};

use crate::doc::{ConnId, DocSync, Receipt};
use crate::engine::{EditError, EditFn, IdleSub, Input, Outlet, Shared, Slot, SyncEvent, lock};
use crate::gate::Refusal;
use crate::wire;

/// At most this many inputs are handled in one round (one commit).
const BATCH: usize = 256;

/// One loaded document: loads, then handles rounds of inputs until it has
/// been idle for `evict_after`.
pub(crate) async fn run_document(
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
    let mut index = Indexing::default();
    loop {
        let wait = index
            .due_in(shared.config.index_every)
            .unwrap_or(shared.config.evict_after);
        let first = match tokio::time::timeout(wait, rx.recv()).await {
            Ok(Some(input)) => input,
            // Every sender is gone: only when the engine itself is dropped.
            Ok(None) => return,
            Err(_) if index.due => {
                index.now(&shared, &doc);
                continue;
            }
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
        let retire_at = batch.iter().position(|i| matches!(i, Input::Retire(_)));
        if let Some(at) = retire_at {
            let rest = batch.split_off(at);
            rounds(&shared, &mut doc, &mut outs, batch, &mut index).await;
            return retire(&shared, &doc, &outs, rx, rest);
        }
        rounds(&shared, &mut doc, &mut outs, batch, &mut index).await;
        if index.due_in(shared.config.index_every) == Some(Duration::ZERO) {
            index.now(&shared, &doc);
        }
    }
}

/// Whether the document's index rows lag behind it, and what its last
/// commit left.
#[derive(Default)]
struct Indexing {
    /// Changed since its rows were last derived.
    due: bool,
    last: Option<Instant>,
    /// The stale mark of this task's last commit of the document.
    mark: Option<Mark>,
}

impl Indexing {
    fn committed(&mut self, mark: Option<Mark>) {
        if mark.is_some() {
            self.mark = mark;
        }
    }

    /// How long until the rows are to be derived; `None` when they are current.
    fn due_in(&self, every: Duration) -> Option<Duration> {
        if !self.due {
            return None;
        }
        Some(self.last.map_or(Duration::ZERO, |last| {
            (last + every).saturating_duration_since(Instant::now())
        }))
    }

    /// Derives the rows from the document in memory and queues them for the
    /// index. A document with damaged chunks is left to the stale-mark pass,
    /// which records the damage in its row.
    fn now(&mut self, shared: &Shared, doc: &DocSync) {
        self.due = false;
        self.last = Some(Instant::now());
        if doc.is_damaged() {
            return;
        }
        let rows = trygg_store::index::rows_for(&doc.id(), doc.document());
        match shared.writer.index(doc.id(), self.mark, rows) {
            Ok(()) => {
                shared.stats.indexed.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!(doc = %doc.id(), %e, "cannot queue index rows; the stale mark stays for the next pass")
            }
        }
    }
}

/// Handles a batch in arrival order: messages in rounds, each server edit
/// on its own between them.
async fn rounds(
    shared: &Shared,
    doc: &mut DocSync,
    outs: &mut HashMap<ConnId, Arc<Outlet>>,
    batch: Vec<Input>,
    index: &mut Indexing,
) {
    let heads_before = doc.heads();
    let mut messages = Vec::with_capacity(batch.len());
    for input in batch {
        let Input::Edit { edit, new, done } = input else {
            messages.push(input);
            continue;
        };
        if !messages.is_empty() {
            round(shared, doc, outs, std::mem::take(&mut messages), index).await;
        }
        let result = edit_round(shared, doc, outs, edit, new, index).await;
        if done.send(result).is_err() {
            tracing::debug!(doc = %doc.id(), "the editor stopped waiting; the edit's outcome stands");
        }
    }
    if !messages.is_empty() {
        round(shared, doc, outs, messages, index).await;
    }
    if doc.heads() != heads_before {
        index.due = true;
    }
}

/// One edit made on the server: made on a copy, stored, then applied and
/// sent to every subscriber, as a device's change would be. A `new` edit
/// writes a document's first change and finds it empty.
async fn edit_round(
    shared: &Shared,
    doc: &mut DocSync,
    outs: &mut HashMap<ConnId, Arc<Outlet>>,
    edit: EditFn,
    new: bool,
    index: &mut Indexing,
) -> Result<Option<ChangeHash>, EditError> {
    if let Some(reason) = doc.refused() {
        return Err(EditError::Unavailable(reason.to_string()));
    }
    match (new, doc.heads().is_empty()) {
        (false, true) => return Err(EditError::NotFound),
        (true, false) => return Err(EditError::Exists),
        _ => {}
    }
    let Some(prepared) = doc.prepare_edit(edit)? else {
        return Ok(None);
    };
    let id = doc.id();
    let started = Instant::now();
    let committed = shared.writer.commit(vec![prepared.write()]).await;
    shared.stats.wrote(started.elapsed());
    match committed {
        Ok(committed) => index.committed(committed.mark(&id)),
        Err(e) => {
            shared.stats.failed_commits.fetch_add(1, Ordering::Relaxed);
            tracing::error!(doc = %id, %e, "cannot store a change made on the server; it is not made");
            return Err(EditError::Storage(e.to_string()));
        }
    }
    shared.stats.commits.fetch_add(1, Ordering::Relaxed);
    shared.stats.chunks_stored.fetch_add(1, Ordering::Relaxed);
    let hash = prepared.hash;
    if let Err(e) = doc.apply_local(prepared) {
        // Automerge took the change on the copy; it is stored and loads
        // next time. Nobody is told it was made.
        tracing::error!(doc = %id, %e, "a stored change made on the server does not apply");
        return Err(EditError::Storage(e.to_string()));
    }
    lock(&shared.touched).insert(id);
    if check_content(shared, doc, outs, None) {
        let reason = doc.refused().map_or_else(
            || "its content contradicts its registration".to_string(),
            str::to_string,
        );
        return Err(EditError::Unavailable(reason));
    }
    fan_out(shared, doc, outs);
    Ok(Some(hash))
}

/// Ends a retired document's task: every subscriber hears it is
/// unavailable, the slot goes (under the shard lock, so nothing more is
/// routed here), what still waits is answered the same way, and nothing is
/// written back.
fn retire(
    shared: &Shared,
    doc: &DocSync,
    outs: &HashMap<ConnId, Arc<Outlet>>,
    mut rx: mpsc::UnboundedReceiver<Input>,
    waiting: Vec<Input>,
) {
    let id = doc.id();
    let unavailable = |out: &Outlet| {
        out.send(wire::doc_unavailable(
            &shared.server,
            &out.peer,
            doc.id_text(),
        ));
    };
    for out in outs.values() {
        unavailable(out);
    }
    let mut rest = waiting;
    {
        let mut shard = shared.shard(&id);
        shard.remove(&id);
        while let Ok(input) = rx.try_recv() {
            rest.push(input);
        }
    }
    shared
        .stats
        .loaded_documents
        .fetch_sub(1, Ordering::Relaxed);
    for input in rest {
        match input {
            Input::Sync { out, .. } => unavailable(&out),
            Input::Retire(done) => {
                // The caller may have stopped waiting; nothing is lost.
                let _ = done.send(());
            }
            Input::Edit { done, .. } => {
                // Nothing was changed, whether or not the editor still waits.
                let _ = done.send(Err(EditError::NotFound));
            }
            Input::Ephemeral { .. } | Input::Leave(_) | Input::AccessChanged => {}
        }
    }
}

/// Handles one round: store what is new, apply, answer.
async fn round(
    shared: &Shared,
    doc: &mut DocSync,
    outs: &mut HashMap<ConnId, Arc<Outlet>>,
    mut batch: Vec<Input>,
    index: &mut Indexing,
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
                Input::Retire(_) => unreachable!("run_document hands Retire to retire()"),
                Input::Edit { .. } => unreachable!("rounds() hands edits to edit_round()"),
            }
        }
        return;
    }
    // Access as the table says now: a message may have waited while a
    // device lost access or the document was retired.
    for input in &mut batch {
        if let Input::Sync { out, access, .. } = input {
            *access = (*access).min(shared.access.access(&id, &out.peer));
        }
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
                    shared.stats.refused(&refusal);
                    out.close(refusal.to_string());
                    refused.insert(out.id);
                }
            }
        }
    }
    if !writes.is_empty() {
        let n = writes.len() as u64;
        let started = Instant::now();
        let committed = shared.writer.commit(writes).await;
        shared.stats.wrote(started.elapsed());
        match committed {
            Ok(committed) => {
                index.committed(committed.mark(&id));
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
                        shared.stats.refused(&refusal);
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
            Input::Retire(_) => unreachable!("run_document hands Retire to retire()"),
            Input::Edit { .. } => unreachable!("rounds() hands edits to edit_round()"),
        }
    }
    // 3. When the document changed, everyone else subscribed hears of it.
    if doc.heads() != heads_before {
        fan_out(shared, doc, outs);
    }
}

/// Tells every subscriber what it lacks (after the document changed);
/// closed connections are dropped on the way.
fn fan_out(shared: &Shared, doc: &mut DocSync, outs: &mut HashMap<ConnId, Arc<Outlet>>) {
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
        match input {
            Input::Sync { out, .. } => {
                out.send(wire::doc_unavailable(&shared.server, &out.peer, &text));
            }
            Input::Edit { done, .. } => {
                // Nothing was changed, whether or not the editor still waits.
                let _ = done.send(Err(EditError::Unavailable(reason.to_string())));
            }
            _ => {}
        }
    }
    drop(restore);
}
