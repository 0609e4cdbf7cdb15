//! Every document kind survives a trip through Automerge bytes, and every kind
//! of malformed or foreign document is refused with an error that says why.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc};
use autosurgeon::Text;
use proptest::prelude::*;
use trygg_core::document::{self, AnyDocument};
use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::{DocError, DocKind, DocumentSchema, Timestamp, edit};

const AT: Timestamp = Timestamp(1_764_000_000_000);

fn sample_walk() -> Walk {
    let vocab = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", AT);
    let mut rng = demo::DemoRng::new(42);
    let mut walk = demo::walk(
        &mut rng,
        &demo::WalkSpec {
            template_doc_id: "2Kq7mXh5fUdKz3L8aBvzrQKbT1x",
            template: template.latest_published().unwrap(),
            vocabulary: &vocab,
            observations: 4,
            at: AT,
        },
    );
    walk.status = WalkStatus::InProgress;
    walk.ended_at = None;
    walk.started_at = Some(AT);
    // Exercise every optional part of an observation at least once.
    let first = walk.observations.values_mut().next().unwrap();
    first.photos.push(PhotoRef {
        sha256: "ab".repeat(32),
        size: 123_456,
        media_type: "image/jpeg".into(),
        caption: "Släckt lampa".into(),
    });
    first.location = Some(Location {
        point: Some(GeoPoint::new(59.31, 18.07)),
        place_id: Some("sodermalm/medborgarplatsen".into()),
    });
    first.item_id = Some("belysning-fungerar".into());
    walk.answers.insert(
        "samlat-plats".into(),
        Answer {
            value: AnswerValue::Location(Location {
                point: None,
                place_id: Some("sodermalm/slussen".into()),
            }),
            answered_by: "demo-device-1".into(),
            answered_at: AT,
        },
    );
    walk.answers.insert(
        "underhall-foto".into(),
        Answer {
            value: AnswerValue::Photos(vec![PhotoRef {
                sha256: "cd".repeat(32),
                size: 99,
                media_type: "image/png".into(),
                caption: String::new(),
            }]),
            answered_by: "demo-device-1".into(),
            answered_at: AT,
        },
    );
    walk
}

/// An action proposed to the police from the walk's first observation.
fn proposed_action(walk: &Walk) -> Action {
    demo::action(
        "walk-doc",
        walk,
        "o1",
        "demo-polisen",
        ActionStatus::Proposed,
    )
}

fn round_trip<T: DocumentSchema + PartialEq + std::fmt::Debug>(value: &T) {
    let mut doc = document::create(value).unwrap();
    let bytes = doc.save();
    let loaded = document::load_bytes(&bytes).unwrap();
    let back: T = document::read(&loaded).unwrap();
    assert_eq!(&back, value);
    let any = document::read_any(&loaded).unwrap();
    assert_eq!(any.kind(), T::KIND);
    let h = document::header(&loaded).unwrap();
    assert_eq!((h.kind, h.schema_version), (T::KIND, T::SCHEMA_VERSION));
}

#[test]
fn every_kind_round_trips() {
    let mut directory = seed::directory();
    for o in demo::organisations() {
        directory.organisations.insert(o.id.clone(), o);
    }
    round_trip(&directory);
    round_trip(&seed::vocabulary());
    round_trip(&seed::default_template("demo-sdf-norr", AT));
    let walk = sample_walk();
    round_trip(&walk);
    let mut rng = demo::DemoRng::new(1);
    let vocab = seed::vocabulary();
    round_trip(&demo::report(
        &mut rng,
        &vocab,
        "demo-polis",
        Sensitivity::Restricted,
        3,
        AT,
    ));
    round_trip(&demo::report(
        &mut rng,
        &vocab,
        "demo-bostad",
        Sensitivity::Shared,
        2,
        AT,
    ));
    let obs_id = walk.observations.keys().next().unwrap().clone();
    let mut action = demo::action(
        "walkdoc",
        &walk,
        &obs_id,
        "demo-fastighet",
        ActionStatus::Accepted,
    );
    action.comments.insert(
        "c1".into(),
        Comment {
            id: "c1".into(),
            author: "demo-device-3".into(),
            organisation: "demo-fastighet".into(),
            at: AT,
            text: "Beställt ny armatur.".into(),
        },
    );
    round_trip(&action);
}

#[test]
fn an_edit_to_one_field_writes_a_small_change() {
    let walk = sample_walk();
    let mut doc = document::create(&walk).unwrap();
    let before = doc.save().len();
    // Read back, so Text fields know their history, then change one field.
    let mut changed: Walk = document::read(&doc).unwrap();
    changed.route_name = "Ny sträckning".into();
    document::write(&mut doc, &changed).unwrap();
    let change = doc.save_incremental();
    let ops: usize = doc.get_changes(&[]).iter().skip(1).map(|c| c.len()).sum();
    assert!(ops <= 2, "{ops} operations for one field");
    assert!(
        change.len() < before / 4,
        "{} bytes for one field of {before}",
        change.len()
    );
    assert_eq!(document::read::<Walk, _>(&doc).unwrap(), changed);
}

#[test]
fn exercises_are_kept_and_documents_from_before_them_are_not_exercises() {
    let mut walk = sample_walk();
    walk.exercise = true;
    round_trip(&walk);
    let mut rng = demo::DemoRng::new(2);
    let mut report = demo::report(
        &mut rng,
        &seed::vocabulary(),
        "demo-bostad",
        Sensitivity::Shared,
        1,
        AT,
    );
    report.exercise = true;
    round_trip(&report);

    // Written before exercises existed: no key at all. Such a walk and
    // report read, as real work.
    for mut doc in [
        document::create(&walk).unwrap(),
        document::create(&report).unwrap(),
    ] {
        doc.delete(automerge::ROOT, "exercise").unwrap();
        match document::read_any(&doc).unwrap() {
            AnyDocument::Walk(w) => assert!(!w.exercise),
            AnyDocument::Report(r) => assert!(!r.exercise),
            other => panic!("{:?}", other.kind()),
        }
    }
}

fn expect_err<T: DocumentSchema + std::fmt::Debug>(doc: &AutoCommit) -> DocError {
    document::read::<T, _>(doc).expect_err("document should be refused")
}

#[test]
fn garbage_bytes_are_a_decode_error() {
    let err = document::load_bytes(b"\x85o\x4a\x83 definitely not automerge").unwrap_err();
    assert!(matches!(err, DocError::Decode(_)), "{err:?}");
    let mut good = document::create(&sample_walk()).unwrap().save();
    good.truncate(good.len() / 2);
    let err = document::load_bytes(&good).unwrap_err();
    assert!(matches!(err, DocError::Decode(_)), "{err:?}");
}

#[test]
fn a_foreign_document_is_named_as_such() {
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "title", "Someone else's todo list")
        .unwrap();
    let err = expect_err::<Walk>(&doc);
    assert!(matches!(err, DocError::Foreign), "{err:?}");
    assert!(err.to_string().contains("not a Trygg document"));
    assert!(matches!(document::read_any(&doc), Err(DocError::Foreign)));
}

#[test]
fn unknown_kind_wrong_kind_and_newer_version() {
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "doc_kind", "spaceship").unwrap();
    doc.put(automerge::ROOT, "schema_version", 1u64).unwrap();
    assert!(matches!(expect_err::<Walk>(&doc), DocError::UnknownKind(k) if k == "spaceship"));

    let vocab_doc = document::create(&seed::vocabulary()).unwrap();
    let err = expect_err::<Walk>(&vocab_doc);
    assert!(
        matches!(
            err,
            DocError::WrongKind {
                expected: DocKind::Walk,
                found: DocKind::Vocabulary
            }
        ),
        "{err:?}"
    );

    let mut newer = document::create(&sample_walk()).unwrap();
    newer.put(automerge::ROOT, "schema_version", 99u64).unwrap();
    let err = expect_err::<Walk>(&newer);
    assert!(
        matches!(err, DocError::UnsupportedVersion { found: 99, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("update Trygg"), "{err}");

    let mut stringly = document::create(&sample_walk()).unwrap();
    stringly
        .put(automerge::ROOT, "schema_version", "one")
        .unwrap();
    assert!(matches!(
        expect_err::<Walk>(&stringly),
        DocError::Malformed { .. }
    ));
}

#[test]
fn wrong_shapes_are_malformed_with_a_reason() {
    let walk = sample_walk();
    let obs_id = walk.observations.keys().next().unwrap().clone();

    let mut doc = document::create(&walk).unwrap();
    doc.put(automerge::ROOT, "area", 17i64).unwrap();
    let err = expect_err::<Walk>(&doc);
    assert!(
        matches!(
            err,
            DocError::Malformed {
                kind: DocKind::Walk,
                ..
            }
        ),
        "{err:?}"
    );

    let mut doc = document::create(&walk).unwrap();
    let (_, observations) = doc.get(automerge::ROOT, "observations").unwrap().unwrap();
    let (_, obs) = doc.get(&observations, obs_id.as_str()).unwrap().unwrap();
    doc.put(&obs, "severity", 9u64).unwrap();
    let err = expect_err::<Walk>(&doc).to_string();
    assert!(err.contains("severity from 1 to 4"), "{err}");

    let mut doc = document::create(&walk).unwrap();
    doc.put(automerge::ROOT, "status", "exploded").unwrap();
    let err = expect_err::<Walk>(&doc).to_string();
    assert!(err.contains("in_progress"), "{err}");

    let mut doc = document::create(&walk).unwrap();
    doc.delete(automerge::ROOT, "template").unwrap();
    assert!(matches!(
        expect_err::<Walk>(&doc),
        DocError::Malformed { .. }
    ));

    let mut doc = document::create(&walk).unwrap();
    doc.put_object(automerge::ROOT, "observations", ObjType::List)
        .unwrap();
    assert!(matches!(
        expect_err::<Walk>(&doc),
        DocError::Malformed { .. }
    ));
}

#[test]
fn domain_rules_are_checked_on_read_and_on_write() {
    let walk = sample_walk();
    let obs_id = walk.observations.keys().next().unwrap().clone();

    // An observation stored under another observation's key.
    let mut bad = walk.clone();
    let o = bad.observations.remove(&obs_id).unwrap();
    bad.observations.insert("other-key".into(), o);
    let err = document::create(&bad).unwrap_err();
    assert!(matches!(err, DocError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("observations.other-key"), "{err}");

    // The same, smuggled in past write() by editing the raw document.
    let mut doc = document::create(&walk).unwrap();
    let (_, observations) = doc.get(automerge::ROOT, "observations").unwrap().unwrap();
    let (_, obs) = doc.get(&observations, obs_id.as_str()).unwrap().unwrap();
    doc.put(&obs, "sensitivity", "restricted").unwrap();
    let err = expect_err::<Walk>(&doc).to_string();
    assert!(err.contains("only shared observations"), "{err}");

    // A latitude off the planet.
    let mut bad = walk.clone();
    bad.observations.get_mut(&obs_id).unwrap().location = Some(Location {
        point: Some(GeoPoint::new(123.0, 18.0)),
        place_id: None,
    });
    let err = document::create(&bad).unwrap_err().to_string();
    assert!(err.contains("latitude 123"), "{err}");

    // An action due on a date that does not exist.
    let mut action = demo::action("w", &walk, &obs_id, "demo-polis", ActionStatus::Proposed);
    action.due_date = Some("2027-02-30".into());
    let err = document::create(&action).unwrap_err().to_string();
    assert!(err.contains("due_date"), "{err}");
}

#[test]
fn edits_refuse_bad_input_and_leave_the_document_alone() {
    let walk = sample_walk();
    let mut doc = document::create(&walk).unwrap();
    let heads = doc.get_heads();
    let mut rng = demo::DemoRng::new(3);
    let vocab = seed::vocabulary();
    let mut restricted = demo::observation(
        &mut rng,
        &vocab,
        GeoPoint::new(59.3, 18.0),
        "demo-polis",
        "d",
        AT,
        Sensitivity::Restricted,
    );
    let err = edit::put_observation(&mut doc, &restricted)
        .unwrap_err()
        .to_string();
    assert!(err.contains("organisation's report"), "{err}");
    restricted.sensitivity = Sensitivity::Shared;
    restricted.category = "  ".into();
    assert!(edit::put_observation(&mut doc, &restricted).is_err());
    let bad_answer = Answer {
        value: AnswerValue::Rating(7),
        answered_by: "d".into(),
        answered_at: AT,
    };
    assert!(edit::set_answer(&mut doc, "belysning-betyg", &bad_answer).is_err());
    assert!(matches!(
        edit::set_note(&mut doc, "no-such-observation", "x"),
        Err(DocError::NotFound { .. })
    ));
    let obs_id = walk.observations.keys().next().unwrap();
    assert!(edit::splice_note(&mut doc, obs_id, 10_000, 0, "x").is_err());
    assert!(edit::set_walk_status(&mut doc, WalkStatus::Planned, AT).is_err());
    assert_eq!(
        doc.get_heads(),
        heads,
        "a refused edit must not change the document"
    );

    let mut vocab_doc = document::create(&vocab).unwrap();
    assert!(matches!(
        edit::put_observation(&mut vocab_doc, &restricted),
        Err(DocError::WrongKind { .. })
    ));
}

#[test]
fn walk_status_moves_forward_and_stamps_times() {
    let mut walk = sample_walk();
    walk.status = WalkStatus::Planned;
    walk.started_at = None;
    let mut doc = document::create(&walk).unwrap();
    edit::set_walk_status(&mut doc, WalkStatus::InProgress, Timestamp(10)).unwrap();
    edit::set_walk_status(&mut doc, WalkStatus::Completed, Timestamp(20)).unwrap();
    let w: Walk = document::read(&doc).unwrap();
    assert_eq!(
        (w.started_at, w.ended_at),
        (Some(Timestamp(10)), Some(Timestamp(20)))
    );
    edit::set_walk_status(&mut doc, WalkStatus::Reported, Timestamp(30)).unwrap();
    let err = edit::set_walk_status(&mut doc, WalkStatus::InProgress, Timestamp(40)).unwrap_err();
    assert!(
        err.to_string()
            .contains("reported cannot become in_progress"),
        "{err}"
    );
}

#[test]
fn a_walk_moves_only_to_another_copy_of_its_own_checklist() {
    let walk = sample_walk();
    let mut doc = document::create(&walk).unwrap();
    let to = TemplateRef {
        doc_id: "7Yq1mXh5fUdKz3L8aBvzrQKbT9z".into(),
        ..walk.template.clone()
    };
    edit::move_walk_template(&mut doc, &to).unwrap();
    let moved: Walk = document::read(&doc).unwrap();
    assert_eq!(moved.template, to);
    assert_eq!(moved.answers, walk.answers, "nothing else changes");

    // Another template, or another version of it, is another checklist.
    for other in [
        TemplateRef {
            template_id: "annan-mall".into(),
            ..to.clone()
        },
        TemplateRef {
            version: to.version + 1,
            ..to.clone()
        },
    ] {
        let err = edit::move_walk_template(&mut doc, &other).unwrap_err();
        assert!(matches!(err, DocError::Forbidden(_)), "{err}");
    }
    let action = proposed_action(&walk);
    let err = edit::move_walk_template(&mut document::create(&action).unwrap(), &to).unwrap_err();
    assert!(matches!(err, DocError::WrongKind { .. }), "{err}");
    assert_eq!(document::read::<Walk, _>(&doc).unwrap().template, to);
}

#[test]
fn the_same_checklist_is_the_same_questions_whenever_published() {
    let a = seed::default_template("district", Timestamp(1));
    let b = seed::default_template("police", Timestamp(2));
    let (va, vb) = (a.latest_published().unwrap(), b.latest_published().unwrap());
    assert!(va.same_checklist(vb));
    let mut reworded = vb.clone();
    reworded.sections[0].items[0].prompt_sv.push('?');
    assert!(!va.same_checklist(&reworded));
    let mut renumbered = vb.clone();
    renumbered.version += 1;
    assert!(!va.same_checklist(&renumbered));
}

#[test]
fn diff_text_finds_the_smallest_splice() {
    let d = edit::diff_text("Lampan är trasig", "Lampan är inte trasig");
    assert_eq!((d.pos, d.delete, d.insert.as_str()), (10, 0, "inte "));
    let d = edit::diff_text("åäö", "åö");
    assert_eq!((d.pos, d.delete, d.insert.as_str()), (1, 1, ""));
    let d = edit::diff_text("aaa", "aa");
    assert_eq!((d.pos, d.delete), (2, 1));
}

/// The field shows `before`; the document meanwhile got someone else's edit.
fn rebased(before: &str, remote: &str, after: &str) -> String {
    let mut walk = sample_walk();
    let obs = walk.observations.values_mut().next().unwrap();
    obs.note = Text::with_value(before);
    let id = obs.id.clone();
    let mut doc = document::create(&walk).unwrap();
    edit::set_note(&mut doc, &id, remote).unwrap();
    edit::rebase_note(&mut doc, &id, before, after).unwrap();
    let w: Walk = document::read(&doc).unwrap();
    w.observations[&id].note.as_str().to_string()
}

#[test]
fn typing_on_top_of_an_unseen_edit_keeps_both() {
    // Someone prefixed the note; we typed at its end.
    assert_eq!(
        rebased("Klotter", "Polisen: Klotter", "Klotter (sanerat?)"),
        "Polisen: Klotter (sanerat?)"
    );
    // Someone appended; we fixed a word at the start.
    assert_eq!(
        rebased("lampa trasig", "lampa trasig vid port", "Lampa trasig"),
        "Lampa trasig vid port"
    );
    // We deleted a word after their insertion point.
    assert_eq!(rebased("a b c", "X a b c", "a c"), "X a c");
    // Nothing unseen: the same as a plain edit.
    assert_eq!(rebased("abc", "abc", "abXc"), "abXc");
}

#[test]
fn an_action_status_changes_only_on_actions() {
    let walk = sample_walk();
    let action = proposed_action(&walk);
    let mut doc = document::create(&action).unwrap();
    edit::set_action_status(&mut doc, ActionStatus::InProgress).unwrap();
    let a: Action = document::read(&doc).unwrap();
    assert_eq!(a.status, ActionStatus::InProgress);

    let mut walk_doc = document::create(&walk).unwrap();
    let err = edit::set_action_status(&mut walk_doc, ActionStatus::Done).unwrap_err();
    assert!(matches!(err, DocError::WrongKind { .. }), "{err}");
}

#[test]
fn a_report_takes_only_its_own_organisations_observations() {
    let mut rng = demo::DemoRng::new(9);
    let vocab = seed::vocabulary();
    let report = demo::report(
        &mut rng,
        &vocab,
        "demo-polis",
        Sensitivity::Restricted,
        0,
        AT,
    );
    let mut doc = document::create(&report).unwrap();
    let mut obs = demo::observation(
        &mut rng,
        &vocab,
        GeoPoint::new(59.3, 18.0),
        "demo-bostad",
        "d",
        AT,
        Sensitivity::Restricted,
    );
    let err = edit::put_observation(&mut doc, &obs)
        .unwrap_err()
        .to_string();
    assert!(err.contains("belongs to demo-polis"), "{err}");
    obs.organisation = "demo-polis".into();
    edit::put_observation(&mut doc, &obs).unwrap();
    let r: Report = document::read(&doc).unwrap();
    assert_eq!(r.observations.len(), 1);
}

#[test]
fn notes_are_text_that_js_clients_can_splice() {
    let walk = sample_walk();
    let doc = document::create(&walk).unwrap();
    let obs_id = walk.observations.keys().next().unwrap();
    let (_, observations) = doc.get(automerge::ROOT, "observations").unwrap().unwrap();
    let (_, obs) = doc.get(&observations, obs_id.as_str()).unwrap().unwrap();
    let (value, _) = doc.get(&obs, "note").unwrap().unwrap();
    assert_eq!(value.to_objtype(), Some(ObjType::Text));
    let _: BTreeMap<String, Observation> =
        autosurgeon::hydrate_prop(&doc, automerge::ROOT, "observations").unwrap();
    let _ = Text::with_value("");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever bytes arrive, reading them gives a value or an error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(doc) = document::load_bytes(&bytes) {
            let _ = document::read_any(&doc);
        }
    }

    /// Flipping bytes of a real document never panics either.
    #[test]
    fn corrupted_documents_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = document::create(&sample_walk()).unwrap().save();
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] ^= b | 1;
        }
        if let Ok(doc) = document::load_bytes(&bytes) {
            let _: Result<AnyDocument, _> = document::read_any(&doc);
        }
    }
}
