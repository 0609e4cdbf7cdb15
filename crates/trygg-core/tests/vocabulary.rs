//! A coordinator's vocabulary edits: each a new version, old codes counted
//! under their replacements, edits that would leave a problem refused, two
//! coordinators' concurrent edits merged into a vocabulary that still reads
//! (with what to fix named), and the diff between two versions.

use automerge::AutoCommit;
use trygg_core::edit::vocabulary::import::{self, ReadRow, RowOutcome, TermRow};
use trygg_core::edit::vocabulary::{self as vocab, TermText};
use trygg_core::model::{Vocabulary, VocabularyProblem};
use trygg_core::vocabulary_history::{self as history, TermChange};
use trygg_core::{DocError, document, seed};

fn new_doc() -> AutoCommit {
    let mut doc = document::create(&seed::vocabulary()).unwrap();
    doc.commit();
    doc
}

fn read(doc: &AutoCommit) -> Vocabulary {
    document::read(doc).unwrap()
}

fn text(group: &str, sv: &str, en: &str) -> TermText {
    TermText {
        group: group.into(),
        label_sv: sv.into(),
        label_en: en.into(),
        definition_sv: String::new(),
        definition_en: String::new(),
    }
}

fn refusal(e: DocError) -> String {
    e.to_string()
}

#[test]
fn each_edit_is_a_new_version_and_old_codes_count_under_their_replacement() {
    let mut doc = new_doc();
    assert_eq!(read(&doc).version, 2);
    let v = vocab::add_term(
        &mut doc,
        "elsparkcyklar",
        &text("fysisk_miljo", "Elsparkcyklar", "E-scooters"),
    )
    .unwrap();
    assert_eq!(v, 3);
    let mut renamed = text("fysisk_miljo", "Belysning och ljus", "Lighting");
    renamed.definition_sv = "Trasig, bländande eller otillräcklig belysning.".into();
    assert_eq!(
        vocab::change_term(&mut doc, "belysning", &renamed).unwrap(),
        4
    );
    // Saying the same again changes nothing.
    assert_eq!(
        vocab::change_term(&mut doc, "belysning", &renamed).unwrap(),
        4
    );
    assert_eq!(
        vocab::deprecate_term(&mut doc, "gomstallen", Some("sikt")).unwrap(),
        5
    );
    let v = read(&doc);
    assert_eq!(v.version, 5);
    assert_eq!(v.terms["elsparkcyklar"].since_version, 3);
    assert_eq!(v.terms["belysning"].label_sv, "Belysning och ljus");
    let gone = &v.terms["gomstallen"];
    assert!(gone.deprecated);
    assert_eq!(gone.deprecated_in, Some(5));
    // Data keeps its code; counts follow the replacement, through a chain.
    assert_eq!(v.current_code("gomstallen"), "sikt");
    assert_eq!(v.current_code("skrap"), "nedskrapning");
    assert!(v.active_terms().iter().all(|t| t.code != "gomstallen"));
    assert!(v.problems().is_empty(), "{:?}", v.problems());
    // Deprecated without a replacement: counted under itself.
    vocab::deprecate_term(&mut doc, "elsparkcyklar", None).unwrap();
    assert_eq!(read(&doc).current_code("elsparkcyklar"), "elsparkcyklar");
}

#[test]
fn an_edit_that_would_leave_a_problem_or_bad_input_is_refused_and_changes_nothing() {
    let mut doc = new_doc();
    vocab::deprecate_term(&mut doc, "gomstallen", Some("sikt")).unwrap();
    let before = read(&doc);
    let heads = doc.get_heads();
    let cases: Vec<(Result<u64, DocError>, &str)> = vec![
        (
            vocab::add_term(&mut doc, "belysning", &text("fysisk_miljo", "Ny", "New")),
            "is taken",
        ),
        (
            vocab::add_term(&mut doc, "Bad Code", &text("fysisk_miljo", "Ny", "New")),
            "a code is",
        ),
        (
            vocab::add_term(&mut doc, "ny_term", &text("okand_grupp", "Ny", "New")),
            "unknown group",
        ),
        (
            vocab::add_term(&mut doc, "ny_term", &text("fysisk_miljo", " ", "New")),
            "must not be empty",
        ),
        (
            vocab::add_term(
                &mut doc,
                "ny_term",
                &text("fysisk_miljo", &"x".repeat(81), "New"),
            ),
            "at most 80",
        ),
        // The picker could not tell the two apart.
        (
            vocab::add_term(
                &mut doc,
                "ljus",
                &text("fysisk_miljo", "belysning", "Light"),
            ),
            "share the label",
        ),
        (
            vocab::change_term(&mut doc, "finns_inte", &text("fysisk_miljo", "X", "X")),
            "finns_inte",
        ),
        (
            vocab::deprecate_term(&mut doc, "gomstallen", None),
            "deprecated already",
        ),
        (
            vocab::deprecate_term(&mut doc, "sikt", Some("sikt")),
            "cannot replace itself",
        ),
        (
            vocab::deprecate_term(&mut doc, "sikt", Some("gomstallen")),
            "is deprecated",
        ),
        (
            vocab::deprecate_term(&mut doc, "sikt", Some("finns_inte")),
            "no term",
        ),
    ];
    for (result, says) in cases {
        let e = refusal(result.unwrap_err());
        assert!(e.contains(says), "{says:?} not in {e:?}");
    }
    assert_eq!(doc.get_heads(), heads);
    assert_eq!(read(&doc), before);
}

#[test]
fn concurrent_coordinators_merge_into_a_vocabulary_that_reads_and_names_what_to_fix() {
    let mut a = new_doc();
    let mut b = a.fork();
    // Each takes one of two terms out of use in favour of the other.
    vocab::deprecate_term(&mut a, "sikt", Some("gomstallen")).unwrap();
    vocab::deprecate_term(&mut b, "gomstallen", Some("sikt")).unwrap();
    // Both add the same code, with different labels; and both add a term
    // labelled alike under different codes.
    vocab::add_term(
        &mut a,
        "kameror",
        &text("fysisk_miljo", "Kameror", "Cameras"),
    )
    .unwrap();
    vocab::add_term(
        &mut b,
        "kameror",
        &text("fysisk_miljo", "Kamerabevakning", "CCTV"),
    )
    .unwrap();
    vocab::add_term(
        &mut a,
        "graffiti",
        &text("underhall", "Graffiti", "Graffiti"),
    )
    .unwrap();
    vocab::add_term(
        &mut b,
        "graffiti_2",
        &text("underhall", "Graffiti", "Graffiti"),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let v: Vocabulary = document::read(&a).expect("a merged vocabulary still reads");
    let problems = v.problems();
    assert!(
        problems.contains(&VocabularyProblem::ReplacementCycle {
            codes: vec!["gomstallen".into(), "sikt".into()]
        }),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| matches!(p, VocabularyProblem::SameLabel { codes, .. } if codes == &["graffiti", "graffiti_2"])), "{problems:?}");
    // Counts do not depend on which of the two codes data was recorded with.
    assert_eq!(v.current_code("sikt"), "gomstallen");
    assert_eq!(v.current_code("gomstallen"), "gomstallen");
    // One `kameror` survives, whole.
    let k = &v.terms["kameror"];
    assert!(["Kameror", "Kamerabevakning"].contains(&k.label_sv.as_str()));
    // A coordinator can still edit, and fixing is possible: relabelling one
    // of the pair clears that problem; the cycle stays named meanwhile.
    vocab::change_term(
        &mut a,
        "graffiti_2",
        &text("underhall", "Klotter på fordon", "Graffiti on vehicles"),
    )
    .unwrap();
    let v = read(&a);
    assert!(
        !v.problems()
            .iter()
            .any(|p| matches!(p, VocabularyProblem::SameLabel { .. }))
    );
    assert!(
        v.problems()
            .iter()
            .any(|p| matches!(p, VocabularyProblem::ReplacementCycle { .. }))
    );
}

#[test]
fn the_versions_are_read_from_history_and_two_are_compared() {
    let mut doc = new_doc();
    vocab::add_term(
        &mut doc,
        "elsparkcyklar",
        &text("fysisk_miljo", "Elsparkcyklar", "E-scooters"),
    )
    .unwrap();
    doc.commit();
    let mut renamed = text("fysisk_miljo", "Belysning och ljus", "Lighting");
    let was = &seed::vocabulary().terms["belysning"];
    (renamed.definition_sv, renamed.definition_en) =
        (was.definition_sv.clone(), was.definition_en.clone());
    vocab::change_term(&mut doc, "belysning", &renamed).unwrap();
    doc.commit();
    vocab::deprecate_term(&mut doc, "gomstallen", Some("sikt")).unwrap();
    doc.commit();
    let marks = history::versions(doc.document());
    assert_eq!(
        marks.iter().map(|m| m.version).collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let first = history::at(doc.document(), &marks[0].heads).unwrap();
    assert_eq!(first, seed::vocabulary());
    let last = history::at(doc.document(), &marks[3].heads).unwrap();
    assert_eq!(last, read(&doc));
    let changes = history::diff(&first, &last);
    assert_eq!(
        changes,
        [
            TermChange::Changed {
                code: "belysning".into(),
                field: "label_sv",
                before: "Belysning".into(),
                after: "Belysning och ljus".into()
            },
            TermChange::Added {
                code: "elsparkcyklar".into(),
                label_sv: "Elsparkcyklar".into()
            },
            TermChange::Deprecated {
                code: "gomstallen".into(),
                replaced_by: Some("sikt".into())
            },
        ]
    );
    // From version 3 to 4: the rename alone.
    let v3 = history::at(doc.document(), &marks[1].heads).unwrap();
    let v4 = history::at(doc.document(), &marks[2].heads).unwrap();
    assert_eq!(history::diff(&v3, &v4).len(), 1);
}

fn row(code: &str, label: &str, deprecated: bool, replaced_by: Option<&str>) -> ReadRow {
    ReadRow {
        line: 0,
        code: code.into(),
        row: Ok(TermRow {
            code: code.into(),
            text: text("underhall", label, label),
            deprecated,
            replaced_by: replaced_by.map(str::to_string),
        }),
    }
}

#[test]
fn an_import_takes_its_rows_in_order_as_one_version_and_refuses_what_breaks_a_rule() {
    let mut doc = new_doc();
    let before = read(&doc);
    let rows = [
        // A new term out of use from the start, counted under another.
        row("gamla_moblerna", "Gamla möbler", true, Some("nedskrapning")),
        // A term in use cannot name a replacement.
        row("bankar", "Bänkar", false, Some("klotter")),
        // Rows see the rows before them: a deprecation pointing at a term
        // added above.
        row("mobler", "Möbler", false, None),
        row("klotter", "Klotter", true, Some("mobler")),
        // A deprecated term's replacement is not moved by a file.
        row("skrap", "Skräp", true, Some("klotter")),
        // Would be a second term in use labelled "Möbler".
        row("mobler_2", "Möbler", false, None),
    ];
    let (_, dry) = import::plan(&before, &rows);
    assert_eq!(read(&doc), before, "a plan alone changes nothing");
    let report = import::import(&mut doc, &rows).unwrap();
    assert_eq!(report, dry, "the import does what its dry run said");
    let outcomes: Vec<&RowOutcome> = report.rows.iter().map(|r| &r.outcome).collect();
    assert_eq!(outcomes[0], &RowOutcome::AddedDeprecated);
    assert!(
        matches!(outcomes[1], RowOutcome::Refused { reason } if reason.contains("in use has no replacement"))
    );
    assert_eq!(outcomes[2], &RowOutcome::Added);
    assert_eq!(outcomes[3], &RowOutcome::Deprecated);
    assert!(
        matches!(outcomes[4], RowOutcome::Refused { reason } if reason.contains("counted under nedskrapning already"))
    );
    assert!(
        matches!(outcomes[5], RowOutcome::Refused { reason } if reason.contains("share the label"))
    );
    let v = read(&doc);
    assert_eq!(
        v.version,
        before.version + 1,
        "one version for the whole file"
    );
    assert_eq!(v.current_code("gamla_moblerna"), "nedskrapning");
    assert_eq!(v.current_code("klotter"), "mobler");
    assert_eq!(v.terms["klotter"].deprecated_in, Some(v.version));
    assert!(!v.terms.contains_key("bankar") && !v.terms.contains_key("mobler_2"));
    assert!(v.problems().is_empty(), "{:?}", v.problems());

    // A file that changes nothing makes no version.
    let report = import::import(&mut doc, &[row("mobler", "Möbler", false, None)]).unwrap();
    assert_eq!(
        (report.version_before, report.version),
        (v.version, v.version)
    );
    assert_eq!(read(&doc).version, v.version);
}
