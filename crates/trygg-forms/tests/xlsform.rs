//! XLSForm import and export on the sample forms the project ships
//! (docs/examples/xlsform, read as files through calamine): a form Trygg
//! takes whole, a form with rows it cannot take (each named in the report),
//! the round trip through a written workbook, and files refused whole.

use std::path::PathBuf;

use trygg_core::DocumentSchema;
use trygg_core::model::{ChecklistTemplate, Item, ItemKind, TemplateVersion};
use trygg_core::seed;
use trygg_forms::FileError;
use trygg_forms::xlsform::{self, Book, Form, Outcome, Sheet};

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/xlsform")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn item<'a>(form: &'a Form, id: &str) -> &'a Item {
    form.sections
        .iter()
        .flat_map(|s| &s.items)
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

fn outcome<'a>(form: &'a Form, sheet: &str, line: u32) -> &'a Outcome {
    &form
        .report
        .iter()
        .find(|r| r.sheet == sheet && r.line == line)
        .unwrap_or_else(|| panic!("no report for {sheet} line {line}: {:#?}", form.report))
        .outcome
}

fn reason(form: &Form, sheet: &str, line: u32) -> String {
    match outcome(form, sheet, line) {
        Outcome::NotTaken { reason } => reason.clone(),
        other => panic!("{sheet} line {line} was taken: {other:?}"),
    }
}

/// The form as a template version that must pass the template's rules.
fn as_template(form: &Form) -> ChecklistTemplate {
    let mut t = seed::default_template("org", trygg_core::Timestamp::from_millis(0));
    t.template_id = form.form_id.clone().unwrap();
    t.versions.clear();
    t.set_draft(1, form.sections.clone()).unwrap();
    t.validate().unwrap();
    t
}

#[test]
fn the_park_form_is_taken_whole() {
    let form = xlsform::read(&sample("trygghetsvandring-park.xlsx"), &seed::vocabulary()).unwrap();
    assert_eq!(form.not_taken(), 0, "{:#?}", form.report);
    assert_eq!(form.form_id.as_deref(), Some("trygghetsvandring-park"));
    assert_eq!(form.title_sv, "Trygghetsvandring i park");
    assert_eq!(form.title_en, "Safety walk in a park");
    assert_eq!(form.version.as_deref(), Some("3"));
    let ids: Vec<_> = form.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["entre", "lekplats", "fragor"]);
    assert_eq!(form.sections[0].title_en, "Entrances and paths");

    let lit = item(&form, "entre_upplyst");
    assert_eq!((lit.kind, lit.required), (ItemKind::YesNo, true));
    assert_eq!(
        lit.help_sv, "Gå in i parken från varje entré.",
        "the note before it"
    );
    assert_eq!(lit.prompt_en, "Are the entrances lit?");
    assert_eq!(item(&form, "entre_trasiga").kind, ItemKind::Number);
    let rating = item(&form, "entre_overblick");
    assert_eq!(
        (rating.kind, rating.help_sv.as_str()),
        (ItemKind::Rating, "1 dålig, 5 bra")
    );
    let physical = item(&form, "lekplats_brist");
    assert_eq!(physical.kind, ItemKind::Choice);
    assert_eq!(physical.vocabulary_group.as_deref(), Some("fysisk_miljo"));
    // A list named otherwise, whose choices are terms of one group.
    let upkeep = item(&form, "lekplats_skotsel");
    assert_eq!(upkeep.vocabulary_group.as_deref(), Some("underhall"));
    assert!(
        matches!(outcome(&form, "survey", 10), Outcome::TakenWithNote { note, .. } if note.contains("underhall"))
    );
    assert_eq!(item(&form, "lekplats_foto").kind, ItemKind::Photo);
    assert_eq!(item(&form, "lekplats_plats").kind, ItemKind::Location);
    assert_eq!(item(&form, "lekplats_avstand").kind, ItemKind::Number);
    assert_eq!(item(&form, "ovrigt").kind, ItemKind::Text);
    assert!(
        matches!(outcome(&form, "survey", 3), Outcome::Taken { what } if what == "help text of entre_upplyst")
    );
    as_template(&form);
}

#[test]
fn the_kobo_form_s_rows_that_cannot_be_taken_are_each_named() {
    let form = xlsform::read(&sample("est-fran-kobo.xlsx"), &seed::vocabulary()).unwrap();
    // Metadata.
    assert!(reason(&form, "survey", 2).starts_with("metadata"));
    assert!(reason(&form, "survey", 3).starts_with("metadata"));
    // A select_multiple: each choice asked yes/no, where the row stands.
    assert!(
        matches!(outcome(&form, "survey", 7), Outcome::TakenWithNote { what, note }
            if what == "2 yes/no questions (tider_dag, tider_kvall)" && note.contains("asked yes/no")),
        "{:?}",
        outcome(&form, "survey", 7)
    );
    let day = item(&form, "tider_dag");
    assert_eq!(
        (day.kind, day.prompt_sv.as_str(), day.prompt_en.as_str()),
        (
            ItemKind::YesNo,
            "När på dygnet? – Dag",
            "What time of day? – Day"
        )
    );
    assert!(reason(&form, "survey", 8).contains("type \"date\""));
    assert!(reason(&form, "survey", 9).contains("inside the group \"plats\""));
    // Taken, with what was left out said.
    let Outcome::TakenWithNote { note, .. } = outcome(&form, "survey", 10) else {
        panic!("the integer is taken with notes");
    };
    assert!(
        note.contains("is an expression") && note.contains("relevant"),
        "{note}"
    );
    assert!(!item(&form, "antal").required);
    assert!(reason(&form, "survey", 12).contains("\"lokal_lista\" is not a vocabulary group"));
    assert!(reason(&form, "survey", 13).contains("on line 5 already"));
    assert!(reason(&form, "survey", 14).contains("calculate"));
    assert!(reason(&form, "survey", 16).contains("no group open"));
    assert!(reason(&form, "survey", 18).contains("no question after it"));
    // The choices: a stranger to its group, an unused list, an unbound one.
    assert!(reason(&form, "choices", 4).contains("not a term"));
    assert!(matches!(
        outcome(&form, "choices", 2),
        Outcome::Taken { .. }
    ));
    assert!(
        matches!(outcome(&form, "choices", 5), Outcome::Taken { what } if what == "the yes/no question tider_dag")
    );
    assert!(reason(&form, "choices", 7).contains("not a vocabulary group"));
    assert_eq!(form.not_taken(), 12, "{:#?}", form.report);

    // What was taken: the nested group's question went into the outer one;
    // the question after the groups into a section of its own.
    let ids: Vec<Vec<&str>> = form
        .sections
        .iter()
        .map(|s| s.items.iter().map(|i| i.id.as_str()).collect())
        .collect();
    assert_eq!(
        ids,
        [
            vec!["position", "handelse", "tider_dag", "tider_kvall", "antal"],
            vec!["beskrivning"]
        ]
    );
    assert_eq!(form.sections[0].title_sv, "Platsen");
    assert_eq!(
        item(&form, "handelse").vocabulary_group.as_deref(),
        Some("social_miljo")
    );
    as_template(&form);
}

#[test]
fn a_written_form_reads_back_as_the_same_checklist() {
    let vocabulary = seed::vocabulary();
    let template = seed::default_template("org", trygg_core::Timestamp::from_millis(0));
    let version = template.latest_published().unwrap();
    let bytes = xlsform::write(&template, version, &vocabulary).unwrap();
    let form = xlsform::read(&bytes, &vocabulary).unwrap();
    assert_eq!(form.not_taken(), 0, "{:#?}", form.report);
    assert_eq!(form.sections, version.sections);
    assert_eq!(form.form_id.as_deref(), Some(template.template_id.as_str()));
    assert_eq!(form.title_en, template.title_en);
    assert_eq!(form.version, Some(version.version.to_string()));

    // A form that came from elsewhere, written and read again.
    let park = xlsform::read(&sample("trygghetsvandring-park.xlsx"), &vocabulary).unwrap();
    let t = as_template(&park);
    let draft = TemplateVersion {
        version: 1,
        published_at: None,
        sections: park.sections.clone(),
    };
    let again = xlsform::read(
        &xlsform::write(&t, &draft, &vocabulary).unwrap(),
        &vocabulary,
    )
    .unwrap();
    assert_eq!(again.sections, park.sections);
    assert_eq!(again.not_taken(), 0, "{:#?}", again.report);
}

#[test]
fn files_that_are_no_xlsform_are_refused_whole() {
    let v = seed::vocabulary();
    let Err(FileError::Unreadable(why)) = xlsform::read(b"type,name\nnote,x\n", &v) else {
        panic!("CSV is not a workbook");
    };
    assert!(why.contains(".xlsx"), "{why}");
    // A workbook without a survey sheet.
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("Blad1").unwrap();
    let Err(FileError::Columns(why)) = xlsform::read(&book.save_to_buffer().unwrap(), &v) else {
        panic!("no survey sheet");
    };
    assert!(
        why.contains("no sheet named survey") && why.contains("Blad1"),
        "{why}"
    );
    // A survey sheet without the columns (checked on the sheets alone).
    let book = Book {
        survey: Sheet::from_rows(&[&["typ", "namn"], &["text", "a"]]),
        ..Book::default()
    };
    let Err(FileError::Columns(why)) = xlsform::map(&book, &v) else {
        panic!("no type column");
    };
    assert!(why.contains("no type column"), "{why}");
}

#[test]
fn odk_language_columns_and_plain_labels_are_read() {
    let book = Book {
        survey: Sheet::from_rows(&[
            &["type", "name", "label", "label::English (en)", "hint"],
            &["text", "fraga", "Fråga", "Question", "Hjälp"],
        ]),
        ..Book::default()
    };
    let form = xlsform::map(&book, &seed::vocabulary()).unwrap();
    let i = item(&form, "fraga");
    assert_eq!(
        (
            i.prompt_sv.as_str(),
            i.prompt_en.as_str(),
            i.help_sv.as_str()
        ),
        ("Fråga", "Question", "Hjälp")
    );
    assert_eq!(form.sections[0].id, "fragor");
}

#[test]
fn a_select_multiple_asks_each_choice_and_says_what_it_could_not() {
    let book = Book {
        survey: Sheet::from_rows(&[
            &["type", "name", "label::sv", "label::en", "hint", "required"],
            &["note", "om", "Titta runt på torget.", "", "", ""],
            &[
                "select_multiple finns",
                "finns",
                "Vad finns",
                "What is there",
                "Kryssa",
                "yes",
            ],
            &["select_multiple saknas", "saknas", "Vad saknas", "", "", ""],
            &["select_multiple", "ingen_lista", "Ingen lista", "", "", ""],
            &[
                "text",
                "finns_lampor",
                "Namnet är taget av ett val",
                "",
                "",
                "",
            ],
        ]),
        choices: Sheet::from_rows(&[
            &["list_name", "name", "label::sv", "label::en"],
            &["finns", "lampor", "Lampor", "Lights"],
            &["finns", "bankar", "", ""],
            &["finns", "två", "Två", ""],
            &["oanvand", "x", "X", ""],
        ]),
        ..Book::default()
    };
    let form = xlsform::map(&book, &seed::vocabulary()).unwrap();
    let lights = item(&form, "finns_lampor");
    assert_eq!(
        (
            lights.kind,
            lights.prompt_sv.as_str(),
            lights.prompt_en.as_str(),
            lights.help_sv.as_str(),
            lights.required
        ),
        (
            ItemKind::YesNo,
            "Vad finns – Lampor",
            "What is there – Lights",
            "Titta runt på torget.\nKryssa",
            true
        )
    );
    // No label: the choice's name; no English label: no English wording;
    // the hint only once.
    let benches = item(&form, "finns_bankar");
    assert_eq!(
        (
            benches.prompt_sv.as_str(),
            benches.prompt_en.as_str(),
            benches.help_sv.as_str()
        ),
        ("Vad finns – bankar", "", "")
    );
    let Outcome::TakenWithNote { what, note } = outcome(&form, "survey", 3) else {
        panic!("{:?}", outcome(&form, "survey", 3));
    };
    assert_eq!(what, "2 yes/no questions (finns_lampor, finns_bankar)");
    assert!(
        note.contains("each choice's question must be answered")
            && note.contains("not asked: två: name \"finns_två\""),
        "{note}"
    );
    assert!(
        matches!(outcome(&form, "survey", 2), Outcome::Taken { what } if what == "help text of finns_lampor")
    );
    assert!(reason(&form, "survey", 4).contains("no list \"saknas\" on the choices sheet"));
    assert!(reason(&form, "survey", 5).contains("names no choice list"));
    // A generated question's name is taken: a later row cannot have it.
    assert!(reason(&form, "survey", 6).contains("on line 3 already"));
    // Each choice says what it became.
    assert!(
        matches!(outcome(&form, "choices", 2), Outcome::Taken { what } if what == "the yes/no question finns_lampor")
    );
    assert!(reason(&form, "choices", 4).contains("name \"finns_två\""));
    assert!(reason(&form, "choices", 5).contains("named by no select_one or select_multiple"));
    as_template(&Form {
        form_id: Some("torg".into()),
        ..form
    });
}
