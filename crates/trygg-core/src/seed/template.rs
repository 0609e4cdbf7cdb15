use std::collections::BTreeMap;

use crate::model::{ChecklistTemplate, Item, ItemKind, Section, TemplateVersion};
use crate::time::Timestamp;

pub const DEFAULT_TEMPLATE_ID: &str = "trygghetsvandring-grund";

fn item(id: &str, kind: ItemKind, sv: &str, en: &str, help: &str, required: bool) -> Item {
    Item {
        id: id.into(),
        kind,
        prompt_sv: sv.into(),
        prompt_en: en.into(),
        help_sv: help.into(),
        required,
        vocabulary_group: None,
    }
}

fn choice(id: &str, group: &str, sv: &str, en: &str) -> Item {
    Item {
        vocabulary_group: Some(group.into()),
        ..item(id, ItemKind::Choice, sv, en, "", false)
    }
}

fn section(id: &str, sv: &str, en: &str, items: Vec<Item>) -> Section {
    Section {
        id: id.into(),
        title_sv: sv.into(),
        title_en: en.into(),
        items,
    }
}

/// The default safety-walk checklist, following the Brå/Boverket method: the
/// physical environment, maintenance, the social environment, then an overall view.
/// Version 1 is published.
pub fn default_template(owner_org: &str, published_at: Timestamp) -> ChecklistTemplate {
    use ItemKind::*;
    let sections = vec![
        section(
            "belysning",
            "Belysning",
            "Lighting",
            vec![
                item(
                    "belysning-fungerar",
                    YesNo,
                    "Fungerar all belysning längs sträckan?",
                    "Does all lighting along the route work?",
                    "Räkna trasiga armaturer under nästa fråga.",
                    true,
                ),
                item(
                    "belysning-trasiga",
                    Number,
                    "Antal trasiga eller släckta lampor",
                    "Number of broken or unlit lamps",
                    "",
                    false,
                ),
                item(
                    "belysning-betyg",
                    Rating,
                    "Hur väl upplyst känns platsen? (1 dåligt – 5 bra)",
                    "How well lit does the place feel? (1 poor – 5 good)",
                    "",
                    true,
                ),
            ],
        ),
        section(
            "sikt",
            "Sikt och överblick",
            "Sightlines",
            vec![
                item(
                    "sikt-buskage",
                    YesNo,
                    "Skymmer buskage eller träd sikten?",
                    "Do shrubs or trees block the view?",
                    "",
                    true,
                ),
                item(
                    "sikt-gomstallen",
                    YesNo,
                    "Finns det gömställen längs vägen?",
                    "Are there hiding spots along the way?",
                    "",
                    true,
                ),
                item(
                    "sikt-orientering",
                    Rating,
                    "Hur lätt är det att orientera sig?",
                    "How easy is it to find one's way?",
                    "",
                    false,
                ),
            ],
        ),
        section(
            "underhall",
            "Skötsel och underhåll",
            "Maintenance",
            vec![
                item(
                    "underhall-klotter",
                    YesNo,
                    "Finns klotter?",
                    "Is there graffiti?",
                    "",
                    false,
                ),
                item(
                    "underhall-skrap",
                    YesNo,
                    "Är det nedskräpat?",
                    "Is there litter?",
                    "",
                    false,
                ),
                item(
                    "underhall-skador",
                    YesNo,
                    "Finns skadegörelse eller trasig utrustning?",
                    "Is there vandalism or broken equipment?",
                    "",
                    false,
                ),
                item(
                    "underhall-foto",
                    Photo,
                    "Foto på det som behöver åtgärdas",
                    "Photo of what needs fixing",
                    "Undvik att fotografera människor.",
                    false,
                ),
            ],
        ),
        section(
            "social",
            "Social miljö",
            "Social environment",
            vec![
                item(
                    "social-trygghet",
                    Rating,
                    "Hur trygg känns platsen? (1 otrygg – 5 trygg)",
                    "How safe does the place feel? (1 unsafe – 5 safe)",
                    "",
                    true,
                ),
                choice(
                    "social-paverkan",
                    "social_miljo",
                    "Vad påverkar tryggheten mest här?",
                    "What affects safety most here?",
                ),
                item(
                    "social-folkliv",
                    YesNo,
                    "Finns det människor i rörelse (folkliv)?",
                    "Are there people around?",
                    "",
                    false,
                ),
            ],
        ),
        section(
            "samlat",
            "Samlad bedömning",
            "Overall",
            vec![
                item(
                    "samlat-plats",
                    Location,
                    "Platsen med störst behov av åtgärd",
                    "The place most in need of action",
                    "",
                    false,
                ),
                item(
                    "samlat-ovrigt",
                    Text,
                    "Övriga iakttagelser och förslag",
                    "Other findings and suggestions",
                    "Skriv inte personuppgifter.",
                    false,
                ),
            ],
        ),
    ];
    let mut versions = BTreeMap::new();
    versions.insert(
        "1".to_string(),
        TemplateVersion {
            version: 1,
            published_at: Some(published_at),
            sections,
        },
    );
    ChecklistTemplate {
        template_id: DEFAULT_TEMPLATE_ID.into(),
        title_sv: "Trygghetsvandring – grundmall".into(),
        title_en: "Safety walk – basic template".into(),
        owner_org: owner_org.into(),
        versions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DocumentSchema;
    use crate::seed::vocabulary;

    #[test]
    fn default_template_is_valid_and_uses_the_vocabulary() {
        let t = default_template("org-demo", Timestamp(0));
        t.validate().unwrap();
        let v = vocabulary();
        let latest = t.latest_published().unwrap();
        for item in latest.items() {
            if let Some(g) = &item.vocabulary_group {
                assert!(
                    v.groups.contains_key(g),
                    "{} uses unknown group {g}",
                    item.id
                );
            }
        }
        assert!(latest.items().count() >= 12);
    }

    #[test]
    fn published_versions_are_frozen() {
        let mut t = default_template("org-demo", Timestamp(0));
        let err = t.set_draft(1, Vec::new()).unwrap_err();
        assert!(err.to_string().contains("published"), "{err}");
        t.set_draft(2, Vec::new()).unwrap();
        assert_eq!(t.latest_published().unwrap().version, 1);
        t.publish(2, Timestamp(5)).unwrap();
        assert_eq!(t.latest_published().unwrap().version, 2);
    }
}
