//! `Engine::edit` against a real store file: a change made on the server is
//! in the file when the edit returns, an edit that fails or changes nothing
//! stores nothing, and an unknown document is reported as such; a document
//! created on the server (`Engine::create`) likewise, and only once.

use std::collections::BTreeMap;
use std::sync::Arc;

use automerge::ReadDoc;
use autosurgeon::Text;
use trygg_core::access::Access;
use trygg_core::model::{Action, ActionStatus, ObservationRef};
use trygg_core::{DocError, DocId, Timestamp, document, edit};
use trygg_engine::{AccessSource, Audit, EditError, Engine, EngineConfig, SyncEvent};
use trygg_store::group_commit::Write;
use trygg_store::{GroupCommit, Store, chunks};

struct Nobody;
impl AccessSource for Nobody {
    fn access(&self, _doc: &DocId, _peer: &str) -> Access {
        Access::None
    }
}
impl Audit for Nobody {
    fn record(&self, _doc: &DocId, _peer: &str, _origin: &str, _event: SyncEvent) {}
}

fn action(status: ActionStatus) -> Action {
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
        status,
        created_at: Timestamp(1_796_112_000_000),
        comments: BTreeMap::new(),
    }
}

/// Stores `doc` as the engine would have from a device: one chunk per change.
async fn store(writer: &GroupCommit, id: DocId, doc: &mut automerge::AutoCommit) {
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_edit_is_stored_before_it_returns_and_a_refused_one_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("documents.db");
    drop(Store::open(&path).unwrap());
    let writer = GroupCommit::open(&path).unwrap();
    let readers = trygg_engine::Readers::open(&path).unwrap();
    let check = trygg_engine::Readers::open(&path).unwrap();
    let engine = Engine::new(
        EngineConfig::default(),
        Arc::new(Nobody),
        Arc::new(Nobody),
        writer.clone(),
        readers,
    );

    // Nothing stored under this id.
    let unknown = engine
        .edit(DocId::random(), |tx| {
            edit::set_action_status(tx, ActionStatus::Done)
        })
        .await;
    assert!(matches!(unknown, Err(EditError::NotFound)), "{unknown:?}");

    let id = DocId::random();
    let mut doc = document::create(&action(ActionStatus::Proposed)).unwrap();
    store(&writer, id, &mut doc).await;
    let hash = engine
        .edit(id, |tx| {
            edit::set_action_status(tx, ActionStatus::InProgress)
        })
        .await
        .unwrap()
        .expect("a change");
    // In the file, read by another connection, as soon as the edit returned.
    let stored = check.load(&id).unwrap().doc;
    assert_eq!(stored.get_heads(), vec![hash]);
    let read: Action = document::read(&stored).unwrap();
    assert_eq!(read.status, ActionStatus::InProgress);
    assert_eq!(
        stored
            .get(automerge::ROOT, "status")
            .unwrap()
            .unwrap()
            .0
            .as_str(),
        Some("in_progress")
    );

    // The same status again changes nothing; the wrong kind of document is
    // refused; neither stores a change.
    let same = engine
        .edit(id, |tx| {
            edit::set_action_status(tx, ActionStatus::InProgress)
        })
        .await;
    assert!(matches!(same, Ok(None)), "{same:?}");
    let walk_edit = engine
        .edit(id, |tx| {
            edit::set_walk_status(
                tx,
                trygg_core::model::WalkStatus::Completed,
                Timestamp::now(),
            )
        })
        .await;
    assert!(
        matches!(
            walk_edit,
            Err(EditError::Refused(DocError::WrongKind { .. }))
        ),
        "{walk_edit:?}"
    );
    assert_eq!(check.load(&id).unwrap().doc.get_heads(), vec![hash]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_created_on_the_server_is_stored_before_it_returns_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("documents.db");
    drop(Store::open(&path).unwrap());
    let writer = GroupCommit::open(&path).unwrap();
    let readers = trygg_engine::Readers::open(&path).unwrap();
    let check = trygg_engine::Readers::open(&path).unwrap();
    let engine = Engine::new(
        EngineConfig::default(),
        Arc::new(Nobody),
        Arc::new(Nobody),
        writer.clone(),
        readers,
    );
    let id = DocId::random();
    let value = action(ActionStatus::Proposed);
    let first = value.clone();
    let hash = engine
        .create(id, move |tx| document::write(tx, &first))
        .await
        .unwrap();
    // One change, in the file as soon as `create` returned, holding it all.
    let stored = check.load(&id).unwrap().doc;
    assert_eq!(stored.get_heads(), vec![hash]);
    assert_eq!(document::read::<Action, _>(&stored).unwrap(), value);

    // A second create of the same id finds it written and writes nothing;
    // an ordinary edit now finds the document.
    let again = value.clone();
    let twice = engine
        .create(id, move |tx| document::write(tx, &again))
        .await;
    assert!(matches!(twice, Err(EditError::Exists)), "{twice:?}");
    assert_eq!(check.load(&id).unwrap().doc.get_heads(), vec![hash]);
    let edited = engine
        .edit(id, |tx| edit::set_action_status(tx, ActionStatus::Accepted))
        .await
        .unwrap();
    assert!(edited.is_some());

    // An invalid document is refused before anything is stored, and a
    // write that makes no change is reported, not taken as a document.
    let other = DocId::random();
    let mut bad = action(ActionStatus::Proposed);
    bad.responsible_org = String::new();
    let refused = engine
        .create(other, move |tx| document::write(tx, &bad))
        .await;
    assert!(
        matches!(refused, Err(EditError::Refused(DocError::Invalid { .. }))),
        "{refused:?}"
    );
    let empty = engine.create(other, |_| Ok(())).await;
    assert!(matches!(empty, Err(EditError::Empty)), "{empty:?}");
    assert!(check.load(&other).unwrap().doc.get_heads().is_empty());
}
