//! The dashboard counts and names terms with the vocabulary document the
//! devices sync, not with a copy built into the server: a coordinator's new
//! version (a term deprecated with a replacement, a term renamed) holds in
//! the lägesbild and the exports from the next request, over HTTP.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use support::dashboard::{download, get_json};
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, World, new_walk, observation};
use trygg_core::model::{Sensitivity, Vocabulary};
use trygg_core::{DocId, DocKind, document, edit};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// `(label, in_period)` of the term `code` in a lägesbild, if it has a row.
fn term(picture: &Value, code: &str) -> Option<(String, Value)> {
    picture["terms"].as_array()?.iter().find_map(|t| {
        (t["code"] == code).then(|| {
            (
                t["label"].as_str().unwrap_or_default().to_string(),
                t["in_period"].clone(),
            )
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coordinators_new_vocabulary_version_holds_in_the_dashboard_at_once() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;

    // This week: three hiding spots and two poor sightlines.
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    for (code, n) in [("gomstallen", 3), ("sikt", 2)] {
        for _ in 0..n {
            let mut o = observation(DISTRICT, &d.id, "", Sensitivity::Shared);
            o.category = code.into();
            edit::put_observation(&mut walk, &o)?;
        }
    }
    field.create(&mut walk, reg).await?;
    ensure!(field.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");
    let viewer = cookie_of(&login(&http, &base, &link).await?)?;
    let lagesbild = async |until: &dyn Fn(&Value) -> bool| -> Result<Value> {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let picture = get_json(&http, &base, &viewer, "/dashboard/api/lagesbild").await?;
            if until(&picture) || std::time::Instant::now() > deadline {
                return Ok(picture);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    // No vocabulary document on the server yet: the built-in version the
    // devices start from names the terms.
    let picture = lagesbild(&|p| p["total"]["in_period"] == 5).await?;
    ensure!(
        term(&picture, "gomstallen") == Some(("Gömställen".into(), 3.into()))
            && term(&picture, "sikt") == Some(("Sikt och överblick".into(), 2.into())),
        "{picture}"
    );

    // The coordinator publishes version 3: hiding spots go into sightlines,
    // which get a new name.
    let mut v3 = trygg_core::seed::vocabulary();
    v3.version = 3;
    let hiding = v3.terms.get_mut("gomstallen").context("gomstallen")?;
    hiding.deprecated = true;
    hiding.deprecated_in = Some(3);
    hiding.replaced_by = Some("sikt".into());
    v3.terms.get_mut("sikt").context("sikt")?.label_sv = "Sikt och gömställen".into();
    let vocabulary_id = DocId::random();
    coordinator
        .create(
            &mut document::create(&v3)?,
            RegisterDocument {
                id: vocabulary_id,
                kind: DocKind::Vocabulary,
                area: None,
                shared_with: Default::default(),
                restricted: false,
                responsible_org: None,
            },
        )
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    let picture = lagesbild(&|p| term(p, "gomstallen").is_none()).await?;
    ensure!(
        term(&picture, "sikt") == Some(("Sikt och gömställen".into(), 5.into()))
            && term(&picture, "gomstallen").is_none()
            && picture["total"]["in_period"] == 5,
        "the old code is counted under its replacement, by the new name: {picture}"
    );
    // The export names the replacement, by today's code, as it counts.
    let (_, csv) = download(&http, &base, &viewer, "/dashboard/api/export.csv").await?;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    ensure!(
        rows.len() == 5
            && rows
                .iter()
                .all(|r| r.contains(";Sikt och gömställen;sikt;")),
        "{csv}"
    );

    // A later edit of the same document (version 4, a new name) holds too.
    coordinator
        .edit(&vocabulary_id, |tx| {
            let mut v: Vocabulary = document::read(tx)?;
            v.version = 4;
            if let Some(t) = v.terms.get_mut("sikt") {
                t.label_sv = "Överblick".into();
            }
            document::write(tx, &v)
        })
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    let picture =
        lagesbild(&|p| term(p, "sikt").is_some_and(|(label, _)| label == "Överblick")).await?;
    ensure!(
        term(&picture, "sikt") == Some(("Överblick".into(), 5.into())),
        "{picture}"
    );
    Ok(())
}
