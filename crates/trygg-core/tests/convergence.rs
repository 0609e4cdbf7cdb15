//! Two copies of one walk, edited independently offline, merge to the same
//! state in either order, and neither device's work is lost.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit};
use proptest::prelude::*;
use trygg_core::document;
use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::{Timestamp, edit};

const AT: Timestamp = Timestamp(1_764_000_000_000);
const ITEMS: &[&str] = &["belysning-betyg", "sikt-orientering", "social-trygghet"];

#[derive(Debug, Clone)]
enum Op {
    Answer {
        item: usize,
        rating: u8,
    },
    AddObservation {
        severity: u8,
        note: String,
    },
    EditNote {
        pick: usize,
        pos: usize,
        delete: usize,
        text: String,
    },
    SetNote {
        pick: usize,
        text: String,
    },
    SetSeverity {
        pick: usize,
        severity: u8,
    },
    RemoveObservation {
        pick: usize,
    },
    AddOrganisation {
        org: usize,
    },
    Status(WalkStatus),
}

fn op() -> impl Strategy<Value = Op> {
    let word = "[a-zåäö ]{0,6}";
    prop_oneof![
        3 => (0..ITEMS.len(), 1u8..=5).prop_map(|(item, rating)| Op::Answer { item, rating }),
        3 => (1u8..=4, word).prop_map(|(severity, note)| Op::AddObservation { severity, note }),
        4 => (any::<usize>(), any::<usize>(), 0usize..3, word)
            .prop_map(|(pick, pos, delete, text)| Op::EditNote { pick, pos, delete, text }),
        1 => (any::<usize>(), word).prop_map(|(pick, text)| Op::SetNote { pick, text }),
        2 => (any::<usize>(), 1u8..=4).prop_map(|(pick, severity)| Op::SetSeverity { pick, severity }),
        1 => any::<usize>().prop_map(|pick| Op::RemoveObservation { pick }),
        1 => (0usize..6).prop_map(|org| Op::AddOrganisation { org }),
        1 => prop::sample::select(WalkStatus::ALL.to_vec()).prop_map(Op::Status),
    ]
}

/// What one device did, so the merged result can be checked against it.
#[derive(Debug, Default)]
struct Log {
    added: BTreeSet<String>,
    removed: BTreeSet<String>,
    notes_touched: BTreeSet<String>,
    answered: BTreeSet<String>,
}

fn base() -> AutoCommit {
    let vocab = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", AT);
    let mut rng = demo::DemoRng::new(5);
    let mut walk = demo::walk(
        &mut rng,
        &demo::WalkSpec {
            template_doc_id: "t",
            template: template.latest_published().unwrap(),
            vocabulary: &vocab,
            observations: 2,
            at: AT,
        },
    );
    walk.status = WalkStatus::InProgress;
    walk.ended_at = None;
    walk.answers.clear();
    walk.observations.clear();
    for _ in 0..2 {
        let mut o = demo::observation(
            &mut rng,
            &vocab,
            GeoPoint::new(59.3, 18.0),
            "demo-sdf-norr",
            "device-0",
            AT,
            Sensitivity::Shared,
        );
        o.note = "grund".into();
        walk.observations.insert(o.id.clone(), o);
    }
    document::create(&walk).unwrap()
}

fn observation_ids(doc: &AutoCommit) -> Vec<String> {
    document::read::<Walk, _>(doc)
        .unwrap()
        .observations
        .into_keys()
        .collect()
}

fn apply(doc: &mut AutoCommit, device: &str, ops: &[Op], log: &mut Log) {
    let orgs = demo::organisations();
    let vocab = seed::vocabulary();
    let mut rng = demo::DemoRng::new(device.len() as u64 + 11);
    for (n, op) in ops.iter().enumerate() {
        let ids = observation_ids(doc);
        let pick = |i: usize| (!ids.is_empty()).then(|| ids[i % ids.len()].clone());
        let at = Timestamp(AT.0 + n as i64);
        match op {
            Op::Answer { item, rating } => {
                let answer = Answer {
                    value: AnswerValue::Rating(*rating),
                    answered_by: device.into(),
                    answered_at: at,
                };
                edit::set_answer(doc, ITEMS[*item], &answer).unwrap();
                log.answered.insert(ITEMS[*item].to_string());
            }
            Op::AddObservation { severity, note } => {
                let mut o = demo::observation(
                    &mut rng,
                    &vocab,
                    GeoPoint::new(59.3, 18.0),
                    "demo-sdf-norr",
                    device,
                    at,
                    Sensitivity::Shared,
                );
                o.severity = Severity::new(*severity).unwrap();
                o.note = note.as_str().into();
                edit::put_observation(doc, &o).unwrap();
                log.added.insert(o.id);
            }
            Op::EditNote {
                pick: p,
                pos,
                delete,
                text,
            } => {
                if let Some(id) = pick(*p) {
                    let w: Walk = document::read(doc).unwrap();
                    let len = w.observations[&id].note.as_str().chars().count();
                    let pos = pos % (len + 1);
                    let delete = (*delete).min(len - pos);
                    edit::splice_note(doc, &id, pos, delete, text).unwrap();
                    log.notes_touched.insert(id);
                }
            }
            Op::SetNote { pick: p, text } => {
                if let Some(id) = pick(*p) {
                    edit::set_note(doc, &id, text).unwrap();
                    log.notes_touched.insert(id);
                }
            }
            Op::SetSeverity { pick: p, severity } => {
                if let Some(id) = pick(*p) {
                    edit::set_severity(doc, &id, Severity::new(*severity).unwrap()).unwrap();
                }
            }
            Op::RemoveObservation { pick: p } => {
                if let Some(id) = pick(*p) {
                    edit::remove_observation(doc, &id).unwrap();
                    log.removed.insert(id);
                }
            }
            Op::AddOrganisation { org } => {
                edit::add_walk_organisation(doc, &orgs[*org].id, at).unwrap();
            }
            Op::Status(s) => {
                // Refused transitions are part of the sequence: they must change nothing.
                let heads = doc.get_heads();
                if edit::set_walk_status(doc, *s, at).is_err() {
                    assert_eq!(doc.get_heads(), heads);
                }
            }
        }
    }
}

fn note_of(doc: &AutoCommit, id: &str) -> Option<String> {
    document::read::<Walk, _>(doc)
        .unwrap()
        .observations
        .get(id)
        .map(|o| o.note.as_str().to_string())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn two_devices_converge_without_losing_work(
        ops_a in proptest::collection::vec(op(), 0..12),
        ops_b in proptest::collection::vec(op(), 0..12),
    ) {
        let mut base = base();
        let base_ids: BTreeSet<String> = observation_ids(&base).into_iter().collect();
        let mut a = base.fork().with_actor(ActorId::from(b"device-a".as_slice()));
        let mut b = base.fork().with_actor(ActorId::from(b"device-b".as_slice()));
        let (mut log_a, mut log_b) = (Log::default(), Log::default());
        apply(&mut a, "device-a", &ops_a, &mut log_a);
        apply(&mut b, "device-b", &ops_b, &mut log_b);

        let mut ab = a.fork();
        ab.merge(&mut b.clone()).unwrap();
        let mut ba = b.fork();
        ba.merge(&mut a.clone()).unwrap();

        // Same history, same state, in either order; and still a valid walk.
        prop_assert_eq!(ab.get_heads(), ba.get_heads());
        let wab: Walk = document::read(&ab).unwrap();
        let wba: Walk = document::read(&ba).unwrap();
        prop_assert_eq!(&wab, &wba);

        // No observation is lost: exactly the base ones minus those removed, plus the new ones.
        let removed: BTreeSet<_> = log_a.removed.union(&log_b.removed).cloned().collect();
        let expected: BTreeSet<String> = base_ids
            .iter()
            .chain(&log_a.added)
            .chain(&log_b.added)
            .filter(|id| !removed.contains(*id))
            .cloned()
            .collect();
        let merged: BTreeSet<String> = wab.observations.keys().cloned().collect();
        prop_assert_eq!(merged, expected);

        // Every answered item still has an answer.
        let answered: BTreeSet<String> = wab.answers.keys().cloned().collect();
        let both: BTreeSet<String> = log_a.answered.union(&log_b.answered).cloned().collect();
        prop_assert_eq!(answered, both);

        // A note only one device touched reads exactly as that device left it.
        for id in wab.observations.keys() {
            let (in_a, in_b) = (log_a.notes_touched.contains(id), log_b.notes_touched.contains(id));
            if in_a && !in_b {
                prop_assert_eq!(note_of(&ab, id), note_of(&a, id));
            }
            if in_b && !in_a {
                prop_assert_eq!(note_of(&ab, id), note_of(&b, id));
            }
        }
    }
}

/// Found by the property test: one device completes a walk while another
/// starts it; the merge may carry an end time before the start time, and must
/// still read as a valid walk.
#[test]
fn concurrent_start_and_complete_stay_readable() {
    let mut base = base();
    autosurgeon::reconcile_prop(&mut base, automerge::ROOT, "started_at", None::<Timestamp>)
        .unwrap();
    let mut a = base.fork().with_actor(ActorId::from(b"a".as_slice()));
    let mut b = base.fork().with_actor(ActorId::from(b"b".as_slice()));
    edit::set_walk_status(&mut a, WalkStatus::Completed, Timestamp(AT.0)).unwrap();
    edit::set_walk_status(&mut b, WalkStatus::InProgress, Timestamp(AT.0 + 1)).unwrap();
    a.merge(&mut b).unwrap();
    let w: Walk = document::read(&a).unwrap();
    assert_eq!(w.ended_at, Some(AT));
}

#[test]
fn concurrent_note_edits_keep_both_peoples_words() {
    let mut base = base();
    let id = observation_ids(&base)[0].clone();
    let mut a = base.fork().with_actor(ActorId::from(b"a".as_slice()));
    let mut b = base.fork().with_actor(ActorId::from(b"b".as_slice()));
    edit::set_note(&mut a, &id, "grund: lampan är trasig").unwrap();
    edit::splice_note(&mut b, &id, 0, 0, "Akut! ").unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(note_of(&a, &id).unwrap(), "Akut! grund: lampan är trasig");
}

#[test]
fn concurrent_answers_to_one_item_settle_on_one_value_everywhere() {
    let mut base = base();
    let mut a = base.fork().with_actor(ActorId::from(b"a".as_slice()));
    let mut b = base.fork().with_actor(ActorId::from(b"b".as_slice()));
    let answer = |r, who: &str| Answer {
        value: AnswerValue::Rating(r),
        answered_by: who.into(),
        answered_at: AT,
    };
    edit::set_answer(&mut a, ITEMS[0], &answer(2, "a")).unwrap();
    edit::set_answer(&mut b, ITEMS[0], &answer(4, "b")).unwrap();
    let mut ab = a.fork();
    ab.merge(&mut b.clone()).unwrap();
    b.merge(&mut a).unwrap();
    let x: BTreeMap<String, Answer> = document::read::<Walk, _>(&ab).unwrap().answers;
    let y: BTreeMap<String, Answer> = document::read::<Walk, _>(&b).unwrap().answers;
    assert_eq!(x, y);
    // The answer is whole: value and author come from the same device.
    let winner = &x[ITEMS[0]];
    match (&winner.value, winner.answered_by.as_str()) {
        (AnswerValue::Rating(2), "a") | (AnswerValue::Rating(4), "b") => {}
        other => panic!("mixed answer {other:?}"),
    }
}

fn text_answer(doc: &AutoCommit, item: &str) -> Option<(String, String)> {
    let w: Walk = document::read(doc).unwrap();
    w.answers.get(item).map(|a| match &a.value {
        AnswerValue::Text(t) => (t.as_str().to_owned(), a.answered_by.clone()),
        other => panic!("not a text answer: {other:?}"),
    })
}

/// Two people typing in the same text item keep both their words, as with
/// notes; before, the answer was one string and one of them won.
#[test]
fn concurrent_typing_in_a_text_item_keeps_both_peoples_words() {
    const ITEM: &str = "kommentar";
    let mut base = base();
    edit::rebase_text_answer(&mut base, ITEM, "", "Mörk gångtunnel", "device-0", AT).unwrap();
    let mut a = base.fork().with_actor(ActorId::from(b"a".as_slice()));
    let mut b = base.fork().with_actor(ActorId::from(b"b".as_slice()));
    edit::rebase_text_answer(
        &mut a,
        ITEM,
        "Mörk gångtunnel",
        "Mörk gångtunnel vid skolan",
        "a",
        AT,
    )
    .unwrap();
    edit::rebase_text_answer(
        &mut b,
        ITEM,
        "Mörk gångtunnel",
        "Akut: Mörk gångtunnel",
        "b",
        Timestamp(AT.0 + 1),
    )
    .unwrap();
    let mut ab = a.fork();
    ab.merge(&mut b.clone()).unwrap();
    b.merge(&mut a).unwrap();
    let (x, y) = (text_answer(&ab, ITEM), text_answer(&b, ITEM));
    assert_eq!(x, y);
    assert_eq!(x.unwrap().0, "Akut: Mörk gångtunnel vid skolan");
}

/// A field that has not yet shown someone else's keystrokes: what this
/// person typed lands where they typed it, and the other's text stays.
#[test]
fn typing_in_a_text_item_on_top_of_an_unseen_edit_keeps_both() {
    const ITEM: &str = "kommentar";
    let mut doc = base();
    edit::rebase_text_answer(&mut doc, ITEM, "", "Klotter", "a", AT).unwrap();
    edit::rebase_text_answer(&mut doc, ITEM, "Klotter", "Polisen: Klotter", "b", AT).unwrap();
    // Device a's field still shows "Klotter".
    edit::rebase_text_answer(&mut doc, ITEM, "Klotter", "Klotter (sanerat?)", "a", AT).unwrap();
    assert_eq!(
        text_answer(&doc, ITEM),
        Some(("Polisen: Klotter (sanerat?)".into(), "a".into()))
    );
    // Typed empty: the answer is removed (an unanswered item, not an empty one).
    let now = text_answer(&doc, ITEM).unwrap().0;
    edit::rebase_text_answer(&mut doc, ITEM, &now, "", "a", AT).unwrap();
    assert_eq!(text_answer(&doc, ITEM), None);
    // Nothing typed, nothing written.
    let heads = doc.get_heads();
    edit::rebase_text_answer(&mut doc, ITEM, "", "", "a", AT).unwrap();
    assert_eq!(doc.get_heads(), heads);
}

/// Text answers written before they were Automerge text are plain strings:
/// they read as before and become text at their next keystroke.
#[test]
fn a_text_answer_stored_as_a_plain_string_reads_and_becomes_text() {
    const ITEM: &str = "kommentar";
    let mut doc = base();
    let answers = match automerge::ReadDoc::get(&doc, automerge::ROOT, "answers").unwrap() {
        Some((_, id)) => id,
        None => panic!("no answers map"),
    };
    // As the old `Text(String)` variant wrote it.
    #[derive(autosurgeon::Reconcile)]
    struct Old {
        value: OldValue,
        answered_by: String,
        answered_at: Timestamp,
    }
    #[derive(autosurgeon::Reconcile)]
    enum OldValue {
        #[autosurgeon(rename = "text")]
        Text(String),
    }
    let old = Old {
        value: OldValue::Text("Gammalt svar".into()),
        answered_by: "device-0".into(),
        answered_at: AT,
    };
    autosurgeon::reconcile_prop(&mut doc, &answers, ITEM, &old).unwrap();
    assert_eq!(
        text_answer(&doc, ITEM),
        Some(("Gammalt svar".into(), "device-0".into()))
    );
    let mut a = doc.fork().with_actor(ActorId::from(b"a".as_slice()));
    edit::rebase_text_answer(&mut a, ITEM, "Gammalt svar", "Gammalt svar, nytt", "a", AT).unwrap();
    assert_eq!(
        text_answer(&a, ITEM),
        Some(("Gammalt svar, nytt".into(), "a".into()))
    );
    let answer = automerge::ReadDoc::get(&a, &answers, ITEM)
        .unwrap()
        .unwrap()
        .1;
    let value = automerge::ReadDoc::get(&a, &answer, "value")
        .unwrap()
        .unwrap()
        .1;
    assert!(matches!(
        automerge::ReadDoc::get(&a, &value, "text").unwrap(),
        Some((automerge::Value::Object(automerge::ObjType::Text), _))
    ));
}
