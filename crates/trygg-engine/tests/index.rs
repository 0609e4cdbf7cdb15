//! The engine keeps the derived index current from the documents it holds
//! in memory: after a change, the rows follow within `index_every` and the
//! stale mark is cleared, with no pass over the stored chunks; a burst of
//! changes is indexed once more when it settles; a document with a damaged
//! chunk is left to the stale-mark pass, which records the damage.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autosurgeon::Text;
use trygg_core::access::Access;
use trygg_core::model::{Action, ActionStatus, ObservationRef};
use trygg_core::{DocId, Timestamp, document, edit};
use trygg_engine::{AccessSource, Audit, Engine, EngineConfig, SyncEvent};
use trygg_store::group_commit::Write;
use trygg_store::{ActionFilter, GroupCommit, Store, chunks};

struct Nobody;
impl AccessSource for Nobody {
    fn access(&self, _doc: &DocId, _peer: &str) -> Access {
        Access::None
    }
}
impl Audit for Nobody {
    fn record(&self, _doc: &DocId, _peer: &str, _origin: &str, _event: SyncEvent) {}
}

const EVERY: Duration = Duration::from_millis(100);

struct Setup {
    _dir: tempfile::TempDir,
    writer: GroupCommit,
    engine: Engine,
    /// Reads the index; never re-indexes anything.
    store: Store,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("documents.db");
    let store = Store::open(&path).unwrap();
    let writer = GroupCommit::open(&path).unwrap();
    let engine = Engine::new(
        EngineConfig {
            index_every: EVERY,
            ..EngineConfig::default()
        },
        Arc::new(Nobody),
        Arc::new(Nobody),
        writer.clone(),
        trygg_engine::Readers::open(&path).unwrap(),
    );
    Setup {
        _dir: dir,
        writer,
        engine,
        store,
    }
}

fn action() -> Action {
    Action {
        observations: vec![ObservationRef {
            doc_id: DocId::random().to_string(),
            observation_id: "o1".into(),
        }],
        responsible_org: "police".into(),
        proposed_by_org: "district".into(),
        area: "farsta".into(),
        description: Text::with_value("Byt trasig belysning (test)."),
        due_date: None,
        status: ActionStatus::Proposed,
        created_at: Timestamp(1_796_112_000_000),
        comments: BTreeMap::new(),
    }
}

/// Stores a new action as a device's first sync would.
async fn stored_action(writer: &GroupCommit) -> DocId {
    let id = DocId::random();
    let mut doc = document::create(&action()).unwrap();
    let writes = doc
        .get_changes(&[])
        .into_iter()
        .map(|c| Write::Put {
            doc: id,
            key: chunks::incremental_key(&id, &c.hash()),
            data: c.raw_bytes().to_vec(),
        })
        .collect();
    writer.commit(writes).await.unwrap();
    id
}

fn status_of(store: &Store, id: &DocId) -> Option<String> {
    let rows = store.actions(&ActionFilter::default()).unwrap();
    rows.into_iter()
        .find(|r| r.doc_id == id.to_string())
        .map(|r| r.status)
}

/// Waits (up to 2 s) until `check` holds; how long it took.
async fn until(mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(2), "timed out");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_reach_the_index_from_memory_and_clear_the_stale_mark() {
    let s = setup();
    let id = stored_action(&s.writer).await;
    // Stored, not yet indexed: marked stale, no rows.
    assert_eq!(s.store.stale().unwrap(), vec![id.to_string()]);
    assert_eq!(status_of(&s.store, &id), None);

    let status = |st| {
        move |tx: &mut automerge::transaction::Transaction<'_>| edit::set_action_status(tx, st)
    };
    s.engine
        .edit(id, status(ActionStatus::InProgress))
        .await
        .unwrap()
        .expect("a change");
    let took = until(|| status_of(&s.store, &id).as_deref() == Some("in_progress")).await;
    assert!(took < EVERY * 3, "indexed after {took:?}");
    until(|| s.store.stale().unwrap().is_empty()).await;
    assert_eq!(
        s.engine
            .stats()
            .indexed
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );

    // A burst: the first change is indexed at once, the rest once the
    // burst has settled, and the rows end at the last status.
    for st in [
        ActionStatus::Done,
        ActionStatus::InProgress,
        ActionStatus::Done,
    ] {
        s.engine.edit(id, status(st)).await.unwrap();
    }
    until(|| status_of(&s.store, &id).as_deref() == Some("done")).await;
    until(|| s.store.stale().unwrap().is_empty()).await;
    let indexed = s
        .engine
        .stats()
        .indexed
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!((2..=4).contains(&indexed), "indexed {indexed} times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_with_a_damaged_chunk_is_left_to_the_stale_mark_pass() {
    let mut s = setup();
    let id = stored_action(&s.writer).await;
    s.writer
        .commit(vec![Write::Put {
            doc: id,
            // Sorts after the action's own chunk: Automerge alone would
            // read it as a partial load and drop it without an error.
            key: chunks::incremental_key(&id, &automerge::ChangeHash([0xff; 32])),
            data: b"not automerge".to_vec(),
        }])
        .await
        .unwrap();
    s.engine
        .edit(id, |tx| edit::set_action_status(tx, ActionStatus::Done))
        .await
        .unwrap()
        .expect("a change");
    tokio::time::sleep(EVERY * 5).await;
    assert_eq!(
        s.engine
            .stats()
            .indexed
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    assert_eq!(s.store.stale().unwrap(), vec![id.to_string()]);
    // The pass over the stored chunks records the damage.
    assert_eq!(s.store.reindex_dirty().unwrap(), 1);
    let row = s.store.document_row(id).unwrap().expect("a row");
    assert!(
        row.error
            .as_deref()
            .is_some_and(|e| e.contains("damaged chunk")),
        "{row:?}"
    );
}
