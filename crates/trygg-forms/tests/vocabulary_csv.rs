//! The shipped vocabulary file (docs/examples/vocabulary-import.csv) read
//! and imported into the seed vocabulary: what it takes makes one version,
//! each row it cannot take is named with its reason, and an export of the
//! result imports back as all unchanged.

use std::path::PathBuf;

use automerge::AutoCommit;
use trygg_core::edit::vocabulary::import::{self, RowOutcome, rows_of};
use trygg_core::model::Vocabulary;
use trygg_core::{document, seed};
use trygg_forms::vocabulary_csv;

fn sample() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/vocabulary-import.csv");
    std::fs::read(path).unwrap()
}

#[test]
fn the_sample_file_imports_what_it_can_as_one_version_and_names_the_rest() {
    let mut doc: AutoCommit = document::create(&seed::vocabulary()).unwrap();
    doc.commit();
    let rows = vocabulary_csv::read(&sample()).unwrap();
    assert_eq!(rows.len(), 9);

    let report = import::import(&mut doc, &rows).unwrap();
    doc.commit();
    let outcomes: Vec<(u64, &str, &RowOutcome)> = report
        .rows
        .iter()
        .map(|r| (r.line, r.code.as_str(), &r.outcome))
        .collect();
    assert_eq!(outcomes[0], (2, "elsparkcyklar", &RowOutcome::Added));
    assert_eq!(outcomes[1], (3, "belysning", &RowOutcome::Changed));
    assert_eq!(outcomes[2], (4, "klotter", &RowOutcome::Unchanged));
    assert_eq!(outcomes[3], (5, "gomstallen", &RowOutcome::Deprecated));
    let reason = |i: usize| match &report.rows[i].outcome {
        RowOutcome::Refused { reason } => reason.clone(),
        other => panic!("row {i} was taken: {other:?}"),
    };
    assert!(
        reason(4).contains("a code is 2 to 40 of a-z"),
        "{}",
        reason(4)
    );
    assert!(
        reason(5).contains("unknown group \"trafikmiljo\""),
        "{}",
        reason(5)
    );
    assert!(reason(6).contains("on line 2 already"), "{}", reason(6));
    assert!(
        reason(7).contains("does not take a term back into use"),
        "{}",
        reason(7)
    );
    assert_eq!(reason(8), "the row ends after 3 of the 8 columns");
    assert_eq!(report.refused(), 5);
    assert_eq!((report.version_before, report.version), (2, 3));

    let v: Vocabulary = document::read(&doc).unwrap();
    assert_eq!(v.version, 3);
    assert_eq!(v.terms["elsparkcyklar"].since_version, 3);
    assert_eq!(
        v.terms["belysning"].definition_sv,
        "Trasig, bländande eller otillräcklig belysning."
    );
    assert_eq!(v.current_code("gomstallen"), "sikt");
    assert!(!v.terms.contains_key("cykelparkering"));
    assert!(v.terms["skrap"].deprecated, "a refused row changes nothing");

    // The export of the result imports back as all unchanged, no version.
    let exported = vocabulary_csv::write(&rows_of(&v)).unwrap();
    let back = vocabulary_csv::read(&exported).unwrap();
    let (_, again) = import::plan(&v, &back);
    assert!(
        again
            .rows
            .iter()
            .all(|r| r.outcome == RowOutcome::Unchanged),
        "{again:?}"
    );
    assert_eq!(again.version, 3);
}
