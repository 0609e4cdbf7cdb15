//! Invented demo data. Every organisation, device and note here is made up;
//! names carry "(demo)" so nobody mistakes them for real records.

use std::collections::BTreeMap;

use autosurgeon::Text;

use crate::model::{
    Action, ActionStatus, Answer, AnswerText, AnswerValue, Area, Contact, GeoPoint, ItemKind,
    Light, Location, Observation, ObservationRef, OrgKind, Organisation, Report, Sensitivity,
    Severity, TemplateRef, TemplateVersion, Vocabulary, Walk, WalkStatus, YesNoNa,
};
use crate::seed;
use crate::time::Timestamp;

/// A small deterministic generator (xorshift64*), so demo data is the same every run.
#[derive(Debug, Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The demo organisations (all invented).
pub fn organisations() -> Vec<Organisation> {
    [
        (
            "demo-sdf-norr",
            "Stadsdelsförvaltning Norr (demo)",
            OrgKind::District,
        ),
        (
            "demo-polis",
            "Lokalpolisområde Exempel (demo)",
            OrgKind::Police,
        ),
        (
            "demo-bostad",
            "Bostadsbolaget Exempelhem (demo)",
            OrgKind::Housing,
        ),
        (
            "demo-raddning",
            "Räddningstjänst Exempel (demo)",
            OrgKind::Rescue,
        ),
        (
            "demo-fastighet",
            "Fastighets AB Påhittad (demo)",
            OrgKind::PropertyOwner,
        ),
        (
            "demo-forening",
            "Föreningen Tryggt Torg (demo)",
            OrgKind::Association,
        ),
    ]
    .into_iter()
    .map(|(id, name, kind)| Organisation {
        id: id.into(),
        name: name.into(),
        kind,
        // The property owner has no devices: the protocol names its
        // contact. A number from the range set aside for fiction, an
        // address under the reserved .example domain.
        contact: (kind == OrgKind::PropertyOwner).then(|| Contact {
            name: "Förvaltare (demo)".into(),
            phone: "08-465 004 17".into(),
            email: "forvaltning@fastighet.example".into(),
        }),
    })
    .collect()
}

const NOTES: &[&str] = &[
    "Två armaturer släckta vid gångtunneln.",
    "Buskaget skymmer sikten mot busshållplatsen.",
    "Nytt klotter på el-skåpet.",
    "Mycket skräp kring papperskorgarna.",
    "Platsen kändes trygg, mycket folk i rörelse.",
    "Trasig bänk vid lekplatsen.",
    "Spår av brand i soptunna.",
    "Mörk passage utan alternativ väg.",
];

const ROUTES: &[&str] = &[
    "Centrum – stationen",
    "Skolvägen runt parken",
    "Gångtunneln och torget",
    "Bostadsgårdarna norr",
    "Idrottsplatsen – busshållplatsen",
];

/// One invented observation near `centre`.
pub fn observation(
    rng: &mut DemoRng,
    vocabulary: &Vocabulary,
    centre: GeoPoint,
    org: &str,
    device: &str,
    at: Timestamp,
    sensitivity: Sensitivity,
) -> Observation {
    let terms = vocabulary.active_terms();
    let term = rng.pick(&terms);
    Observation {
        id: crate::new_entity_id(),
        category: term.code.clone(),
        vocabulary_version: vocabulary.version,
        severity: Severity::new(1 + rng.below(4) as u8).unwrap_or(Severity::LOW),
        note: Text::with_value(*rng.pick(NOTES)),
        location: Some(Location {
            point: Some(GeoPoint {
                lat: centre.lat + (rng.unit() - 0.5) * 0.01,
                lon: centre.lon + (rng.unit() - 0.5) * 0.02,
                accuracy_m: Some(5.0 + rng.unit() * 20.0),
            }),
            place_id: None,
        }),
        observed_at: at,
        recorded_by: device.into(),
        organisation: org.into(),
        photos: Vec::new(),
        sensitivity,
        item_id: None,
    }
}

/// An invented answer for a template item.
fn answer(rng: &mut DemoRng, kind: ItemKind, device: &str, at: Timestamp) -> Option<Answer> {
    let value = match kind {
        ItemKind::YesNo => AnswerValue::YesNo(*rng.pick(YesNoNa::ALL)),
        ItemKind::Rating => AnswerValue::Rating(1 + rng.below(5) as u8),
        ItemKind::Number => AnswerValue::Number(rng.below(6) as f64),
        ItemKind::Text => AnswerValue::Text(AnswerText::new("Påhittad kommentar för demo.")),
        ItemKind::Choice => AnswerValue::Choice("otrygg_plats".into()),
        ItemKind::Photo | ItemKind::Location => return None,
    };
    Some(Answer {
        value,
        answered_by: device.into(),
        answered_at: at,
    })
}

/// Parameters for one invented walk.
#[derive(Debug, Clone)]
pub struct WalkSpec<'a> {
    pub template_doc_id: &'a str,
    pub template: &'a TemplateVersion,
    pub vocabulary: &'a Vocabulary,
    pub observations: usize,
    pub at: Timestamp,
}

/// An invented walk in a random district, with answers and `spec.observations` observations.
pub fn walk(rng: &mut DemoRng, spec: &WalkSpec<'_>) -> Walk {
    let areas = seed::areas();
    let area_codes: Vec<&String> = areas.keys().collect();
    let area = &areas[*rng.pick(&area_codes)];
    let status = *rng.pick(&[
        WalkStatus::Planned,
        WalkStatus::InProgress,
        WalkStatus::Completed,
        WalkStatus::Completed,
        WalkStatus::Reported,
    ]);
    walk_in(rng, spec, area, status)
}

/// An invented exercise (*övning*): a completed walk in `area` on the
/// spec's template, marked as an exercise, as when a city runs one
/// exercise in several districts.
pub fn exercise(rng: &mut DemoRng, spec: &WalkSpec<'_>, area: &Area) -> Walk {
    let mut walk = walk_in(rng, spec, area, WalkStatus::Completed);
    walk.route_name = format!("Övning: {}", walk.route_name);
    walk.exercise = true;
    walk
}

fn walk_in(rng: &mut DemoRng, spec: &WalkSpec<'_>, area: &Area, status: WalkStatus) -> Walk {
    let centre = area.centre.unwrap_or(GeoPoint::new(59.33, 18.06));
    let orgs = organisations();
    let owner = &orgs[0];
    let device = "demo-device-1";
    let mut organisations = BTreeMap::new();
    organisations.insert(owner.id.clone(), spec.at);
    for o in orgs.iter().skip(1).take(1 + rng.below(3)) {
        organisations.insert(o.id.clone(), spec.at);
    }
    let started = (status != WalkStatus::Planned).then_some(spec.at);
    let ended = matches!(status, WalkStatus::Completed | WalkStatus::Reported)
        .then_some(Timestamp(spec.at.0 + 90 * 60_000));
    let mut answers = BTreeMap::new();
    let mut observations = BTreeMap::new();
    if status != WalkStatus::Planned {
        for item in spec.template.items() {
            if let Some(a) = answer(rng, item.kind, device, spec.at) {
                answers.insert(item.id.clone(), a);
            }
        }
        for i in 0..spec.observations {
            let at = Timestamp(spec.at.0 + i as i64 * 60_000);
            let o = observation(
                rng,
                spec.vocabulary,
                centre,
                &owner.id,
                device,
                at,
                Sensitivity::Shared,
            );
            observations.insert(o.id.clone(), o);
        }
    }
    Walk {
        template: TemplateRef {
            doc_id: spec.template_doc_id.into(),
            template_id: seed::DEFAULT_TEMPLATE_ID.into(),
            version: spec.template.version,
        },
        area: area.code.clone(),
        route_name: (*rng.pick(ROUTES)).into(),
        light: *rng.pick(Light::ALL),
        status,
        planned_at: Some(spec.at),
        started_at: started,
        ended_at: ended,
        owner_org: owner.id.clone(),
        organisations,
        created_by: device.into(),
        created_at: spec.at,
        answers,
        observations,
        notes: Text::with_value("Demovandring med påhittade uppgifter."),
        exercise: false,
        groups: BTreeMap::new(),
        follows: None,
    }
}

/// An invented weekly EST report of one organisation.
pub fn report(
    rng: &mut DemoRng,
    vocabulary: &Vocabulary,
    org: &str,
    sensitivity: Sensitivity,
    observations: usize,
    at: Timestamp,
) -> Report {
    let areas = seed::areas();
    let area_codes: Vec<&String> = areas.keys().collect();
    let area = &areas[*rng.pick(&area_codes)];
    let centre = area.centre.unwrap_or(GeoPoint::new(59.33, 18.06));
    let observations = (0..observations)
        .map(|_| {
            let o = observation(
                rng,
                vocabulary,
                centre,
                org,
                "demo-device-2",
                at,
                sensitivity,
            );
            (o.id.clone(), o)
        })
        .collect();
    Report {
        organisation: org.into(),
        area: area.code.clone(),
        sensitivity,
        walk: None,
        period: Some("2026-W48".into()),
        created_at: at,
        observations,
        exercise: false,
    }
}

/// An invented week of everyday observations (EST) by `org` in `area`, the
/// week starting at `week_start`: `observations` at random times of the
/// week, half of them at one of the area's named places (so places recur as
/// hot-spots), the rest at a random point near the area's centre.
pub fn week_report(
    rng: &mut DemoRng,
    vocabulary: &Vocabulary,
    org: &str,
    sensitivity: Sensitivity,
    area: &crate::model::Area,
    week_start: Timestamp,
    observations: usize,
) -> Report {
    const WEEK: f64 = 7.0 * 86_400_000.0;
    let centre = area.centre.unwrap_or(GeoPoint::new(59.33, 18.06));
    let places: Vec<&crate::model::Place> = area.places.values().collect();
    let observations = (0..observations)
        .map(|_| {
            let at = Timestamp(week_start.0 + (rng.unit() * WEEK) as i64);
            let mut o = observation(
                rng,
                vocabulary,
                centre,
                org,
                "demo-device-3",
                at,
                sensitivity,
            );
            if !places.is_empty() && rng.below(2) == 0 {
                let place = rng.pick(&places);
                o.location = Some(Location {
                    point: place.point,
                    place_id: Some(place.id.clone()),
                });
            }
            (o.id.clone(), o)
        })
        .collect();
    Report {
        organisation: org.into(),
        area: area.code.clone(),
        sensitivity,
        walk: None,
        period: None,
        created_at: week_start,
        observations,
        exercise: false,
    }
}

/// An invented action answering one observation.
pub fn action(
    walk_doc_id: &str,
    walk: &Walk,
    observation_id: &str,
    responsible_org: &str,
    status: ActionStatus,
) -> Action {
    Action {
        observations: vec![ObservationRef {
            doc_id: walk_doc_id.into(),
            observation_id: observation_id.into(),
        }],
        responsible_org: responsible_org.into(),
        proposed_by_org: walk.owner_org.clone(),
        area: walk.area.clone(),
        description: Text::with_value("Åtgärda enligt iakttagelsen (demo)."),
        due_date: Some("2027-01-31".into()),
        status,
        created_at: walk.created_at,
        comments: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DocumentSchema;

    #[test]
    fn demo_documents_are_valid() {
        let vocab = seed::vocabulary();
        let template = seed::default_template("demo-sdf-norr", Timestamp(0));
        let version = template.latest_published().unwrap();
        let mut rng = DemoRng::new(7);
        for _ in 0..20 {
            let w = walk(
                &mut rng,
                &WalkSpec {
                    template_doc_id: "x",
                    template: version,
                    vocabulary: &vocab,
                    observations: 3,
                    at: Timestamp(1_700_000_000_000),
                },
            );
            w.validate().unwrap();
        }
        report(
            &mut rng,
            &vocab,
            "demo-polis",
            Sensitivity::Restricted,
            4,
            Timestamp(1),
        )
        .validate()
        .unwrap();
    }
}
