//! Open actions in the dashboard: a status changed on the page is an
//! ordinary CRDT edit that reaches the devices, and only the organisations
//! that may write the action may change it.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Result, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::browser::Browser;
use support::people::{add_person, cookie_of, login};
use support::server::admin;
use support::world::{DISTRICT, HOUSING, POLICE, World, eventually, new_walk, observation};
use trygg_core::model::{Action, ActionStatus, Sensitivity, Walk};
use trygg_core::seed::demo;
use trygg_core::{DocId, DocKind, document, edit};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// The status an action has on a device, once the device has it.
fn status_on(client: &trygg_sync::client::SyncClient, id: &DocId) -> Option<ActionStatus> {
    client
        .read(id, |doc| document::read::<Action, _>(doc).map(|a| a.status))
        .ok()?
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_action_status_changed_in_the_dashboard_reaches_the_devices_and_only_writers_may_change_it()
-> Result<()> {
    let w = World::new(&[]);
    // The district's coordinator proposes an action for the police; a
    // police officer's device follows it.
    let coordinator = w.device(DISTRICT, "coordinator");
    let planner = w.client("planner", &coordinator).await;
    let officer = w.device(POLICE, "field");
    let police = w.client("police", &officer).await;
    let (mut walk, walk_reg) = new_walk(DISTRICT, &[]);
    let walk_id = walk_reg.id;
    let o = observation(DISTRICT, &coordinator.id, "", Sensitivity::Shared);
    edit::put_observation(&mut walk, &o)?;
    planner.create(&mut walk, walk_reg).await?;
    let walk_now: Walk = document::read(&walk)?;
    let action = demo::action(
        &walk_id.to_string(),
        &walk_now,
        &o.id,
        POLICE,
        ActionStatus::Proposed,
    );
    let id = DocId::random();
    planner
        .create(
            &mut document::create(&action)?,
            RegisterDocument {
                id,
                kind: DocKind::Action,
                area: Some(action.area.clone()),
                shared_with: BTreeSet::new(),
                restricted: false,
                responsible_org: Some(POLICE.into()),
            },
        )
        .await?;
    ensure!(
        planner.all_on_server(WAIT).await,
        "the action reached the server"
    );
    ensure!(
        eventually(WAIT, || {
            police.refresh_now();
            status_on(&police, &id) == Some(ActionStatus::Proposed)
        })
        .await,
        "the police device has the action"
    );

    // The police's coordinator, in the browser: the status is a choice,
    // and choosing reaches both devices as an ordinary change.
    let base = w.server.base();
    let (chief, link) = add_person(
        w.data_dir(),
        &base,
        POLICE,
        "coordinator",
        "Polissamordnare (test)",
    );
    let mut browser = Browser::open(&link, w.dir.path())?;
    let first = browser.next()?;
    ensure!(
        first["actions"][0]["writable"] == json!([true]),
        "the responsible organisation's coordinator may change it: {first}"
    );
    let t0 = std::time::Instant::now();
    let set = browser.ask(json!({ "set_status": [id.to_string(), "in_progress"] }))?;
    ensure!(set["message"].is_null(), "{set}");
    ensure!(
        set["rows"][0][1] == "Pågår",
        "the page shows the new status: {set}"
    );
    for (who, device) in [("police", &police), ("planner", &planner)] {
        ensure!(
            eventually(WAIT, || status_on(device, &id)
                == Some(ActionStatus::InProgress))
            .await,
            "the {who} device never got the status: {:?}",
            status_on(device, &id)
        );
    }
    println!(
        "dashboard: a status chosen on the page was on both devices after {} ms",
        t0.elapsed().as_millis()
    );
    // Done: the action leaves the open list.
    let done = browser.ask(json!({ "set_status": [id.to_string(), "done"] }))?;
    ensure!(done["owners"] == 0, "{done}");
    ensure!(
        eventually(WAIT, || status_on(&police, &id) == Some(ActionStatus::Done)).await,
        "done reached the police device"
    );
    // The devices go on editing the same document: a device's change after
    // the server's merges with it.
    police
        .edit(&id, |tx| {
            edit::set_action_status(tx, ActionStatus::InProgress)
        })
        .await?;
    ensure!(police.all_on_server(WAIT).await);
    ensure!(
        eventually(WAIT, || status_on(&planner, &id)
            == Some(ActionStatus::InProgress))
        .await,
        "a device's change after the server's reached the other device"
    );

    // Over HTTP: who may not, and bad requests, each refused clearly.
    let http = reqwest::Client::new();
    let session = |org: &'static str, role: &'static str| {
        let (http, base, dir) = (http.clone(), base.clone(), w.data_dir().to_path_buf());
        async move {
            let (_, link) = add_person(&dir, &base, org, role, "Testperson (test)");
            cookie_of(&login(&http, &base, &link).await?)
        }
    };
    let post = |cookie: String, doc: String, body: Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .post(base.join(&format!("/dashboard/api/actions/{doc}/status"))?)
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await?;
            let status = r.status();
            Ok::<_, anyhow::Error>((status, r.text().await?))
        }
    };
    let rejected = json!({ "status": "rejected" });
    let viewer = session(POLICE, "viewer").await?;
    let (status, text) = post(viewer.clone(), id.to_string(), rejected.clone()).await?;
    ensure!(
        status == StatusCode::FORBIDDEN && text.contains("may follow this action"),
        "{status} {text}"
    );
    let housing = session(HOUSING, "coordinator").await?;
    let (status, text) = post(housing, id.to_string(), rejected.clone()).await?;
    ensure!(
        status == StatusCode::NOT_FOUND,
        "another organisation hears of no such action: {status} {text}"
    );
    let proposer = session(DISTRICT, "coordinator").await?;
    for (doc, body, want, says) in [
        (
            id.to_string(),
            json!({ "status": "finished" }),
            StatusCode::BAD_REQUEST,
            "status:",
        ),
        (
            id.to_string(),
            json!({ "state": "done" }),
            StatusCode::BAD_REQUEST,
            "missing field `status`",
        ),
        (
            DocId::random().to_string(),
            rejected.clone(),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            "not-an-id".into(),
            rejected.clone(),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            walk_id.to_string(),
            rejected.clone(),
            StatusCode::BAD_REQUEST,
            "action",
        ),
    ] {
        let (status, text) = post(proposer.clone(), doc.clone(), body.clone()).await?;
        ensure!(
            status == want && text.contains(says),
            "{doc} {body}: {status} {text}"
        );
    }
    // Not JSON (what a form on another site could send): refused unread.
    let form = http
        .post(base.join(&format!("/dashboard/api/actions/{id}/status"))?)
        .header("cookie", &proposer)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("status=rejected")
        .send()
        .await?;
    ensure!(form.status() == StatusCode::BAD_REQUEST);
    ensure!(
        form.text()
            .await?
            .contains("Content-Type: application/json")
    );
    // The proposing district's coordinator may; nothing refused changed it.
    let (status, text) = post(proposer, id.to_string(), rejected).await?;
    ensure!(
        status == StatusCode::OK && text.contains("\"rejected\""),
        "{status} {text}"
    );
    ensure!(
        eventually(WAIT, || status_on(&police, &id)
            == Some(ActionStatus::Rejected))
        .await,
        "the proposer's change reached the police device"
    );

    // The audit trail names the person and the change.
    let audited = admin(w.data_dir(), &["audit", "--device", &chief]);
    ensure!(
        audited.contains("\tedit\t") && audited.contains("status=in_progress"),
        "{audited}"
    );
    browser.finish()
}
