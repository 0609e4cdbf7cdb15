//! The council dashboard's meeting mode, in Debian's chromium (headless,
//! driven by `tests/dashboard/lagesbild.mjs`) against a real server: the
//! agenda shows one point at a time in large type, and a decision taken at
//! "Beslut" is an action document there and then, on the responsible
//! organisation's device. Over HTTP: who may not decide, and bad decisions,
//! each refused clearly.
//!
//! `TRYGG_SCREENSHOTS=DIR` keeps the page's screenshots in DIR.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::browser::Browser;
use support::people::{add_person, cookie_of, login};
use support::server::admin;
use support::world::{DISTRICT, HOUSING, POLICE, World, eventually};
use trygg_core::model::{Action, ActionStatus};
use trygg_core::seed::areas;
use trygg_core::{DocId, document};

const WAIT: Duration = Duration::from_secs(30);

/// The action `id` as a device holds it, once it does.
fn action_on(client: &trygg_sync::client::SyncClient, id: &DocId) -> Option<Action> {
    client
        .read(id, document::read::<Action, _>)
        .ok()
        .and_then(Result::ok)
}

/// The page's screenshots: kept in `TRYGG_SCREENSHOTS`, else in `dir`.
fn screenshots(dir: &std::path::Path) -> PathBuf {
    std::env::var_os("TRYGG_SCREENSHOTS").map_or_else(|| dir.to_path_buf(), PathBuf::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_decision_taken_in_meeting_mode_is_an_action_on_the_responsible_organisations_device()
-> Result<()> {
    let w = World::new(&[]);
    let officer = w.device(POLICE, "field");
    let police = w.client("police", &officer).await;
    let base = w.server.base();
    let (chair, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Trygghetssamordnare (test)",
    );
    let mut browser = Browser::open(&link, &screenshots(w.dir.path()))?;
    browser.next()?;

    // The agenda: one point at a time, for a projector.
    let meeting = browser.ask(json!({ "meeting": true }))?;
    let shows = |step: &str, heading: &str| {
        meeting["steps"][step].as_array().is_some_and(|hs| {
            hs.iter()
                .any(|h| h.as_str().is_some_and(|h| h.starts_with(heading)))
        })
    };
    for (step, here, not_here) in [
        ("lagesbild", "Per grupp", "Hot-spots"),
        ("hotspots", "Hot-spots", "Per grupp"),
        ("hotspots", "Karta", "Öppna åtgärder"),
        ("actions", "Öppna åtgärder", "Beslut"),
        ("decide", "Beslut", "Öppna åtgärder"),
    ] {
        ensure!(
            shows(step, here) && !shows(step, not_here),
            "point {step} shows {here}, not {not_here}: {meeting}"
        );
    }
    ensure!(
        meeting["font_size"].as_f64().is_some_and(|px| px >= 22.0)
            && meeting["background"] == "rgb(0, 0, 0)"
            && meeting["color"] == "rgb(255, 255, 255)",
        "large type, light on black: {meeting}"
    );
    ensure!(
        meeting["last"] == "decide" && meeting["after"] == "",
        "the agenda stops at its last point and Escape leaves it: {meeting}"
    );
    ensure!(
        meeting["all_back"].as_u64().is_some_and(|n| n >= 8) && !shows("lagesbild", "Beslut"),
        "out of the meeting every view is back and the decision form is not: {meeting}"
    );

    // A decision: the police are to act, in a district, by a date.
    let area = areas().into_keys().next().expect("the seed has districts");
    let due = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .saturating_add(jiff::Span::new().days(21));
    let description = "Polisen patrullerar vid torget fredagskvällar";
    let decided = browser.ask(json!({ "decide": {
        "description": description,
        "responsible_org": POLICE,
        "area": area,
        "due_date": due.to_string(),
    }}))?;
    ensure!(decided["message"].is_null(), "{decided}");
    let id: DocId = decided["doc"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .map_err(|e| anyhow::anyhow!("the page names the new action: {decided}: {e}"))?;
    ensure!(
        decided["decisions"][0]
            .as_str()
            .is_some_and(|d| d.starts_with(description)),
        "the meeting's decisions list it: {decided}"
    );
    let t0 = std::time::Instant::now();
    ensure!(
        eventually(WAIT, || {
            police.refresh_now();
            action_on(&police, &id).is_some()
        })
        .await,
        "the decision reached the police device"
    );
    eprintln!(
        "meeting: a decision was on the responsible organisation's device {} ms after the page had it",
        t0.elapsed().as_millis()
    );
    let on_device = action_on(&police, &id).expect("just seen");
    ensure!(
        on_device.description.as_str() == description
            && on_device.responsible_org == POLICE
            && on_device.proposed_by_org == DISTRICT
            && on_device.area == area
            && on_device.due_date == Some(due.to_string())
            && on_device.status == ActionStatus::Proposed,
        "{on_device:?}"
    );
    let state = browser.ask(json!({ "state": true }))?;
    ensure!(
        state["actions"].as_array().is_some_and(|owners| owners
            .iter()
            .any(|o| o["org"] == POLICE && o["rows"][0][0] == description)),
        "the open actions list it under the police: {state}"
    );
    let shot = browser.ask(json!({ "screenshot": "meeting-decided" }))?;
    ensure!(shot["screenshot"] == "meeting-decided");

    // Over HTTP: a viewer may not decide; bad decisions are refused.
    let http = reqwest::Client::new();
    let session = |org: &'static str, role: &'static str| {
        let (http, base, dir) = (http.clone(), base.clone(), w.data_dir().to_path_buf());
        async move {
            let (_, link) = add_person(&dir, &base, org, role, "Testperson (test)");
            cookie_of(&login(&http, &base, &link).await?)
        }
    };
    let post = |cookie: String, body: Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .post(base.join("/dashboard/api/actions")?)
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await?;
            let status = r.status();
            Ok::<_, anyhow::Error>((status, r.text().await?))
        }
    };
    let good = json!({
        "description": "Röj buskaget vid gångtunneln",
        "responsible_org": HOUSING,
        "area": area,
        "due_date": due.to_string(),
    });
    let viewer = session(DISTRICT, "viewer").await?;
    let (status, text) = post(viewer, good.clone()).await?;
    ensure!(
        status == StatusCode::FORBIDDEN && text.contains("cannot create documents"),
        "{status} {text}"
    );
    let coordinator = session(HOUSING, "coordinator").await?;
    let spoil = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, says) in [
        (spoil("due_date", json!("2020-01-01")), "has passed"),
        (spoil("due_date", json!("snart")), "not a date"),
        (spoil("responsible_org", json!("nobody")), "no organisation"),
        (spoil("area", json!("atlantis")), "no district"),
        (spoil("description", json!("  ")), "description"),
        (spoil("extra", json!(1)), "unknown field"),
    ] {
        let (status, text) = post(coordinator.clone(), body.clone()).await?;
        ensure!(
            status == StatusCode::BAD_REQUEST && text.contains(says),
            "{body}: {status} {text}"
        );
    }
    let (status, text) = post(coordinator, good).await?;
    ensure!(status == StatusCode::CREATED, "{status} {text}");

    // The audit trail names the person and the decision.
    let audited = admin(w.data_dir(), &["audit", "--device", &chair]);
    ensure!(
        audited.contains("\tregister\t") && audited.contains("decision responsible=police"),
        "{audited}"
    );
    browser.finish()
}
