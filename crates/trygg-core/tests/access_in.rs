//! `access::access_in` reads only the fields access depends on; it must give
//! what `access_of` gives from the whole document, for every kind.

use automerge::AutoCommit;
use trygg_core::access::{access_in, access_of};
use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::{DocError, DocId, DocumentSchema, Timestamp, document};

const AT: Timestamp = Timestamp(1_764_000_000_000);

fn same<T: DocumentSchema>(value: &T) {
    let doc: AutoCommit = document::create(value).expect("create");
    let id = DocId::random();
    let whole = document::read_any(&doc).expect("read");
    assert_eq!(
        access_in(id, &doc, "fallback-org").expect("facts"),
        access_of(id, &whole, "fallback-org"),
        "{:?}",
        T::KIND
    );
}

#[test]
fn every_kind_gives_the_facts_the_whole_document_gives() {
    let vocabulary = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", AT);
    let mut rng = demo::DemoRng::new(11);
    let mut walk = demo::walk(
        &mut rng,
        &demo::WalkSpec {
            template_doc_id: "tmpl",
            template: template.latest_published().expect("published"),
            vocabulary: &vocabulary,
            observations: 4,
            at: AT,
        },
    );
    walk.organisations.insert("demo-polis".into(), AT);
    walk.organisations.insert("demo-bostad".into(), AT);
    let obs = walk.observations.keys().next().expect("one").clone();
    same(&seed::directory());
    same(&vocabulary);
    same(&template);
    same(&walk);
    for sensitivity in [Sensitivity::Shared, Sensitivity::Restricted] {
        same(&demo::report(
            &mut rng,
            &vocabulary,
            "demo-polis",
            sensitivity,
            3,
            AT,
        ));
    }
    same(&demo::action(
        "walkdoc",
        &walk,
        &obs,
        "demo-bostad",
        ActionStatus::Proposed,
    ));
}

#[test]
fn a_newer_schema_and_a_foreign_document_are_refused() {
    let mut doc = document::create(&seed::vocabulary()).expect("create");
    automerge::transaction::Transactable::put(
        &mut doc,
        automerge::ROOT,
        document::VERSION_KEY,
        document::schema_version(trygg_core::DocKind::Vocabulary) + 1,
    )
    .expect("put");
    let err = access_in(DocId::random(), &doc, "x").expect_err("newer");
    assert!(matches!(err, DocError::UnsupportedVersion { .. }), "{err}");
    let err = access_in(DocId::random(), &AutoCommit::new(), "x").expect_err("foreign");
    assert!(matches!(err, DocError::Foreign), "{err}");
}
