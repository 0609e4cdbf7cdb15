//! Seeding a store, finding the seeded documents, and loading invented demo
//! data. The CLI and the server's `admin demo-data` both use it.

use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::{DocError, DocId, DocKind, Timestamp};

use crate::{Result, Store, StoreError};

fn missing(what: String) -> StoreError {
    StoreError::from(DocError::NotFound {
        what: "document",
        id: what,
    })
}

/// Ids of the seeded documents.
#[derive(Debug)]
pub struct Seeded {
    pub template: DocId,
}

fn first_of_kind(store: &Store, kind: DocKind) -> Result<Option<DocId>> {
    Ok(store
        .documents_of_kind(kind)?
        .into_iter()
        .find(|d| d.error.is_none())
        .and_then(|d| d.doc_id.parse().ok()))
}

/// Creates the directory, vocabulary and default template unless they exist.
pub fn seed(store: &mut Store, org: &str) -> Result<Seeded> {
    if first_of_kind(store, DocKind::Directory)?.is_none() {
        let mut directory = seed::directory();
        for o in demo::organisations() {
            directory.organisations.insert(o.id.clone(), o);
        }
        store.create(&directory)?;
    }
    if first_of_kind(store, DocKind::Vocabulary)?.is_none() {
        store.create(&seed::vocabulary())?;
    }
    let template = match first_of_kind(store, DocKind::Template)? {
        Some(id) => id,
        None => store
            .create(&seed::default_template(org, Timestamp::now()))?
            .id(),
    };
    Ok(Seeded { template })
}

fn load_first<T: trygg_core::DocumentSchema>(store: &Store) -> Result<(DocId, T)> {
    let id = first_of_kind(store, T::KIND)?
        .ok_or_else(|| missing(format!("{} (run `trygg init` first)", T::KIND)))?;
    Ok((id, store.load(id)?.read()?))
}

pub fn default_template(store: &Store) -> Result<(DocId, ChecklistTemplate)> {
    load_first(store)
}

pub fn directory(store: &Store) -> Result<Directory> {
    Ok(load_first::<Directory>(store)?.1)
}

pub fn vocabulary(store: &Store) -> Result<Vocabulary> {
    Ok(load_first::<Vocabulary>(store)?.1)
}

/// Seeds the store and adds `walks` invented walks with observations, EST
/// reports and actions. Returns the number of documents created.
pub fn load(store: &mut Store, walks: usize) -> Result<usize> {
    let seeded = seed(store, "demo-sdf-norr")?;
    let (_, template) = default_template(store)?;
    let vocabulary = vocabulary(store)?;
    let version = template
        .latest_published()
        .ok_or_else(|| missing("published template version".into()))?;
    let mut rng = demo::DemoRng::new(2026);
    let day = 86_400_000;
    let start = Timestamp::now().millis() - 60 * day;
    let mut created = 0;
    for i in 0..walks {
        let at = Timestamp(start + (i as i64 * 60 * day) / walks.max(1) as i64);
        let observations = 1 + rng.below(6);
        let walk = demo::walk(
            &mut rng,
            &demo::WalkSpec {
                template_doc_id: &seeded.template.to_string(),
                template: version,
                vocabulary: &vocabulary,
                observations,
                at,
            },
        );
        let h = store.create(&walk)?;
        created += 1;
        if let Some(obs) = walk
            .observations
            .values()
            .find(|o| o.severity >= Severity::HIGH)
        {
            let owner = rng.pick(&[
                "demo-bostad",
                "demo-fastighet",
                "demo-sdf-norr",
                "demo-polis",
            ]);
            let status = *rng.pick(ActionStatus::ALL);
            store.create(&demo::action(
                &h.id().to_string(),
                &walk,
                &obs.id,
                owner,
                status,
            ))?;
            created += 1;
        }
    }
    // One exercise run in three districts on the same template, a week ago,
    // for the dashboard's side-by-side view of an exercise.
    let areas = trygg_core::seed::areas();
    for area in areas.values().take(3) {
        let observations = 2 + rng.below(3);
        let walk = demo::exercise(
            &mut rng,
            &demo::WalkSpec {
                template_doc_id: &seeded.template.to_string(),
                template: version,
                vocabulary: &vocabulary,
                observations,
                at: Timestamp(Timestamp::now().millis() - 7 * day),
            },
            area,
        );
        store.create(&walk)?;
        created += 1;
    }
    for (org, sensitivity) in [
        ("demo-bostad", Sensitivity::Shared),
        ("demo-polis", Sensitivity::Restricted),
        ("demo-sdf-norr", Sensitivity::Shared),
    ] {
        let report = demo::report(&mut rng, &vocabulary, org, sensitivity, 5, Timestamp::now());
        store.create(&report)?;
        created += 1;
    }
    Ok(created)
}

/// Adds `observations` invented everyday observations over the `weeks`
/// weeks before now: one EST report per district, week and organisation
/// (the district administration and a housing company shared, the police
/// restricted), so a dashboard has years of history to compare against.
/// Returns the number of documents created.
pub fn load_history(store: &mut Store, observations: usize, weeks: usize) -> Result<usize> {
    let vocabulary = vocabulary(store)?;
    let areas = trygg_core::seed::areas();
    let mut rng = demo::DemoRng::new(4711);
    let week = 7 * 86_400_000;
    let now = Timestamp::now().millis();
    let reporters = [
        ("demo-sdf-norr", Sensitivity::Shared, 6),
        ("demo-bostad", Sensitivity::Shared, 2),
        ("demo-polis", Sensitivity::Restricted, 2),
    ];
    let shares: usize = reporters.iter().map(|r| r.2).sum();
    let per_week_and_area = observations as f64 / (weeks * areas.len()).max(1) as f64;
    let mut left = observations;
    let mut created = 0;
    for w in (1..=weeks).rev() {
        let start = Timestamp(now - w as i64 * week);
        for area in areas.values() {
            for (org, sensitivity, share) in reporters {
                // About the mean, ±50 %; whatever is left goes into the last week.
                let mean = per_week_and_area * share as f64 / shares as f64;
                let n = if w == 1 && area.code == *areas.keys().last().unwrap_or(&area.code) {
                    left
                } else {
                    ((mean * (0.5 + rng.unit())).round() as usize).min(left)
                };
                if n == 0 {
                    continue;
                }
                left -= n;
                let report =
                    demo::week_report(&mut rng, &vocabulary, org, sensitivity, area, start, n);
                store.create(&report)?;
                created += 1;
            }
        }
    }
    Ok(created)
}
