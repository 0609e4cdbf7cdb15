//! The store on real SQLite files: saving, loading, the index, merging,
//! compaction, the samod adapter, and damaged input.

use automerge::AutoCommit;
use automerge::transaction::Transactable;
use proptest::prelude::*;
use samod::storage::{Storage, StorageKey};
use tempfile::TempDir;
use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::{DocId, Timestamp, document, edit};
use trygg_store::group_commit::Write;
use trygg_store::{
    ActionFilter, COMPACT_AFTER, DocHandle, GroupCommit, ObservationFilter, Store, StoreError,
    WalkFilter, chunks,
};

const AT: Timestamp = Timestamp(1_764_000_000_000);

struct Fixture {
    _dir: TempDir,
    path: std::path::PathBuf,
    store: Store,
    rng: demo::DemoRng,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trygg.db");
    let store = Store::open(&path).unwrap();
    Fixture {
        _dir: dir,
        path,
        store,
        rng: demo::DemoRng::new(17),
    }
}

fn new_walk(f: &mut Fixture, observations: usize) -> DocHandle {
    let walk = walk_value(f, observations);
    f.store.create(&walk).unwrap()
}

fn walk_value(f: &mut Fixture, observations: usize) -> Walk {
    let vocab = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", AT);
    let mut walk = demo::walk(
        &mut f.rng,
        &demo::WalkSpec {
            template_doc_id: "t",
            template: template.latest_published().unwrap(),
            vocabulary: &vocab,
            observations,
            at: AT,
        },
    );
    walk.status = WalkStatus::InProgress;
    walk.ended_at = None;
    // Some walks are exercises, so the rebuild property covers the mark.
    walk.exercise = observations % 2 == 1;
    walk
}

fn new_observation(f: &mut Fixture, org: &str, sensitivity: Sensitivity) -> Observation {
    demo::observation(
        &mut f.rng,
        &seed::vocabulary(),
        GeoPoint::new(59.3, 18.0),
        org,
        "dev-1",
        AT,
        sensitivity,
    )
}

#[test]
fn a_saved_walk_reads_back_after_reopening() {
    let mut f = fixture();
    let mut h = new_walk(&mut f, 3);
    let obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    edit::put_observation(h.doc_mut(), &obs).unwrap();
    assert_eq!(f.store.save(&mut h).unwrap(), 1);
    assert_eq!(f.store.save(&mut h).unwrap(), 0, "nothing new to save");
    let expected: Walk = h.read().unwrap();
    drop(f.store);

    let store = Store::open(&f.path).unwrap();
    let back: Walk = store.load(h.id()).unwrap().read().unwrap();
    assert_eq!(back, expected);
    let rows = store
        .observations(&ObservationFilter {
            walk_doc_id: Some(h.id().to_string()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 4);
    let row = rows.iter().find(|r| r.obs_id == obs.id).unwrap();
    assert_eq!(
        (row.area.as_str(), row.category.as_str()),
        (back.area.as_str(), obs.category.as_str())
    );
    assert!(matches!(
        store.load(DocId::random()),
        Err(StoreError::NotFound(_))
    ));
}

#[test]
fn walks_are_found_by_any_part_of_their_route_in_any_case() {
    let mut f = fixture();
    for route in [
        "Östra parken – Torget",
        "Västra stråket",
        "torget runt",
        "Ån",
    ] {
        let mut walk = walk_value(&mut f, 0);
        walk.route_name = route.into();
        f.store.create(&walk).unwrap();
    }
    let found = |route: &str| -> Vec<String> {
        let mut names: Vec<String> = f
            .store
            .walks(&WalkFilter {
                route: Some(route.into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|w| w.route_name)
            .collect();
        names.sort();
        names
    };
    assert_eq!(found("TORGET"), ["torget runt", "Östra parken – Torget"]);
    assert_eq!(found("östra"), ["Östra parken – Torget"], "beyond ASCII");
    assert_eq!(found("ån"), ["Ån"]);
    assert_eq!(found("stråk"), ["Västra stråket"]);
    assert!(found("%").is_empty(), "no wildcards");
    assert!(found("norr").is_empty());
    assert_eq!(found("").len(), 4, "an empty search finds every walk");
}

#[test]
fn the_index_answers_filters() {
    let mut f = fixture();
    let h = new_walk(&mut f, 5);
    let walk: Walk = h.read().unwrap();
    let by_area = f
        .store
        .walks(&WalkFilter {
            area: Some(walk.area.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_area.len(), 1);
    assert_eq!(by_area[0].observation_count, 5);
    assert!(
        f.store
            .walks(&WalkFilter {
                status: Some("reported".into()),
                ..Default::default()
            })
            .unwrap()
            .is_empty()
    );

    let first = walk.observations.values().next().unwrap();
    let by_cat = f
        .store
        .observations(&ObservationFilter {
            category: Some(first.category.clone()),
            ..Default::default()
        })
        .unwrap();
    assert!(by_cat.iter().all(|r| r.category == first.category));
    assert!(!by_cat.is_empty());
    let serious = f
        .store
        .observations(&ObservationFilter {
            min_severity: Some(3),
            ..Default::default()
        })
        .unwrap();
    assert!(serious.iter().all(|r| r.severity >= 3));
    let counts = f
        .store
        .counts_by_category(&ObservationFilter::default())
        .unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<u64>(), 5);

    let obs_id = first.id.clone();
    let action = demo::action(
        &h.id().to_string(),
        &walk,
        &obs_id,
        "demo-fastighet",
        ActionStatus::Proposed,
    );
    f.store.create(&action).unwrap();
    let mut done = action.clone();
    done.status = ActionStatus::Done;
    f.store.create(&done).unwrap();
    let open = f
        .store
        .actions(&ActionFilter {
            responsible_org: Some("demo-fastighet".into()),
            open_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].status, "proposed");
}

fn photo(n: u64) -> PhotoRef {
    PhotoRef {
        sha256: format!("{n:064x}"),
        size: 1000,
        media_type: "image/jpeg".into(),
        caption: String::new(),
    }
}

/// The server lets a device download a photo only through a document that
/// references it, so the index must follow every reference in and out.
#[test]
fn the_index_knows_which_documents_reference_a_photo() {
    let mut f = fixture();
    let mut walk = new_walk(&mut f, 1);
    let mut obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    let (taken, answered, unknown) = (photo(1), photo(2), photo(3));
    obs.photos.push(taken.clone());
    edit::put_observation(walk.doc_mut(), &obs).unwrap();
    let answer = Answer {
        value: AnswerValue::Photos(vec![answered.clone(), taken.clone()]),
        answered_by: "dev-1".into(),
        answered_at: AT,
    };
    edit::set_answer(walk.doc_mut(), "photo-item", &answer).unwrap();
    f.store.save(&mut walk).unwrap();
    let value = new_report(&mut f, vec![taken.clone()]);
    let mut report = f.store.create(&value).unwrap();
    let (w, r) = (walk.id(), report.id());
    let mut both = vec![w, r];
    both.sort();
    assert_eq!(f.store.documents_with_photo(&taken.sha256).unwrap(), both);
    assert_eq!(f.store.documents_with_photo(&answered.sha256).unwrap(), [w]);
    assert!(
        f.store
            .documents_with_photo(&unknown.sha256)
            .unwrap()
            .is_empty()
    );

    let obs_id = report_obs_id(&report);
    edit::remove_observation(report.doc_mut(), &obs_id).unwrap();
    f.store.save(&mut report).unwrap();
    edit::clear_answer(walk.doc_mut(), "photo-item").unwrap();
    f.store.save(&mut walk).unwrap();
    assert_eq!(f.store.documents_with_photo(&taken.sha256).unwrap(), [w]);
    assert!(
        f.store
            .documents_with_photo(&answered.sha256)
            .unwrap()
            .is_empty()
    );
    assert_rebuild_matches(&mut f.store);
}

fn new_report(f: &mut Fixture, photos: Vec<PhotoRef>) -> Report {
    let mut report = demo::report(
        &mut f.rng,
        &seed::vocabulary(),
        "demo-polis",
        Sensitivity::Shared,
        1,
        AT,
    );
    for obs in report.observations.values_mut() {
        obs.photos = photos.clone();
    }
    report
}

fn report_obs_id(h: &DocHandle) -> String {
    let report: Report = h.read().unwrap();
    report.observations.into_keys().next().unwrap()
}

/// The index after many incremental updates equals the one rebuilt from documents alone.
fn assert_rebuild_matches(store: &mut Store) {
    let incremental = store.index_dump().unwrap();
    assert!(!incremental.is_empty());
    store.rebuild_index().unwrap();
    let rebuilt = store.index_dump().unwrap();
    assert_eq!(incremental, rebuilt);
}

#[derive(Debug, Clone)]
enum StoreOp {
    NewWalk(usize),
    NewReport(bool),
    AddObservation(usize),
    EditNote(usize, String),
    Status(usize, WalkStatus),
    RemoveObservation(usize),
    NewAction(usize, ActionStatus),
    Compact(usize),
    PhotoAnswer(usize, u64),
    ClearAnswer(usize),
    /// Another writer (samod on a device) stores a note edit; the indexer
    /// takes it in from disk.
    StoredElsewhere(usize, String),
}

fn store_op() -> impl Strategy<Value = StoreOp> {
    prop_oneof![
        1 => (0usize..4).prop_map(StoreOp::NewWalk),
        1 => any::<bool>().prop_map(StoreOp::NewReport),
        3 => any::<usize>().prop_map(StoreOp::AddObservation),
        2 => (any::<usize>(), "[a-z ]{0,8}").prop_map(|(i, t)| StoreOp::EditNote(i, t)),
        1 => (any::<usize>(), prop::sample::select(WalkStatus::ALL.to_vec())).prop_map(|(i, s)| StoreOp::Status(i, s)),
        1 => any::<usize>().prop_map(StoreOp::RemoveObservation),
        1 => (any::<usize>(), prop::sample::select(ActionStatus::ALL.to_vec())).prop_map(|(i, s)| StoreOp::NewAction(i, s)),
        1 => any::<usize>().prop_map(StoreOp::Compact),
        1 => (any::<usize>(), 0u64..3).prop_map(|(i, p)| StoreOp::PhotoAnswer(i, p)),
        1 => any::<usize>().prop_map(StoreOp::ClearAnswer),
        2 => (any::<usize>(), "[a-z ]{0,8}").prop_map(|(i, t)| StoreOp::StoredElsewhere(i, t)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rebuilt_index_equals_incremental_index(ops in proptest::collection::vec(store_op(), 1..25)) {
        let mut f = fixture();
        let mut docs: Vec<DocHandle> = vec![new_walk(&mut f, 1)];
        for op in ops {
            let n = docs.len();
            match op {
                StoreOp::NewWalk(k) => docs.push(new_walk(&mut f, k)),
                StoreOp::NewReport(restricted) => {
                    let s = if restricted { Sensitivity::Restricted } else { Sensitivity::Shared };
                    let r = demo::report(&mut f.rng, &seed::vocabulary(), "demo-polis", s, 2, AT);
                    docs.push(f.store.create(&r).unwrap());
                }
                StoreOp::AddObservation(i) => {
                    let h = &mut docs[i % n];
                    let (org, s) = match h.read_any().unwrap() {
                        document::AnyDocument::Report(r) => (r.organisation, r.sensitivity),
                        document::AnyDocument::Walk(_) => ("demo-sdf-norr".to_string(), Sensitivity::Shared),
                        _ => continue,
                    };
                    let mut o = new_observation(&mut f, &org, s);
                    // Some photos, one of them shared by several observations.
                    o.photos.push(photo((i % 3) as u64));
                    edit::put_observation(docs[i % n].doc_mut(), &o).unwrap();
                    f.store.save(&mut docs[i % n]).unwrap();
                }
                StoreOp::EditNote(i, text) => {
                    let h = &mut docs[i % n];
                    let ids: Vec<String> = match h.read_any().unwrap() {
                        document::AnyDocument::Report(r) => r.observations.into_keys().collect(),
                        document::AnyDocument::Walk(w) => w.observations.into_keys().collect(),
                        _ => continue,
                    };
                    if let Some(id) = ids.first() {
                        edit::set_note(h.doc_mut(), id, &text).unwrap();
                        f.store.save(h).unwrap();
                    }
                }
                StoreOp::Status(i, s) => {
                    let h = &mut docs[i % n];
                    if edit::set_walk_status(h.doc_mut(), s, AT).is_ok() {
                        f.store.save(h).unwrap();
                    }
                }
                StoreOp::RemoveObservation(i) => {
                    let h = &mut docs[i % n];
                    if let Ok(w) = h.read::<Walk>()
                        && let Some(id) = w.observations.keys().next()
                    {
                        edit::remove_observation(h.doc_mut(), id).unwrap();
                        f.store.save(h).unwrap();
                    }
                }
                StoreOp::NewAction(i, status) => {
                    if let Ok(w) = docs[i % n].read::<Walk>() {
                        let a = demo::action(&docs[i % n].id().to_string(), &w, "x", "demo-polis", status);
                        docs.push(f.store.create(&a).unwrap());
                    }
                }
                StoreOp::Compact(i) => f.store.compact(&mut docs[i % n]).unwrap(),
                StoreOp::PhotoAnswer(i, p) => {
                    let answer = Answer {
                        value: AnswerValue::Photos(vec![photo(p)]),
                        answered_by: "dev-1".into(),
                        answered_at: AT,
                    };
                    if edit::set_answer(docs[i % n].doc_mut(), "photo-item", &answer).is_ok() {
                        f.store.save(&mut docs[i % n]).unwrap();
                    }
                }
                StoreOp::ClearAnswer(i) => {
                    if edit::clear_answer(docs[i % n].doc_mut(), "photo-item").is_ok() {
                        f.store.save(&mut docs[i % n]).unwrap();
                    }
                }
                StoreOp::StoredElsewhere(i, text) => {
                    let h = &mut docs[i % n];
                    let Ok(w) = h.read::<Walk>() else { continue };
                    let Some(obs_id) = w.observations.keys().next() else { continue };
                    stored_elsewhere(&f.path, h, |doc| edit::set_note(doc, obs_id, &text).unwrap());
                    f.store.reindex_dirty().unwrap();
                }
            }
        }
        assert_rebuild_matches(&mut f.store);
    }
}

/// Makes `change` on a copy of `h`'s document with an actor of its own and
/// stores it as samod on a device does (its rows left to the indexer),
/// then merges it into `h`, as the device's own copy would receive it.
fn stored_elsewhere(
    path: &std::path::Path,
    h: &mut DocHandle,
    change: impl FnOnce(&mut AutoCommit),
) {
    let storage =
        trygg_store::SamodStorage::open_with(path, trygg_store::IndexMode::Deferred).unwrap();
    let mut other = h.doc_mut().fork();
    let before = other.get_heads();
    change(&mut other);
    other.commit();
    let changes: Vec<automerge::Change> = other.get_changes(&before);
    storage.put_changes(&h.id(), &changes).unwrap();
    h.doc_mut().merge(&mut other).unwrap();
}

/// A walk's rows follow its changes alone, whether the app saved them or
/// samod stored them, and equal the rows of the walk read whole; what the
/// changes cannot tell alone is read whole.
#[test]
fn an_exercise_marks_its_walk_row_and_every_observation_also_those_added_later() {
    let mut f = fixture();
    let mut drill = new_walk(&mut f, 1);
    let real = new_walk(&mut f, 2);
    let before = f.store.index_updates();
    let obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    edit::put_observation(drill.doc_mut(), &obs).unwrap();
    f.store.save(&mut drill).unwrap();
    // Taken from the change alone, and still marked.
    assert_eq!(f.store.index_updates().changes, before.changes + 1);
    let walks = f.store.walks(&WalkFilter::default()).unwrap();
    let marked = |id: trygg_core::DocId| {
        walks
            .iter()
            .find(|w| w.doc_id == id.to_string())
            .unwrap()
            .exercise
    };
    assert!(marked(drill.id()) && !marked(real.id()));
    let rows = f.store.observations(&ObservationFilter::default()).unwrap();
    let held = |h: &trygg_store::DocHandle| h.read::<Walk>().unwrap().observations.len();
    assert_eq!(rows.len(), held(&drill) + held(&real));
    for r in &rows {
        assert_eq!(r.exercise, r.doc_id == drill.id().to_string(), "{r:?}");
    }
    assert!(rows.iter().any(|r| r.obs_id == obs.id && r.exercise));
    assert_rebuild_matches(&mut f.store);
}

#[test]
fn a_walk_s_index_follows_its_changes_alone() {
    let mut f = fixture();
    let mut walk = new_walk(&mut f, 3);
    let value: Walk = walk.read().unwrap();
    let answered = value.answers.len() as u32;
    let ids: Vec<String> = value.observations.into_keys().collect();
    let mut expected = f.store.index_updates();
    let mut step = |f: &mut Fixture, changes: u64, whole: u64| {
        expected.changes += changes;
        expected.whole += whole;
        assert_eq!(f.store.index_updates(), expected);
    };

    edit::set_note(walk.doc_mut(), &ids[0], "lampan är trasig").unwrap();
    f.store.save(&mut walk).unwrap();
    step(&mut f, 1, 0);
    let mut obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    obs.photos.push(photo(7));
    edit::put_observation(walk.doc_mut(), &obs).unwrap();
    edit::remove_observation(walk.doc_mut(), &ids[1]).unwrap();
    let answer = Answer {
        value: AnswerValue::Photos(vec![photo(8)]),
        answered_by: "dev-1".into(),
        answered_at: AT,
    };
    edit::set_answer(walk.doc_mut(), "photo-item", &answer).unwrap();
    f.store.save(&mut walk).unwrap();
    step(&mut f, 1, 0);
    assert_eq!(
        f.store.documents_with_photo(&photo(7).sha256).unwrap(),
        [walk.id()]
    );
    assert_eq!(
        f.store.documents_with_photo(&photo(8).sha256).unwrap(),
        [walk.id()]
    );
    let rows = f.store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r.obs_id == obs.id && r.photo_count == 1)
    );
    assert!(rows.iter().any(|r| r.note == "lampan är trasig"));
    let row = &f.store.walks(&WalkFilter::default()).unwrap()[0];
    assert_eq!((row.observation_count, row.answer_count), (3, answered + 1));
    assert_rebuild_matches(&mut f.store);

    // Stored by samod: the indexer loads the new change into its copy.
    stored_elsewhere(&f.path, &mut walk, |doc| {
        edit::clear_answer(doc, "photo-item").unwrap()
    });
    assert_eq!(f.store.reindex_dirty().unwrap(), 1);
    step(&mut f, 1, 0);
    assert!(
        f.store
            .documents_with_photo(&photo(8).sha256)
            .unwrap()
            .is_empty()
    );
    stored_elsewhere(&f.path, &mut walk, |doc| {
        edit::set_note(doc, &ids[2], "klotter").unwrap()
    });
    assert_eq!(f.store.reindex_dirty().unwrap(), 1);
    step(&mut f, 1, 0);
    assert_rebuild_matches(&mut f.store);

    // The walk's own fields: read whole.
    edit::set_walk_status(walk.doc_mut(), WalkStatus::Completed, AT).unwrap();
    f.store.save(&mut walk).unwrap();
    step(&mut f, 0, 1);
    // References from before they named their part: read whole, once.
    let conn = trygg_store::open_connection(&f.path).unwrap();
    conn.execute("UPDATE photo_refs SET part = ''", []).unwrap();
    edit::set_note(walk.doc_mut(), &ids[0], "lampan är lagad").unwrap();
    f.store.save(&mut walk).unwrap();
    step(&mut f, 0, 1);
    let unplaced: i64 = conn
        .query_row("SELECT count(*) FROM photo_refs WHERE part = ''", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(unplaced, 0);
    edit::set_note(walk.doc_mut(), &ids[0], "lampan är lagad nu").unwrap();
    f.store.save(&mut walk).unwrap();
    step(&mut f, 1, 0);
    // An observation made invalid by a change: read whole, which names it.
    let obs_map =
        match automerge::ReadDoc::get(walk.doc(), automerge::ROOT, "observations").unwrap() {
            Some((_, id)) => id,
            None => unreachable!("the walk has observations"),
        };
    let bad = match automerge::ReadDoc::get(walk.doc(), &obs_map, &obs.id).unwrap() {
        Some((_, id)) => id,
        None => unreachable!("the observation is there"),
    };
    walk.doc_mut()
        .put(&bad, "sensitivity", "restricted")
        .unwrap();
    f.store.save(&mut walk).unwrap();
    step(&mut f, 0, 1);
    let error = f
        .store
        .document_row(walk.id())
        .unwrap()
        .unwrap()
        .error
        .unwrap();
    assert!(error.contains("sensitivity"), "{error}");
    assert_rebuild_matches(&mut f.store);
}

#[test]
fn compaction_keeps_every_change_and_shrinks_the_chunk_count() {
    let mut f = fixture();
    let mut h = new_walk(&mut f, 0);
    let obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    edit::put_observation(h.doc_mut(), &obs).unwrap();
    f.store.save(&mut h).unwrap();
    for i in 0..(COMPACT_AFTER + 10) {
        edit::splice_note(h.doc_mut(), &obs.id, 0, 0, &format!("{i} ")).unwrap();
        f.store.save(&mut h).unwrap();
        f.store.compact_if_needed(&mut h).unwrap();
    }
    let expected: Walk = h.read().unwrap();
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    let chunks = chunks::of_doc(&conn, &h.id()).unwrap();
    assert!(
        chunks.len() < 20,
        "{} chunks after compaction",
        chunks.len()
    );
    assert_eq!(
        chunks
            .iter()
            .filter(|(k, _)| k.contains("/snapshot/"))
            .count(),
        1
    );
    let reopened = Store::open(&f.path).unwrap();
    assert_eq!(
        reopened.load(h.id()).unwrap().read::<Walk>().unwrap(),
        expected
    );
}

#[test]
fn two_stores_merge_a_walk_edited_on_both() {
    let mut a = fixture();
    let mut b = fixture();
    let mut ha = new_walk(&mut a, 1);
    b.store.import(ha.id(), &ha.doc_mut().save()).unwrap();
    let mut hb = b.store.load(ha.id()).unwrap();

    let oa = new_observation(&mut a, "demo-sdf-norr", Sensitivity::Shared);
    edit::put_observation(ha.doc_mut(), &oa).unwrap();
    a.store.save(&mut ha).unwrap();
    let ob = new_observation(&mut b, "demo-sdf-norr", Sensitivity::Shared);
    edit::put_observation(hb.doc_mut(), &ob).unwrap();
    edit::set_walk_status(hb.doc_mut(), WalkStatus::Completed, AT).unwrap();
    b.store.save(&mut hb).unwrap();

    let stats = a.store.merge_from(&b.store).unwrap();
    assert_eq!((stats.documents, stats.changed), (1, 1));
    b.store.merge_from(&a.store).unwrap();
    let wa: Walk = a.store.load(ha.id()).unwrap().read().unwrap();
    let wb: Walk = b.store.load(ha.id()).unwrap().read().unwrap();
    assert_eq!(wa, wb);
    assert!(wa.observations.contains_key(&oa.id) && wa.observations.contains_key(&ob.id));
    assert_eq!(wa.status, WalkStatus::Completed);
    // The index followed the merge.
    let rows = a.store.walks(&WalkFilter::default()).unwrap();
    assert_eq!(
        (rows[0].status.as_str(), rows[0].observation_count),
        ("completed", 3)
    );
    // Merging again changes nothing.
    assert_eq!(a.store.merge_from(&b.store).unwrap().changed, 0);
}

#[test]
fn foreign_and_garbage_imports_are_refused_or_flagged_never_lost() {
    let mut f = fixture();
    let id = DocId::random();
    let err = f.store.import(id, b"not automerge at all").unwrap_err();
    assert!(
        err.to_string().contains("not an Automerge document"),
        "{err}"
    );
    assert!(
        f.store.doc_ids().unwrap().is_empty(),
        "nothing stored on refusal"
    );

    let mut foreign = AutoCommit::new();
    foreign.put(automerge::ROOT, "hello", "world").unwrap();
    f.store.import(id, &foreign.save()).unwrap();
    let row = f.store.document_row(id).unwrap().unwrap();
    assert_eq!(row.kind, None);
    assert!(row.error.unwrap().contains("not a Trygg document"));
    assert!(f.store.walks(&WalkFilter::default()).unwrap().is_empty());
    // Its bytes are kept exactly.
    let loaded = f.store.load(id).unwrap();
    assert!(matches!(
        loaded.read::<Walk>(),
        Err(StoreError::Document { .. })
    ));
}

#[test]
fn a_damaged_chunk_is_reported_by_name_and_the_rest_still_indexes() {
    let mut f = fixture();
    let h = new_walk(&mut f, 2);
    let other = new_walk(&mut f, 1);
    let key = format!("{}/incremental/{}", h.id(), "00".repeat(32));
    f.store
        .samod_storage()
        .unwrap()
        .put_blocking(&key, b"\x00garbage")
        .unwrap();
    match f.store.load(h.id()) {
        Err(StoreError::Corrupt { key: k, .. }) => assert_eq!(k, key),
        other => panic!("expected a corrupt-chunk error, got {other:?}"),
    }
    let stats = f.store.rebuild_index().unwrap();
    assert_eq!((stats.documents, stats.unreadable), (2, 1));
    let row = f.store.document_row(h.id()).unwrap().unwrap();
    assert!(row.error.unwrap().contains(&key));
    assert_eq!(f.store.walks(&WalkFilter::default()).unwrap().len(), 1);
    assert!(f.store.load(other.id()).is_ok());
}

/// A rebuild reads documents in batches and derives them on several
/// threads: over several batches, with a damaged document among them, it
/// equals the index the saves kept, in order, and names the damaged one.
#[test]
fn a_rebuild_over_several_batches_on_several_threads_equals_the_incremental_index() {
    let mut f = fixture();
    let values: Vec<Walk> = (0..600).map(|i| walk_value(&mut f, i % 4)).collect();
    let handles = f.store.create_all(&values).unwrap();
    assert_rebuild_matches(&mut f.store);
    let damaged = handles[300].id();
    let key = format!("{damaged}/incremental/{}", "ee".repeat(32));
    f.store
        .samod_storage()
        .unwrap()
        .put_blocking(&key, b"\x00garbage")
        .unwrap();
    let stats = f.store.rebuild_index().unwrap();
    assert_eq!((stats.documents, stats.unreadable), (600, 1));
    let row = f.store.document_row(damaged).unwrap().unwrap();
    assert!(row.error.unwrap().contains(&key));
    assert_eq!(f.store.walks(&WalkFilter::default()).unwrap().len(), 599);
}

/// Automerge alone reads a damaged chunk that follows a good one as a
/// partial load and drops it; the store checks every chunk first. Here the
/// snapshot loads first and the damaged copy of it (one bit flipped) after.
#[test]
fn a_damaged_chunk_after_a_good_one_is_reported_not_dropped() {
    let mut f = fixture();
    let mut h = new_walk(&mut f, 2);
    f.store.compact(&mut h).unwrap();
    let mut damaged = h.doc().clone().save();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let key = format!("{}/incremental/{}", h.id(), "ff".repeat(32));
    f.store
        .samod_storage()
        .unwrap()
        .put_blocking(&key, &damaged)
        .unwrap();
    match f.store.load(h.id()) {
        Err(StoreError::Corrupt { key: k, reason, .. }) => {
            assert_eq!(k, key);
            assert!(reason.contains("checksum"), "{reason}");
        }
        other => panic!("expected a corrupt-chunk error, got {other:?}"),
    }
    // Compaction keeps the damaged chunk instead of folding it away.
    assert!(matches!(
        f.store.compact(&mut h),
        Err(StoreError::Corrupt { .. })
    ));
    let stats = f.store.rebuild_index().unwrap();
    assert_eq!((stats.documents, stats.unreadable), (1, 1));
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "these are not the tables you are looking for".repeat(100),
    )
    .unwrap();
    let err = Store::open(&path).unwrap_err().to_string();
    assert!(err.contains("not a database"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samod_adapter_round_trips_and_indexes_what_it_stores() {
    let mut f = fixture();
    let storage = f.store.samod_storage().unwrap();
    let key = |parts: &[&str]| StorageKey::from_parts(parts.iter().copied()).unwrap();

    // Plain key/value behaviour samod relies on.
    storage
        .put(key(&["storage-adapter-id"]), b"abc".to_vec())
        .await;
    assert_eq!(
        storage.load(key(&["storage-adapter-id"])).await,
        Some(b"abc".to_vec())
    );
    assert_eq!(storage.load(key(&["missing"])).await, None);

    // A walk arriving the way samod writes it: one chunk per change.
    let walk = demo::walk(
        &mut f.rng,
        &demo::WalkSpec {
            template_doc_id: "t",
            template: seed::default_template("o", AT).latest_published().unwrap(),
            vocabulary: &seed::vocabulary(),
            observations: 2,
            at: AT,
        },
    );
    let mut doc = document::create(&walk).unwrap();
    let id = DocId::random();
    let ids = id.to_string();
    for c in doc.get_changes(&[]) {
        let hash = c.hash().to_string();
        storage
            .put(key(&[&ids, "incremental", &hash]), c.raw_bytes().to_vec())
            .await;
    }
    let range = storage.load_range(key(&[&ids])).await;
    assert_eq!(range.len(), doc.get_changes(&[]).len());
    assert!(
        storage
            .load_range(key(&[&ids, "snapshot"]))
            .await
            .is_empty()
    );
    assert_eq!(storage.load_range(key(&[])).await.len(), range.len() + 1);

    // The store sees the document and has indexed it.
    let back: Walk = f.store.load(id).unwrap().read().unwrap();
    assert_eq!(back, walk);
    let rows = f.store.walks(&WalkFilter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].doc_id, ids);
    assert_rebuild_matches(&mut f.store);

    // Deletes remove exactly the key.
    let first = range.keys().next().unwrap().clone();
    storage.delete(first.clone()).await;
    assert_eq!(storage.load(first).await, None);
    assert_eq!(
        storage.load_range(key(&[&ids])).await.len(),
        range.len() - 1
    );
}

#[test]
fn a_save_cut_off_before_its_index_update_is_indexed_at_the_next_open() {
    let mut f = fixture();
    let mut h = new_walk(&mut f, 1);
    let obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    edit::put_observation(h.doc_mut(), &obs).unwrap();
    // The durable half only, as if the process died right after the ack.
    f.store.save_durable(std::slice::from_mut(&mut h)).unwrap();
    let stale = f.store.observations(&ObservationFilter::default()).unwrap();
    assert!(
        stale.iter().all(|r| r.obs_id != obs.id),
        "index not yet updated"
    );
    drop(f.store);

    let reopened = Store::open(&f.path).unwrap();
    let rows = reopened
        .observations(&ObservationFilter::default())
        .unwrap();
    assert!(
        rows.iter().any(|r| r.obs_id == obs.id),
        "re-indexed at open"
    );
    assert_eq!(rows.len(), 2);
}

#[test]
fn a_file_from_before_notes_were_indexed_indexes_them_at_the_next_open() {
    let mut f = fixture();
    let mut h = new_walk(&mut f, 0);
    let obs = new_observation(&mut f, "demo-sdf-norr", Sensitivity::Shared);
    assert!(
        !obs.note.as_str().is_empty(),
        "demo observations carry a note"
    );
    edit::put_observation(h.doc_mut(), &obs).unwrap();
    f.store.save(&mut h).unwrap();
    let rows = f.store.observations(&ObservationFilter::default()).unwrap();
    assert_eq!(rows[0].note, obs.note.as_str(), "indexed with its note");
    drop(f.store);

    // The file as the version before the note column left it (and before
    // photo references named their part). The migrations' stale marks make
    // the walk read whole, not from its changes since the indexed heads
    // (none), which would leave the new column empty.
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    conn.execute_batch(
        "ALTER TABLE observations DROP COLUMN note;
         ALTER TABLE observations DROP COLUMN exercise;
         ALTER TABLE walks DROP COLUMN exercise;
         DELETE FROM index_dirty;
         ALTER TABLE index_dirty DROP COLUMN whole;
         DROP TABLE photo_refs;
         CREATE TABLE photo_refs (sha256 TEXT NOT NULL, doc_id TEXT NOT NULL,
                                  PRIMARY KEY (sha256, doc_id));
         CREATE INDEX photo_refs_by_doc ON photo_refs (doc_id);
         PRAGMA user_version = 5;",
    )
    .unwrap();
    drop(conn);

    let reopened = Store::open(&f.path).unwrap();
    let rows = reopened
        .observations(&ObservationFilter::default())
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].note, obs.note.as_str(), "re-indexed at open");
}

#[test]
fn a_file_from_before_exercises_marks_them_at_the_next_open() {
    let mut f = fixture();
    let drill = new_walk(&mut f, 1);
    assert!(drill.read::<Walk>().unwrap().exercise);
    drop(f.store);
    // The file as the version before exercises left it: no columns, and an
    // exercise walk (from a newer device) indexed without its mark.
    let conn = rusqlite::Connection::open(&f.path).unwrap();
    conn.execute_batch(
        "ALTER TABLE observations DROP COLUMN exercise;
         ALTER TABLE walks DROP COLUMN exercise;
         DELETE FROM index_dirty;
         PRAGMA user_version = 7;",
    )
    .unwrap();
    drop(conn);

    let reopened = Store::open(&f.path).unwrap();
    let walks = reopened.walks(&WalkFilter::default()).unwrap();
    assert!(walks[0].exercise, "re-indexed at open");
    let rows = reopened
        .observations(&ObservationFilter::default())
        .unwrap();
    assert!(rows.iter().all(|r| r.exercise), "{rows:?}");
}

fn heads_text(doc: &mut AutoCommit) -> String {
    let heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
    heads.join(",")
}

/// One change of `doc` (its last) as a write of the group commit.
fn last_change(id: DocId, doc: &mut AutoCommit) -> Write {
    let change = doc.get_last_local_change().unwrap();
    Write::Put {
        doc: id,
        key: chunks::incremental_key(&id, &change.hash()),
        data: change.raw_bytes().to_vec(),
    }
}

/// The server's index reads a document outside the write lock: the engine's
/// group commit goes on committing while a big document is parsed, and the
/// changes stored meanwhile keep the document marked for the next pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commits_do_not_wait_while_the_index_reads_a_document() {
    let mut f = fixture();
    let walk = new_walk(&mut f, 1);
    let id = walk.id();
    let mut doc = walk.doc().clone();
    let writer = GroupCommit::open(&f.path).unwrap();
    let mut writes = Vec::new();
    // Long enough to read (about 0.6 s in a debug build) that a commit
    // delayed by a busy machine (an fsync under load took 0.2 s in CI)
    // is not taken for one that waited for the index.
    for i in 0..3_000_i64 {
        doc.put(automerge::ROOT, "padding", i).unwrap();
        doc.commit();
        writes.push(last_change(id, &mut doc));
    }
    writer.commit(writes).await.unwrap();
    let conn = trygg_store::open_connection(&f.path).unwrap();
    let started = std::time::Instant::now();
    chunks::load_doc(&conn, &id).unwrap().unwrap();
    let read = started.elapsed();

    let mut store = f.store;
    let indexing = tokio::task::spawn_blocking(move || {
        let n = store.reindex_dirty();
        (store, n)
    });
    let mut waits = Vec::new();
    while !indexing.is_finished() {
        doc.put(automerge::ROOT, "padding", -1 - waits.len() as i64)
            .unwrap();
        doc.commit();
        let write = last_change(id, &mut doc);
        let started = std::time::Instant::now();
        writer.commit(vec![write]).await.unwrap();
        waits.push(started.elapsed());
    }
    let (mut store, indexed) = indexing.await.unwrap();
    indexed.unwrap();
    let longest = waits.iter().max().copied().unwrap_or_default();
    println!(
        "reading the document: {read:?}; {} commits meanwhile, the longest {longest:?}",
        waits.len()
    );
    assert!(
        waits.len() >= 3 && longest < read / 2,
        "commits waited for the index: {} commits while it read, the longest {longest:?}, \
         one read of the document {read:?}",
        waits.len()
    );
    let row = store.document_row(id).unwrap().unwrap();
    assert_ne!(
        row.heads,
        heads_text(&mut doc),
        "the pass ended before the last commit"
    );
    store.reindex_dirty().unwrap();
    let row = store.document_row(id).unwrap().unwrap();
    assert_eq!(
        row.heads,
        heads_text(&mut doc),
        "the next pass indexes what came meanwhile"
    );
}
