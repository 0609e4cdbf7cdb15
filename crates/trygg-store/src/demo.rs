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
