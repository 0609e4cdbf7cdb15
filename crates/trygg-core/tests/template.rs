//! A coordinator's template edits: a new version is a draft until it is
//! published, and a published version never changes; two coordinators'
//! concurrent drafts merge into a template that still reads.

use automerge::AutoCommit;
use trygg_core::edit::template;
use trygg_core::model::{ChecklistTemplate, Item, ItemKind, Section};
use trygg_core::{DocError, Timestamp, document, seed};

fn new_doc() -> AutoCommit {
    let t = seed::default_template("district", Timestamp::from_millis(1_000));
    let mut doc = document::create(&t).unwrap();
    doc.commit();
    doc
}

fn read(doc: &AutoCommit) -> ChecklistTemplate {
    document::read(doc).unwrap()
}

/// Version 1's sections with one question reworded.
fn reworded(prompt: &str) -> Vec<Section> {
    let t = seed::default_template("district", Timestamp::from_millis(1_000));
    let mut sections = t.version(1).unwrap().sections.clone();
    sections[0].items[0].prompt_sv = prompt.into();
    sections
}

#[test]
fn a_published_version_never_changes_and_a_change_is_a_new_version() {
    let mut doc = new_doc();
    let v1 = read(&doc).version(1).unwrap().clone();
    assert!(v1.published_at.is_some());
    // The published version refuses any change, and nothing is written.
    let heads = doc.get_heads();
    let refused = template::replace_draft(&mut doc, 1, reworded("Ändrad?")).unwrap_err();
    assert!(
        matches!(refused, DocError::Forbidden(ref m) if m.contains("published")),
        "{refused}"
    );
    assert_eq!(doc.get_heads(), heads);

    let v = template::add_draft(&mut doc, reworded("Fungerar belysningen?")).unwrap();
    assert_eq!(v, 2);
    template::replace_draft(&mut doc, 2, reworded("Fungerar all belysning?")).unwrap();
    let t = read(&doc);
    assert_eq!(t.version(1), Some(&v1), "version 1 is as it was");
    assert_eq!(
        t.latest_published().unwrap().version,
        1,
        "a draft is not offered"
    );
    assert_eq!(
        t.version(2).unwrap().sections[0].items[0].prompt_sv,
        "Fungerar all belysning?"
    );

    template::publish(&mut doc, 2, Timestamp::from_millis(2_000)).unwrap();
    let t = read(&doc);
    assert_eq!(t.latest_published().unwrap().version, 2);
    assert_eq!(
        t.version(2).unwrap().published_at,
        Some(Timestamp::from_millis(2_000))
    );
    assert!(template::publish(&mut doc, 2, Timestamp::from_millis(3_000)).is_err());
    assert!(template::replace_draft(&mut doc, 2, reworded("Igen?")).is_err());
    assert!(matches!(
        template::publish(&mut doc, 9, Timestamp::from_millis(3_000)),
        Err(DocError::NotFound { .. })
    ));
}

#[test]
fn a_draft_that_breaks_the_template_s_rules_or_is_empty_is_refused() {
    let mut doc = new_doc();
    let mut twice = reworded("X");
    let first = twice[0].items[0].clone();
    twice[1].items.push(first);
    let e = template::add_draft(&mut doc, twice).unwrap_err();
    assert!(e.to_string().contains("item id is used twice"), "{e}");
    let mut choice_without_group = reworded("X");
    choice_without_group[0].items[0].kind = ItemKind::Choice;
    assert!(template::add_draft(&mut doc, choice_without_group).is_err());
    assert_eq!(read(&doc).versions.len(), 1);
    // An empty draft may be kept, but not published.
    let v = template::add_draft(&mut doc, Vec::new()).unwrap();
    let e = template::publish(&mut doc, v, Timestamp::from_millis(5)).unwrap_err();
    assert!(e.to_string().contains("no questions"), "{e}");
}

#[test]
fn choice_questions_must_name_a_group_the_vocabulary_answers() {
    let doc = new_doc();
    let vocabulary = seed::vocabulary();
    let sections = read(&doc).version(1).unwrap().sections.clone();
    assert!(template::check_groups(&sections, &vocabulary).is_empty());
    let mut strange = sections.clone();
    let choice = strange
        .iter_mut()
        .flat_map(|s| s.items.iter_mut())
        .find(|i| i.kind == ItemKind::Choice)
        .unwrap();
    choice.vocabulary_group = Some("vader".into());
    let e = template::check_groups(&strange, &vocabulary);
    assert!(e.to_string().contains("no group \"vader\""), "{e}");
}

#[test]
fn two_coordinators_drafts_made_at_once_merge_into_a_template_that_reads() {
    let mut a = new_doc();
    let mut b = a.fork();
    assert_eq!(template::add_draft(&mut a, reworded("A?")).unwrap(), 2);
    assert_eq!(template::add_draft(&mut b, reworded("B?")).unwrap(), 2);
    a.merge(&mut b).unwrap();
    let t = read(&a);
    let prompt = &t.version(2).unwrap().sections[0].items[0].prompt_sv;
    assert!(prompt == "A?" || prompt == "B?", "{prompt}");
    // And the next draft goes above both.
    assert_eq!(template::add_draft(&mut a, reworded("C?")).unwrap(), 3);
}

fn question(id: &str, kind: ItemKind, prompt: &str, group: Option<&str>) -> Item {
    Item {
        id: id.into(),
        kind,
        prompt_sv: prompt.into(),
        prompt_en: String::new(),
        help_sv: String::new(),
        required: false,
        vocabulary_group: group.map(Into::into),
    }
}

#[test]
fn an_edited_form_gets_fresh_ids_and_every_problem_is_named_at_its_place() {
    let doc = new_doc();
    let t = read(&doc);
    let highest_q = t
        .version(1)
        .unwrap()
        .items()
        .filter_map(|i| i.id.strip_prefix('q')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    // Version 1 kept, one section added with two new questions (no ids).
    let mut form = t.version(1).unwrap().sections.clone();
    form.push(Section {
        id: String::new(),
        title_sv: "  Nytt avsnitt ".into(),
        title_en: String::new(),
        items: vec![
            question("", ItemKind::Rating, " Hur trygg känns platsen? ", None),
            question("", ItemKind::Choice, "Vad syns?", Some("brister")),
        ],
    });
    let sections = template::edited_sections(&t, form).unwrap();
    let new = sections.last().unwrap();
    assert_eq!(new.title_sv, "Nytt avsnitt", "trimmed");
    assert!(new.id.starts_with('s') && !new.id.is_empty());
    assert_eq!(new.items[0].id, format!("q{}", highest_q + 1));
    assert_eq!(new.items[1].id, format!("q{}", highest_q + 2));
    assert_eq!(new.items[0].prompt_sv, "Hur trygg känns platsen?");
    // It saves as version 2 and saving again replaces that draft.
    let mut doc = doc;
    assert_eq!(template::save_draft(&mut doc, sections.clone()).unwrap(), 2);
    assert_eq!(template::save_draft(&mut doc, sections.clone()).unwrap(), 2);
    template::publish(&mut doc, 2, Timestamp::from_millis(2_000)).unwrap();
    assert_eq!(
        template::save_draft(&mut doc, sections).unwrap(),
        3,
        "a published version is never the draft"
    );

    // Every kind of problem, each under its place in the form.
    let first = t.version(1).unwrap().items().next().unwrap().clone();
    let mut other_kind = first.clone();
    other_kind.kind = if first.kind == ItemKind::Text {
        ItemKind::Number
    } else {
        ItemKind::Text
    };
    let bad = vec![
        Section {
            id: "a b".into(),
            title_sv: " ".into(),
            title_en: "x".repeat(301),
            items: vec![
                other_kind,
                question("dup", ItemKind::Choice, "Val", None),
                question("dup", ItemKind::Number, "", Some("brister")),
                question("", ItemKind::Text, "Hjälp", None),
            ],
        },
        Section {
            id: "s-2".into(),
            title_sv: "Tomt".into(),
            title_en: String::new(),
            items: vec![],
        },
    ];
    let mut bad = bad;
    bad[0].items[3].help_sv = "x".repeat(1_001);
    let e = template::edited_sections(&t, bad).unwrap_err();
    let paths: Vec<&str> = e.0.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "sections.0.id",
        "sections.0.title_sv",
        "sections.0.title_en",
        "sections.0.items.0.kind",
        "sections.0.items.1.vocabulary_group",
        "sections.0.items.2.id",
        "sections.0.items.2.prompt_sv",
        "sections.0.items.2.vocabulary_group",
        "sections.0.items.3.help_sv",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
    assert_eq!(paths.len(), 9, "{e}");
    let e = template::edited_sections(&t, Vec::new()).unwrap_err();
    assert!(e.to_string().contains("at least one question"), "{e}");
}

#[test]
fn a_new_template_has_a_plain_id_and_a_title_and_no_version() {
    let t = template::new_template(" kvall-2027 ", " Kvällsvandring ", "", "district").unwrap();
    assert_eq!(t.template_id, "kvall-2027");
    assert_eq!(t.title_sv, "Kvällsvandring");
    assert!(t.versions.is_empty());
    let doc = document::create(&t).unwrap();
    assert_eq!(read(&doc), t, "it is a template document that reads");
    for (id, title, path) in [
        ("", "T", "template_id"),
        ("Kväll", "T", "template_id"),
        ("a b", "T", "template_id"),
        (&"a".repeat(41)[..], "T", "template_id"),
        ("ok", " ", "title_sv"),
    ] {
        let e = template::new_template(id, title, "", "district").unwrap_err();
        assert_eq!(e.0[0].path, path, "{id:?} {title:?}: {e}");
    }
}

mod contacts {
    use trygg_core::edit::directory::set_contact;
    use trygg_core::model::{Contact, Directory};
    use trygg_core::{DocError, document, seed};

    fn contact(name: &str, phone: &str, email: &str) -> Contact {
        Contact {
            name: name.into(),
            phone: phone.into(),
            email: email.into(),
        }
    }

    #[test]
    fn an_organisation_without_devices_gets_a_contact_and_bad_input_changes_nothing() {
        let mut directory = seed::directory();
        for o in seed::demo::organisations() {
            directory.organisations.insert(o.id.clone(), o);
        }
        let mut doc = document::create(&directory).unwrap();
        doc.commit();
        let c = contact(
            " Fastighetsjouren ",
            "08-465 004 18",
            "jour@fastighet.example",
        );
        set_contact(&mut doc, "demo-bostad", Some(&c)).unwrap();
        let read: Directory = document::read(&doc).unwrap();
        let got = read.organisations["demo-bostad"].contact.clone().unwrap();
        assert_eq!(got.name, "Fastighetsjouren");
        assert_eq!(
            got.line(),
            "Fastighetsjouren, 08-465 004 18, jour@fastighet.example"
        );
        let heads = doc.get_heads();
        for bad in [
            contact("", "", ""),
            contact("X", "ring mig", ""),
            contact("X", "", "ingen-adress"),
            contact(&"x".repeat(121), "", ""),
        ] {
            let e = set_contact(&mut doc, "demo-bostad", Some(&bad)).unwrap_err();
            assert!(matches!(e, DocError::Invalid { .. }), "{e}");
        }
        assert!(matches!(
            set_contact(&mut doc, "okand", Some(&c)),
            Err(DocError::NotFound { .. })
        ));
        assert_eq!(doc.get_heads(), heads, "refusals write nothing");
        set_contact(&mut doc, "demo-bostad", None).unwrap();
        let read: Directory = document::read(&doc).unwrap();
        assert!(read.organisations["demo-bostad"].contact.is_none());
        // The demo property owner has one from the start.
        assert!(read.organisations["demo-fastighet"].contact.is_some());
        // A directory written before contacts were kept reads, without one.
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let (_, orgs) = doc.get(automerge::ROOT, "organisations").unwrap().unwrap();
        let (_, police) = doc.get(&orgs, "demo-polis").unwrap().unwrap();
        doc.delete(&police, "contact").unwrap();
        let read: Directory = document::read(&doc).unwrap();
        assert!(read.organisations["demo-polis"].contact.is_none());
    }
}
