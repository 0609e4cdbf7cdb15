use std::collections::BTreeMap;

use crate::model::{Term, TermGroup, Vocabulary};

const GROUPS: &[(&str, &str, &str)] = &[
    ("fysisk_miljo", "Fysisk miljö", "Physical environment"),
    ("underhall", "Skötsel och underhåll", "Maintenance"),
    (
        "social_miljo",
        "Social miljö och händelser",
        "Social environment and events",
    ),
];

/// (code, group, sv label, en label, sv definition, en definition).
const TERMS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "belysning",
        "fysisk_miljo",
        "Belysning",
        "Lighting",
        "Trasig eller otillräcklig belysning.",
        "Broken or insufficient lighting.",
    ),
    (
        "vegetation",
        "fysisk_miljo",
        "Vegetation och buskage",
        "Vegetation and shrubs",
        "Buskar eller träd som skymmer sikt eller ljus.",
        "Shrubs or trees that block sightlines or light.",
    ),
    (
        "sikt",
        "fysisk_miljo",
        "Sikt och överblick",
        "Sightlines",
        "Platsen går inte att överblicka.",
        "The place cannot be overseen.",
    ),
    (
        "gomstallen",
        "fysisk_miljo",
        "Gömställen",
        "Hiding spots",
        "Platser där någon kan gömma sig.",
        "Places where someone can hide.",
    ),
    (
        "gangvagar",
        "fysisk_miljo",
        "Gångvägar och framkomlighet",
        "Paths and accessibility",
        "Gångvägar som är svåra att ta sig fram på.",
        "Paths that are hard to get along.",
    ),
    (
        "skyltning",
        "fysisk_miljo",
        "Skyltning och orienterbarhet",
        "Wayfinding",
        "Svårt att hitta rätt eller veta var man är.",
        "Hard to find the way or know where one is.",
    ),
    (
        "kollektivtrafik",
        "fysisk_miljo",
        "Kollektivtrafik",
        "Public transport",
        "Miljön vid hållplatser och stationer.",
        "The environment at stops and stations.",
    ),
    (
        "trafik",
        "fysisk_miljo",
        "Trafik",
        "Traffic",
        "Trafiksituationer som upplevs farliga, t.ex. EPA-traktorer.",
        "Traffic felt as dangerous, e.g. EPA tractors.",
    ),
    (
        "klotter",
        "underhall",
        "Klotter",
        "Graffiti",
        "Klotter och tags.",
        "Graffiti and tags.",
    ),
    (
        "nedskrapning",
        "underhall",
        "Nedskräpning",
        "Litter",
        "Skräp och avfall på allmän plats.",
        "Litter and waste in public space.",
    ),
    (
        "skadegorelse",
        "underhall",
        "Skadegörelse",
        "Vandalism",
        "Avsiktligt förstörd egendom.",
        "Property damaged on purpose.",
    ),
    (
        "trasig_utrustning",
        "underhall",
        "Trasig utrustning",
        "Broken fixtures",
        "Trasiga bänkar, lekredskap, staket.",
        "Broken benches, playground equipment, fences.",
    ),
    (
        "brand",
        "underhall",
        "Brand och brandskador",
        "Fires",
        "Bränder, även bilbränder, och spår av dem.",
        "Fires, including car fires, and their traces.",
    ),
    (
        "otrygg_plats",
        "social_miljo",
        "Otrygg plats",
        "Place felt unsafe",
        "En plats som upplevs otrygg.",
        "A place that feels unsafe.",
    ),
    (
        "ordningsstorning",
        "social_miljo",
        "Ordningsstörning",
        "Disorder",
        "Störningar av allmän ordning.",
        "Disturbance of public order.",
    ),
    (
        "hotfull_folksamling",
        "social_miljo",
        "Folksamling som upplevs hotfull",
        "Group perceived as threatening",
        "En samling människor som upplevs hotfull.",
        "A gathering perceived as threatening.",
    ),
    (
        "narkotikahandel",
        "social_miljo",
        "Misstänkt narkotikahandel",
        "Suspected drug dealing",
        "Tecken på försäljning av narkotika.",
        "Signs of drug dealing.",
    ),
    (
        "hot_och_vald",
        "social_miljo",
        "Hot och våld",
        "Threats and violence",
        "Hot eller våld mot person.",
        "Threats or violence against a person.",
    ),
    (
        "incident_mot_personal",
        "social_miljo",
        "Incident mot personal",
        "Incident against staff",
        "Hot, våld eller trakasserier mot personal i tjänst.",
        "Threats, violence or harassment against staff on duty.",
    ),
    (
        "stenkastning",
        "social_miljo",
        "Stenkastning",
        "Stone-throwing",
        "Kastade stenar eller föremål mot fordon, byggnader eller personer.",
        "Stones or objects thrown at vehicles, buildings or people.",
    ),
    (
        "arrangemang",
        "social_miljo",
        "Arrangemang",
        "Planned event",
        "Ett planerat evenemang som påverkar platsen.",
        "A planned event that affects the place.",
    ),
    (
        "trygg_plats",
        "social_miljo",
        "Trygg plats",
        "Place that feels safe",
        "En plats som upplevs trygg: det positiva registreras också.",
        "A place that feels safe: positives are recorded too.",
    ),
];

/// The default common vocabulary, version 2.
///
/// Version 1 had a single term `skrap` for litter; version 2 replaced it by
/// `nedskrapning`. It stays, deprecated, so data recorded with it still maps.
pub fn vocabulary() -> Vocabulary {
    let groups = GROUPS
        .iter()
        .enumerate()
        .map(|(i, &(code, sv, en))| {
            let g = TermGroup {
                code: code.into(),
                label_sv: sv.into(),
                label_en: en.into(),
                order: i as u32,
            };
            (code.to_string(), g)
        })
        .collect();
    let mut terms: BTreeMap<String, Term> = TERMS
        .iter()
        .map(|&(code, group, lsv, len, dsv, den)| {
            let t = Term {
                code: code.into(),
                group: group.into(),
                label_sv: lsv.into(),
                label_en: len.into(),
                definition_sv: dsv.into(),
                definition_en: den.into(),
                since_version: 1,
                deprecated: false,
                deprecated_in: None,
                replaced_by: None,
            };
            (code.to_string(), t)
        })
        .collect();
    terms.insert(
        "skrap".into(),
        Term {
            code: "skrap".into(),
            group: "underhall".into(),
            label_sv: "Skräp".into(),
            label_en: "Rubbish".into(),
            definition_sv: "Ersatt av Nedskräpning.".into(),
            definition_en: "Replaced by Litter.".into(),
            since_version: 1,
            deprecated: true,
            deprecated_in: Some(2),
            replaced_by: Some("nedskrapning".into()),
        },
    );
    Vocabulary {
        version: 2,
        groups,
        terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DocumentSchema;

    #[test]
    fn default_vocabulary_is_valid_and_maps_old_codes() {
        let v = vocabulary();
        v.validate().unwrap();
        assert_eq!(v.current_code("skrap"), "nedskrapning");
        assert_eq!(v.current_code("belysning"), "belysning");
        assert_eq!(v.current_code("okand"), "okand");
        assert!(v.active_terms().iter().all(|t| !t.deprecated));
        assert_eq!(v.active_terms().len(), TERMS.len());
        let hits: Vec<_> = v.search("light").iter().map(|t| t.code.clone()).collect();
        assert_eq!(hits, vec!["belysning".to_string()]);
    }

    #[test]
    fn a_replacement_cycle_reads_counts_under_one_code_and_is_named_to_fix() {
        let mut v = vocabulary();
        for (a, b) in [("klotter", "brand"), ("brand", "klotter")] {
            let t = v.terms.get_mut(a).unwrap();
            t.deprecated = true;
            t.replaced_by = Some(b.into());
        }
        // Only a merge makes one: it still reads, both codes count under
        // the first in code order, and the problem is named.
        v.validate().unwrap();
        assert_eq!(v.current_code("klotter"), "brand");
        assert_eq!(v.current_code("brand"), "brand");
        assert_eq!(
            v.problems(),
            [crate::model::VocabularyProblem::ReplacementCycle {
                codes: vec!["brand".into(), "klotter".into()]
            }]
        );
    }
}
