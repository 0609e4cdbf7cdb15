//! Planning walks in the dashboard (real server, real devices, chromium):
//! a coordinator plans a walk with sub-groups and an invited organisation;
//! the invited organisation's device lists it and starts it; the walk's
//! protocol goes to every participant and a re-walk is planned from it,
//! with the same route, organisations and groups. Bad plans are refused
//! with what is wrong, a viewer may not plan, and nothing is made.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use support::browser::Browser;
use support::dashboard::get_json;
use support::people::{add_person, session};
use support::world::{DISTRICT, HOUSING, POLICE, World, eventually_async};
use trygg_core::model::{Walk, WalkStatus};
use trygg_core::{DocId, DocKind, Timestamp, document, edit, seed};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// `days` from now, as a `datetime-local` input gives it (Stockholm).
fn local_in(days: i64) -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").expect("tz"))
        .checked_add(jiff::Span::new().days(days))
        .expect("a date")
        .strftime("%Y-%m-%dT18:00")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_planned_walk_reaches_the_invited_devices_and_is_planned_again_from_its_protocol()
-> Result<()> {
    let w = World::new(&[]);
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;
    let template_id = DocId::random();
    coordinator
        .create(
            &mut document::create(&seed::default_template(DISTRICT, Timestamp::now()))?,
            RegisterDocument {
                id: template_id,
                kind: DocKind::Template,
                area: None,
                shared_with: Default::default(),
                restricted: false,
                responsible_org: None,
            },
        )
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    let p = w.device(POLICE, "field");
    let police = w.client("police", &p).await;
    let h = w.device(HOUSING, "field");
    let housing = w.client("housing", &h).await;

    let http = reqwest::Client::new();
    let base = w.server.base();
    let planner = session(
        &http,
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (test)",
    )
    .await?;
    let viewer = session(
        &http,
        w.data_dir(),
        &base,
        DISTRICT,
        "viewer",
        "Analytiker (test)",
    )
    .await?;
    let area = seed::areas().into_keys().next().context("a district")?;
    let plan = json!({
        "template_doc": template_id.to_string(),
        "area": area,
        "route_name": "Centrum – parken",
        "light": "dark",
        "planned_at": local_in(7),
        "invited": [POLICE],
        "groups": [
            { "name": "Grupp 1", "route": "Norra slingan" },
            { "name": "Grupp 2", "route": "Södra slingan" },
        ],
    });
    let post = |cookie: &str, path: &str, body: &Value| {
        http.post(base.join(path).expect("url"))
            .header("cookie", cookie)
            .json(body)
            .send()
    };

    // A viewer may not plan; bad plans are refused with their fields.
    let refused = post(&viewer, "/dashboard/api/walks/plan", &plan).await?;
    ensure!(refused.status() == 403, "{refused:?}");
    let spoilt = |key: &str, value: Value| {
        let mut p = plan.clone();
        p[key] = value;
        p
    };
    for (body, says) in [
        (spoilt("route_name", json!(" ")), "route_name: required"),
        (spoilt("area", json!("atlantis")), "area: no district"),
        (
            spoilt("planned_at", json!("2020-01-01T18:00")),
            "planned_at: that date has passed",
        ),
        (
            spoilt("planned_at", json!("på tisdag")),
            "not a date and time",
        ),
        (
            spoilt("light", json!("skymning")),
            "light: daylight or dark",
        ),
        (
            spoilt("invited", json!(["nobody"])),
            "invited: no organisation",
        ),
        (
            spoilt("template_doc", json!(DocId::random().to_string())),
            "template_doc: no checklist template",
        ),
        (
            spoilt(
                "groups",
                json!([{ "name": "A", "route": "x" }, { "name": "a", "route": "y" }]),
            ),
            "groups.1.name",
        ),
        (spoilt("ordförande", json!("x")), "unknown field"),
    ] {
        let answer = post(&planner, "/dashboard/api/walks/plan", &body).await?;
        let status = answer.status().as_u16();
        let text = answer.text().await?;
        ensure!(
            status == 400 && text.contains(says),
            "{says}: {status} {text}"
        );
    }
    let listed = get_json(&http, &base, &planner, "/dashboard/api/walks").await?;
    ensure!(
        listed.as_array().is_some_and(Vec::is_empty),
        "nothing made: {listed}"
    );

    // Planned: the invited police device lists it and starts it; the
    // housing company, not invited, never gets it.
    let made = post(&planner, "/dashboard/api/walks/plan", &plan).await?;
    ensure!(made.status() == 201, "{made:?}");
    let made: Value = made.json().await?;
    let walk_id: DocId = made["doc_id"].as_str().context("doc_id")?.parse()?;
    let listed = get_json(&http, &base, &planner, "/dashboard/api/walks").await?;
    ensure!(
        listed[0]["doc_id"] == walk_id.to_string() && listed[0]["status"] == "Planerad",
        "{listed}"
    );
    police.refresh().await?;
    ensure!(
        police.open_documents().contains(&walk_id),
        "the invited device lists the planned walk"
    );
    let planned: Walk = police.read(&walk_id, document::read)??;
    ensure!(
        planned.status == WalkStatus::Planned
            && planned.groups.len() == 2
            && planned.organisations.contains_key(POLICE),
        "{planned:?}"
    );
    police
        .edit(&walk_id, |tx| {
            edit::set_walk_status(tx, WalkStatus::InProgress, Timestamp::now())
        })
        .await?;
    ensure!(police.all_on_server(WAIT).await);
    housing.refresh().await?;
    ensure!(
        !housing.open_documents().contains(&walk_id),
        "not invited, not listed"
    );

    // The protocol shows it started, its groups, for every participant.
    let path = format!("/dashboard/api/walks/{walk_id}/protocol");
    let started = eventually_async(WAIT, || {
        let (http, base, planner, path) = (&http, &base, &planner, &path);
        async move {
            get_json(http, base, planner, path)
                .await
                .is_ok_and(|p| p["status"] == "Pågår")
        }
    })
    .await;
    ensure!(started, "the dashboard shows the walk started");
    let protocol = get_json(&http, &base, &planner, &path).await?;
    ensure!(
        protocol["groups"]
            == json!([
                { "name": "Grupp 1", "route": "Norra slingan" },
                { "name": "Grupp 2", "route": "Södra slingan" },
            ])
            && protocol["planned"]
                .as_str()
                .is_some_and(|p| p.ends_with("18:00")),
        "{protocol}"
    );
    let police_person =
        session(&http, w.data_dir(), &base, POLICE, "viewer", "Polis (test)").await?;
    let theirs = get_json(&http, &base, &police_person, &path).await?;
    ensure!(
        theirs["route"] == "Centrum – parken",
        "the participants read it: {theirs}"
    );

    // A re-walk from the protocol: same route, organisations and groups.
    let again = post(
        &planner,
        &format!("/dashboard/api/walks/{walk_id}/plan-again"),
        &json!({ "planned_at": local_in(90) }),
    )
    .await?;
    ensure!(again.status() == 201, "{again:?}");
    let again: Value = again.json().await?;
    let again_id = again["doc_id"].as_str().context("doc_id")?;
    let next = get_json(
        &http,
        &base,
        &planner,
        &format!("/dashboard/api/walks/{again_id}/protocol"),
    )
    .await?;
    ensure!(
        next["follows"] == walk_id.to_string()
            && next["route"] == "Centrum – parken"
            && next["groups"] == protocol["groups"]
            && next["organisations"] == protocol["organisations"]
            && next["status"] == "Planerad",
        "{next}"
    );
    let past = post(
        &planner,
        &format!("/dashboard/api/walks/{walk_id}/plan-again"),
        &json!({ "planned_at": "2020-01-01T18:00" }),
    )
    .await?;
    ensure!(past.status() == 400, "{past:?}");

    // The page: a coordinator plans one with the form.
    let (_, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (webb)",
    );
    let mut browser = Browser::open(&link, w.dir.path())?;
    browser.next()?;
    let planned = browser.ask(json!({ "plan": {
        "area": area,
        "route": "Skolan – torget",
        "at": local_in(14),
        "invited": [POLICE],
        "groups": "Grupp A: Skolvägen\nGrupp B: Torgslingan",
    }}))?;
    ensure!(
        planned["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Vandringen är planerad"))
            && planned["listed"].as_array().is_some_and(|rows| rows
                .iter()
                .any(|r| r.as_str().is_some_and(|r| r.contains("Skolan – torget")))),
        "{planned}"
    );
    browser.finish()?;
    for c in [coordinator, police, housing] {
        c.stop().await;
    }
    Ok(())
}
