//! A walk screen's refresh reads only what changed: `walk_delta::since`
//! names the observations and answers that differ, and everything else as
//! `rest`; the parts read alone obey the same rules as the whole walk.

use automerge::{AutoCommit, Automerge, ChangeHash};
use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::walk_delta::{self, Changed};
use trygg_core::{DocError, Timestamp, document, edit};

const AT: Timestamp = Timestamp(1_764_000_000_000);

fn walk(observations: usize) -> Walk {
    let template = seed::default_template("demo-sdf-norr", AT);
    let vocabulary = seed::vocabulary();
    let mut rng = demo::DemoRng::new(7);
    demo::walk(
        &mut rng,
        &demo::WalkSpec {
            template_doc_id: "tmpl",
            template: template.latest_published().expect("published"),
            vocabulary: &vocabulary,
            observations,
            at: AT,
        },
    )
}

fn snapshot(doc: &mut AutoCommit) -> (Automerge, Vec<ChangeHash>) {
    let heads = doc.get_heads();
    (doc.document().clone(), heads)
}

/// What changed, as `since` finds it from the changes; Automerge's patches
/// over the whole document must say the same.
fn changed_since(now: &Automerge, before: &[ChangeHash]) -> Changed {
    let changed = walk_delta::since(now, before)
        .expect("read")
        .expect("known heads");
    assert_eq!(
        changed,
        walk_delta::since_by_diff(now, before),
        "patches agree"
    );
    changed
}

fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_keystroke_in_one_note_names_that_observation_only() {
    let w = walk(30);
    let mut doc = document::create(&w).expect("create");
    let (_, before) = snapshot(&mut doc);
    let id = w
        .observations
        .keys()
        .nth(7)
        .expect("an observation")
        .clone();
    edit::splice_note(&mut doc, &id, 0, 0, "Akut: ").expect("splice");
    doc.commit();
    let (now, _) = snapshot(&mut doc);

    let changed = changed_since(&now, &before);
    assert_eq!(
        changed,
        Changed {
            observations: set(&[&id]),
            ..Changed::default()
        }
    );
    let o = walk_delta::observation(&now, &id)
        .expect("read")
        .expect("there");
    assert!(o.note.as_str().starts_with("Akut: "), "{}", o.note.as_str());
    assert_eq!(o.id, id);
}

#[test]
fn added_removed_and_answered_parts_are_named_and_nothing_else() {
    let w = walk(5);
    let mut doc = document::create(&w).expect("create");
    let (_, before) = snapshot(&mut doc);
    let gone = w.observations.keys().next().expect("one").clone();
    edit::remove_observation(&mut doc, &gone).expect("remove");
    let mut added = w.observations.values().nth(1).expect("two").clone();
    added.id = "ny-observation".into();
    edit::put_observation(&mut doc, &added).expect("add");
    let answer = Answer {
        value: AnswerValue::Rating(2),
        answered_by: "dev".into(),
        answered_at: AT,
    };
    edit::set_answer(&mut doc, "belysning-betyg", &answer).expect("answer");
    edit::clear_answer(&mut doc, "sikt-orientering").expect("clear");
    doc.commit();
    let (now, _) = snapshot(&mut doc);

    let changed = changed_since(&now, &before);
    assert_eq!(changed.observations, set(&[&gone, "ny-observation"]));
    assert!(changed.answers.contains("belysning-betyg"), "{changed:?}");
    assert!(!changed.rest, "{changed:?}");
    assert_eq!(walk_delta::observation(&now, &gone).expect("read"), None);
    assert_eq!(
        walk_delta::observation(&now, "ny-observation").expect("read"),
        Some(added)
    );
    assert_eq!(
        walk_delta::answer(&now, "belysning-betyg").expect("read"),
        Some(answer)
    );
    // The parts agree with the walk read whole.
    let whole: Walk = document::read(&now).expect("whole");
    for id in &changed.answers {
        assert_eq!(
            walk_delta::answer(&now, id).expect("read").as_ref(),
            whole.answers.get(id)
        );
    }
}

#[test]
fn a_status_change_is_rest_and_no_change_is_empty() {
    let w = walk(3);
    let mut doc = document::create(&w).expect("create");
    let (now, before) = snapshot(&mut doc);
    assert!(changed_since(&now, &before).is_empty());

    let next = if w.status == WalkStatus::Completed {
        WalkStatus::InProgress
    } else {
        WalkStatus::Completed
    };
    edit::set_walk_status(&mut doc, next, AT).expect("status");
    doc.commit();
    let (now, _) = snapshot(&mut doc);
    let changed = changed_since(&now, &before);
    assert!(changed.rest, "{changed:?}");
    assert!(changed.observations.is_empty() && changed.answers.is_empty());
}

#[test]
fn heads_the_document_does_not_hold_ask_for_a_whole_read() {
    let mut doc = document::create(&walk(2)).expect("create");
    let (now, _) = snapshot(&mut doc);
    let other = document::create(&walk(1)).expect("other").get_heads();
    assert_eq!(walk_delta::since(&now, &other).expect("read"), None);
}

#[test]
fn an_observation_breaking_the_walk_rules_is_an_error_not_shown() {
    let w = walk(2);
    let mut doc = document::create(&w).expect("create");
    let mut o = w.observations.values().next().expect("one").clone();
    o.sensitivity = Sensitivity::Restricted;
    // Written around the edit functions' own checks, as a foreign device might.
    let mut whole = w.clone();
    whole.observations.insert(o.id.clone(), o.clone());
    document::write(&mut doc, &whole).expect_err("the whole walk is refused");
    let map = match automerge::ReadDoc::get(&doc, automerge::ROOT, "observations") {
        Ok(Some((_, id))) => id,
        other => panic!("{other:?}"),
    };
    autosurgeon::reconcile_prop(&mut doc, &map, o.id.as_str(), &o).expect("written");
    doc.commit();
    let (now, _) = snapshot(&mut doc);
    let err = walk_delta::observation(&now, &o.id).expect_err("refused");
    assert!(
        matches!(err, DocError::Invalid { .. }) && err.to_string().contains("sensitivity"),
        "{err}"
    );
}

#[test]
fn another_kind_of_document_is_refused() {
    let mut doc = document::create(&seed::vocabulary()).expect("create");
    let err = walk_delta::answer(doc.document(), "x").expect_err("not a walk");
    assert!(matches!(err, DocError::WrongKind { .. }), "{err}");
}
