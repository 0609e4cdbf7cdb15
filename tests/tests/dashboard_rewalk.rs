//! A re-walk of the same route in the dashboard: what was fixed, what
//! remains, what is new (over HTTP and on the page in chromium).
//! `TRYGG_SCREENSHOTS=DIR` keeps the page's screenshot in DIR.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::browser::Browser;
use support::dashboard::{fire, get_json};
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, HOUSING, World, new_walk, observation};
use trygg_core::model::{ActionStatus, Location, Observation, Sensitivity, Severity, Walk};
use trygg_core::seed::demo;
use trygg_core::{DocId, DocKind, document};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// `walk` (as `new_walk` made it) started `days_ago` days ago, holding
/// `observations`, all made when it started; ready to create under the
/// registration `new_walk` gave.
fn walk_days_ago(
    walk: &automerge::AutoCommit,
    days_ago: i64,
    observations: Vec<Observation>,
) -> Result<(automerge::AutoCommit, Walk)> {
    let mut value: Walk = document::read(walk)?;
    let at = trygg_core::Timestamp(trygg_core::Timestamp::now().millis() - days_ago * 86_400_000);
    value.created_at = at;
    value.planned_at = Some(at);
    value.started_at = Some(at);
    value.ended_at = None;
    value.status = trygg_core::model::WalkStatus::InProgress;
    value.organisations = value
        .organisations
        .keys()
        .map(|o| (o.clone(), at))
        .collect();
    value.observations = observations
        .into_iter()
        .map(|mut o| {
            o.observed_at = at;
            (o.id.clone(), o)
        })
        .collect();
    Ok((document::create(&value)?, value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_re_walk_shows_what_is_gone_what_remains_and_what_is_new() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let district = w.client("district", &d).await;
    let coordinator = w.device(DISTRICT, "coordinator");
    let planner = w.client("planner", &coordinator).await;

    // Two walks of one route (the demo generator gives both the same route
    // and district), six weeks apart.
    let (first_doc, first_reg) = new_walk(DISTRICT, &[]);
    let (second_doc, second_reg) = new_walk(DISTRICT, &[]);
    let area = first_reg.area.clone().context("a walk has an area")?;
    let areas = trygg_core::seed::areas();
    let place = areas[&area]
        .places
        .keys()
        .next()
        .context("a named place")?
        .clone();
    let at = |category: &str, lat: f64, lon: f64| {
        let mut o = observation(DISTRICT, &d.id, "", Sensitivity::Shared);
        o.category = category.into();
        o.location = Some(Location {
            point: Some(trygg_core::model::GeoPoint::new(lat, lon)),
            place_id: None,
        });
        o
    };
    let fire = fire(&d.id, &area, &place)?;
    let litter = at("nedskrapning", 59.30, 18.10);
    let graffiti = at("klotter", 59.31, 18.10);
    let (mut first, first_walk) =
        walk_days_ago(&first_doc, 42, vec![fire.clone(), litter.clone(), graffiti])?;
    let mut fire_again = self::fire(&d.id, &area, &place)?;
    fire_again.severity = Severity::new(3).map_err(anyhow::Error::msg)?;
    let (mut second, _) = walk_days_ago(
        &second_doc,
        0,
        vec![
            fire_again,
            // 20 m from the first time's graffiti: the same.
            at("klotter", 59.31018, 18.10),
            at("belysning", 59.32, 18.10),
        ],
    )?;
    let (first_id, second_id) = (first_reg.id, second_reg.id);
    district.create(&mut first, first_reg).await?;
    district.create(&mut second, second_reg).await?;
    // The litter was taken care of: its action is done.
    let mut action = demo::action(
        &first_id.to_string(),
        &first_walk,
        &litter.id,
        DISTRICT,
        ActionStatus::Done,
    );
    action.description = autosurgeon::Text::with_value("Töm och flytta soptunnan (test).");
    planner
        .create(
            &mut document::create(&action)?,
            RegisterDocument {
                id: DocId::random(),
                kind: DocKind::Action,
                area: Some(area.clone()),
                shared_with: BTreeSet::new(),
                restricted: false,
                responsible_org: Some(DISTRICT.into()),
            },
        )
        .await?;
    ensure!(district.all_on_server(WAIT).await && planner.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");
    // The browser logs in first (the link is one-time); the same person's
    // requests over HTTP use a second link.
    let (_, api_link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "viewer",
        "Analytiker 2 (test)",
    );
    let own = cookie_of(&login(&http, &base, &api_link).await?)?;
    let path = format!("/dashboard/api/walks/{second_id}/rewalk");
    let mut rewalk = Value::Null;
    for _ in 0..50 {
        // Both walks indexed, then the action on the litter too.
        let walks = get_json(&http, &base, &own, "/dashboard/api/walks").await?;
        if walks.as_array().is_some_and(|w| w.len() == 2) {
            rewalk = get_json(&http, &base, &own, &path).await?;
            if rewalk["gone"][0]["actions"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let vocabulary = trygg_core::seed::vocabulary();
    let label = |code: &str| vocabulary.current_term(code).map(|t| t.label_sv.clone());
    let categories = |list: &Value| -> Vec<Option<String>> {
        list.as_array()
            .map(|l| {
                l.iter()
                    .map(|f| f["category"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    ensure!(
        rewalk["earlier"]["doc_id"] == first_id.to_string(),
        "{rewalk}"
    );
    ensure!(
        categories(&rewalk["gone"]) == vec![label("nedskrapning")]
            && rewalk["gone"][0]["actions"][0]["status"] == "Klar",
        "the litter is gone, and its action done: {rewalk}"
    );
    let remains: Vec<Option<String>> = rewalk["remains"]
        .as_array()
        .context("remains")?
        .iter()
        .map(|p| p["now"]["category"].as_str().map(String::from))
        .collect();
    ensure!(
        remains.len() == 2
            && remains.contains(&label("brand"))
            && remains.contains(&label("klotter")),
        "{rewalk}"
    );
    ensure!(
        categories(&rewalk["new"]) == vec![label("belysning")],
        "{rewalk}"
    );

    // The page: the newer walk offers the comparison.
    let shots = match std::env::var_os("TRYGG_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => w.dir.path().to_path_buf(),
    };
    let mut browser = Browser::open(&link, &shots)?;
    browser.next()?;
    browser
        .ask(json!({ "wait_for": format!("#walks tr[data-doc=\"{second_id}\"] button.rewalk") }))?;
    let shown = browser.ask(json!({ "rewalk": second_id.to_string() }))?;
    ensure!(
        shown["heading"] == format!("Återbesök: {}", first_walk.route_name)
            && shown["gone"].as_array().is_some_and(|g| g.len() == 1)
            && shown["remains"].as_array().is_some_and(|r| r.len() == 2)
            && shown["new"].as_array().is_some_and(|n| n.len() == 1),
        "{shown}"
    );
    browser.ask(json!({ "screenshot": "dashboard-rewalk" }))?;

    // Refusals: the earlier walk has nothing before it; a walk against
    // itself; someone who may not read the walks gets 404 as for any id.
    let get = |cookie: String, path: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .get(base.join(&path)?)
                .header("cookie", cookie)
                .send()
                .await?;
            Ok::<_, anyhow::Error>((r.status(), r.text().await?))
        }
    };
    let (status, body) = get(
        own.clone(),
        format!("/dashboard/api/walks/{first_id}/rewalk"),
    )
    .await?;
    ensure!(
        status == StatusCode::NOT_FOUND && body.contains("no earlier walk of this route"),
        "{status} {body}"
    );
    let (status, _) = get(own.clone(), format!("{path}?against={second_id}")).await?;
    ensure!(status == StatusCode::BAD_REQUEST);
    let (status, _) = get(own.clone(), format!("{path}?against={first_id}")).await?;
    ensure!(status == StatusCode::OK);
    let (_, housing_link) = add_person(w.data_dir(), &base, HOUSING, "viewer", "Fastighet (test)");
    let housing = cookie_of(&login(&http, &base, &housing_link).await?)?;
    let (status, body) = get(housing, path.clone()).await?;
    ensure!(
        status == StatusCode::NOT_FOUND && body.contains("\"not found\""),
        "{body}"
    );
    browser.finish()
}
