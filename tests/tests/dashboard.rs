//! The council dashboard, in Debian's chromium (headless, driven by
//! `playwright-core` from `tests/dashboard/lagesbild.mjs`), against a real
//! server with devices syncing real documents: a person logs in through a
//! one-time link, sees the week's picture of what their organisation may
//! read, sees a device's new observation arrive live, filters by district,
//! and is shut out within a second of being revoked. Over HTTP: another
//! organisation's person sees only their own, a spent link opens nothing.
//!
//! `TRYGG_SCREENSHOTS=DIR` keeps the page's screenshots in DIR (the README's
//! are made this way, into `docs/screenshots`).

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::browser::Browser;
use support::people::{add_person, cookie_of, login};
use support::server::admin;
use support::world::{
    DISTRICT, HOUSING, POLICE, World, eventually, new_report, new_walk, observation,
};

use trygg_core::model::{Action, ActionStatus, Location, Observation, Sensitivity, Severity, Walk};
use trygg_core::seed::demo;
use trygg_core::{DocId, DocKind, document, edit};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// A fire this week at `place` in `area`.
fn fire(device: &str, area: &str, place: &str) -> Result<Observation> {
    let mut o = observation(DISTRICT, device, "", Sensitivity::Shared);
    o.category = "brand".into();
    o.severity = Severity::new(4).map_err(anyhow::Error::msg)?;
    o.location = Some(Location {
        point: None,
        place_id: Some(place.into()),
    });
    ensure!(place.starts_with(area));
    Ok(o)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_person_logs_in_by_link_sees_the_live_picture_of_what_they_may_read_and_is_shut_out_when_revoked()
-> Result<()> {
    let w = World::new(&[]);
    let (d, p) = (w.device(DISTRICT, "field"), w.device(POLICE, "field"));
    let district = w.client("district", &d).await;
    let police = w.client("police", &p).await;

    // The district's walk: two fires at one place, this week.
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    let (id, area) = (reg.id, reg.area.clone().context("a walk has an area")?);
    let areas = trygg_core::seed::areas();
    let place = areas[&area]
        .places
        .keys()
        .next()
        .context("a named place")?
        .clone();
    for _ in 0..2 {
        edit::put_observation(&mut walk, &fire(&d.id, &area, &place)?)?;
    }
    district.create(&mut walk, reg).await?;
    // An action from the walk for the police, due long ago, proposed by the
    // district's coordinator.
    let walk_now: Walk = document::read(&walk)?;
    let first_fire = walk_now
        .observations
        .keys()
        .next()
        .context("an observation")?;
    let mut action = demo::action(
        &id.to_string(),
        &walk_now,
        first_fire,
        POLICE,
        ActionStatus::Accepted,
    );
    action.due_date = Some("2026-01-15".into());
    let action_reg = RegisterDocument {
        id: DocId::random(),
        kind: DocKind::Action,
        area: Some(action.area.clone()),
        shared_with: BTreeSet::new(),
        restricted: false,
        responsible_org: Some(POLICE.into()),
    };
    // A coordinator of the proposing district carries an action forward.
    let coordinator = w.device(DISTRICT, "coordinator");
    let planner = w.client("planner", &coordinator).await;
    planner
        .create(&mut document::create(&action)?, action_reg)
        .await?;
    ensure!(
        planner.all_on_server(WAIT).await,
        "the action reached the server"
    );
    // The police's restricted report: only the police may see it.
    let (mut report, report_reg) = new_report(POLICE, true, "");
    police.create(&mut report, report_reg).await?;
    ensure!(
        district.all_on_server(WAIT).await && police.all_on_server(WAIT).await,
        "not everything reached the server: {:?}\n{}",
        district.status_now().await,
        w.server.log_text()
    );

    let (analyst, link) = add_person(
        w.data_dir(),
        &w.server.base(),
        DISTRICT,
        "viewer",
        "Analytiker (test)",
    );
    let shots = match std::env::var_os("TRYGG_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => w.dir.path().to_path_buf(),
    };
    let mut browser = Browser::open(&link, &shots)?;
    let first = browser.next()?;
    ensure!(
        first["who"] == "Analytiker (test), district (test)",
        "{first}"
    );
    ensure!(
        first["cookie"] == json!({"httpOnly": true, "sameSite": "Strict", "path": "/dashboard"}),
        "{first}"
    );
    ensure!(
        first["link_left_in_url"] == false,
        "the code stayed in the address bar"
    );
    // Two fires; not the police's restricted report.
    browser.ask(json!({ "wait_total": 2 }))?;
    browser.ask(json!({ "wait_for": "#owners .owner" }))?;
    let state = browser.ask(json!({ "state": true }))?;
    ensure!(
        state["terms"] == json!([["Brand och brandskador", "2", "0", "0"]]),
        "{state}"
    );
    // Open actions per responsible organisation: the police's, overdue,
    // from the walk.
    let actions = &state["actions"];
    ensure!(
        actions.as_array().is_some_and(|a| a.len() == 1)
            && actions[0]["org"] == POLICE
            && actions[0]["heading"]
                .as_str()
                .is_some_and(|h| h.ends_with("1 öppna, 1 försenade")),
        "{actions}"
    );
    ensure!(
        actions[0]["writable"] == json!([false]),
        "a viewer sees the status, no choice: {actions}"
    );
    let shown = &actions[0]["rows"][0];
    ensure!(
        shown[0] == "Åtgärda enligt iakttagelsen (demo)."
            && shown[1] == "Accepterad"
            && shown[2] == "2026-01-15"
            && shown[4]
                .as_str()
                .is_some_and(|s| s.starts_with("Trygghetsvandring: ")),
        "{shown}"
    );

    // A device's new observation appears without a reload.
    let third = fire(&d.id, &area, &place)?;
    district.edit(&id, |tx| edit::put_observation(tx, &third))?;
    ensure!(district.all_on_server(WAIT).await);
    let live = browser.ask(json!({ "wait_total": 3 }))?;
    let ms = live["ms"].as_u64().context("ms")?;
    println!("dashboard: a device's observation on the open page {ms} ms after the server had it");
    ensure!(ms < 2_000, "{live}");
    let state = browser.ask(json!({ "state": true }))?;
    // The map: the 11 districts and the water drawn from the server's own
    // outlines (no tiles), the three fires at one place as one cluster.
    let map = &state["map"];
    ensure!(
        map["districts"] == 11 && map["water"] == 1 && map["placed"] == 3,
        "{map}"
    );
    ensure!(map["clusters"] == json!([3]), "{map}");
    ensure!(
        map["labels"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("Järva"))),
        "{map}"
    );
    ensure!(
        state["hot_spots"]
            .as_array()
            .is_some_and(|h| h.len() == 1 && h[0][1] == "3" && h[0][3] == "ny"),
        "three at one place this week is a new hot-spot: {state}"
    );
    // Districts side by side over 12 weeks: the walk's district has the
    // three, in the last week of its trend line, and the darkest grade;
    // every other district none.
    let compare = &state["compare"];
    let rows = compare["rows"].as_array().context("comparison rows")?;
    ensure!(rows.len() == 11, "{compare}");
    for r in rows {
        let (total, grade) = if r["code"] == area.as_str() {
            ("3", "5")
        } else {
            ("0", "0")
        };
        ensure!(
            r["cells"][2] == total
                && r["cells"][3] == "0"
                && r["lines"] == 1
                && compare["grades"][r["code"].as_str().context("a code")?] == grade,
            "{r} in {compare}"
        );
    }
    let mine = rows
        .iter()
        .find(|r| r["code"] == area.as_str())
        .context("the walk's district")?;
    ensure!(mine["cells"][4] == "ny", "{mine}");
    // Exports: what the page shows, as a file; the week's three fires,
    // over a period of 4 weeks that the whole page then shows.
    let csv = browser.ask(json!({ "export": "csv", "weeks": 4 }))?;
    ensure!(
        csv["total"] == "3"
            && csv["heading"]
                .as_str()
                .is_some_and(|h| h.starts_with("Veckorna ") && h.contains('–')),
        "{}, {}",
        csv["heading"],
        csv["total"]
    );
    let name = csv["name"].as_str().context("a file name")?;
    ensure!(
        name.starts_with("trygg-stockholm-") && name.ends_with(".csv") && name.contains("--"),
        "{csv}"
    );
    let text = csv["text"].as_str().context("the file")?;
    let lines: Vec<&str> = text.lines().collect();
    ensure!(
        lines.len() == 4
            && lines[0].starts_with("\u{feff}observerad;")
            && lines[1..]
                .iter()
                .all(|l| l.contains(";Brand och brandskador;brand;4;")),
        "{text}"
    );
    let geo = browser.ask(json!({ "export": "geojson" }))?;
    let geo: Value = serde_json::from_str(geo["text"].as_str().context("the file")?)?;
    ensure!(
        geo["features"].as_array().is_some_and(|f| f.len() == 3),
        "{geo}"
    );
    // The walk's protocol: its findings, the action proposed from one of
    // them, on the page and as a PDF, read back with pdftotext.
    let protocol = browser.ask(json!({ "protocol": id.to_string() }))?;
    ensure!(
        protocol["heading"] == format!("Protokoll: {}", walk_now.route_name),
        "{protocol}"
    );
    let findings: Vec<&str> = protocol["findings"]
        .as_array()
        .context("findings")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ensure!(
        findings.len() == 3
            && findings
                .iter()
                .all(|f| f.starts_with("Brand och brandskador, allvarlighet 4"))
            && findings
                .iter()
                .filter(|f| f.contains("Åtgärd: Åtgärda enligt iakttagelsen (demo)."))
                .count()
                == 1,
        "{protocol}"
    );
    let text = pdf_text(protocol["pdf"].as_str().context("the PDF's path")?)?;
    for expected in [
        format!("Protokoll, trygghetsvandring: {}", walk_now.route_name),
        "Iakttagelser (3)".to_string(),
        "1. Brand och brandskador, allvarlighet 4".to_string(),
        "Åtgärd: Åtgärda enligt iakttagelsen (demo).".to_string(),
        "senast 2026-01-15, status: Accepterad".to_string(),
        "sida 1 av 1".to_string(),
    ] {
        ensure!(
            text.contains(&expected),
            "`{expected}` is not in the PDF:\n{text}"
        );
    }
    ensure!(
        protocol["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("trygg-protokoll-") && n.ends_with(".pdf")),
        "{protocol}"
    );
    browser.ask(json!({ "screenshot": "dashboard-protocol" }))?;
    browser.ask(json!({ "screenshot": "dashboard-lagesbild" }))?;
    let heat = browser.ask(json!({ "map_mode": "heat" }))?;
    ensure!(
        heat["heat_cells"].as_u64().is_some_and(|n| n >= 1) && heat["clusters"] == json!([]),
        "{heat}"
    );
    browser.ask(json!({ "screenshot": "dashboard-heat" }))?;
    // In print: the map stays, spread over the page; the controls go.
    let printed = browser.ask(json!({ "print": "dashboard" }))?;
    ensure!(
        printed["map"]["width"].as_f64().is_some_and(|w| w > 500.0)
            && printed["map"]["heat_cells"] == heat["heat_cells"]
            && printed["controls_hidden"] == true
            && printed["pdf_bytes"].as_u64().is_some_and(|b| b > 20_000),
        "{printed}"
    );
    browser.ask(json!({ "map_mode": "clusters" }))?;

    // Filters: another district has none of them; this one all three.
    let other = areas
        .keys()
        .find(|a| **a != area)
        .context("two districts")?;
    ensure!(browser.ask(json!({ "area": other }))?["total"] == 0);
    let zoomed = browser.ask(json!({ "state": true }))?["map"].clone();
    ensure!(
        zoomed["placed"] == 0 && zoomed["clusters"] == json!([]),
        "{zoomed}"
    );
    ensure!(browser.ask(json!({ "area": area }))?["total"] == 3);
    let zoomed = browser.ask(json!({ "state": true }))?["map"].clone();
    ensure!(
        zoomed["placed"] == 3 && zoomed["clusters"] == json!([3]),
        "{zoomed}"
    );

    // Over HTTP: the police's person sees their own report, not the walk.
    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_officer, police_link) = add_person(
        w.data_dir(),
        &base,
        POLICE,
        "coordinator",
        "Samordnare (test)",
    );
    let logged_in = login(&http, &base, &police_link).await?;
    ensure!(logged_in.status() == StatusCode::OK);
    let cookie = cookie_of(&logged_in)?;
    let picture = get_json(&http, &base, &cookie, "/dashboard/api/lagesbild").await?;
    ensure!(picture["total"]["in_period"] == 1, "{picture}");
    // A period of 4 weeks ending with this one holds the report too; the
    // longest period is 52 weeks.
    let month = get_json(&http, &base, &cookie, "/dashboard/api/lagesbild?weeks=4").await?;
    ensure!(
        month["total"]["in_period"] == 1
            && month["weeks"] == 4
            && month["week"] == picture["week"]
            && month["first_week"] != picture["week"]
            && month["from_ms"].as_i64() < picture["from_ms"].as_i64(),
        "{month}"
    );
    let too_long = http
        .get(base.join("/dashboard/api/lagesbild?weeks=53")?)
        .header("cookie", &cookie)
        .send()
        .await?;
    ensure!(too_long.status() == StatusCode::BAD_REQUEST);
    let said = too_long.text().await?;
    ensure!(said.contains("1 to 52 weeks, not 53"), "{said}");
    let map = get_json(&http, &base, &cookie, "/dashboard/api/map").await?;
    let shown = ["placed", "outside", "unplaced"]
        .iter()
        .map(|k| map[k].as_u64().unwrap_or(u64::MAX))
        .sum::<u64>();
    ensure!(shown == 1, "the police's map has their one report: {map}");
    // Nor the district's walk or its protocol (the action from it, yes).
    let walks = get_json(&http, &base, &cookie, "/dashboard/api/walks").await?;
    ensure!(walks == json!([]), "{walks}");
    let hidden = http
        .get(base.join(&format!("/dashboard/api/walks/{id}/protocol.pdf"))?)
        .header("cookie", &cookie)
        .send()
        .await?;
    ensure!(hidden.status() == StatusCode::NOT_FOUND);
    // Exports hold what the person may read, nothing else: the police their
    // restricted report; a housing company's viewer not even that.
    let export = |cookie: String, format: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .get(base.join(&format!("/dashboard/api/export.{format}?weeks=2"))?)
                .header("cookie", cookie)
                .send()
                .await?
                .error_for_status()?;
            ensure!(
                r.headers()["content-disposition"]
                    .to_str()?
                    .starts_with("attachment; filename=\"trygg-stockholm-"),
                "{:?}",
                r.headers()
            );
            Ok::<_, anyhow::Error>(r.text().await?)
        }
    };
    let police_csv = export(cookie.clone(), "csv").await?;
    ensure!(police_csv.lines().count() == 2, "{police_csv}");
    let (_, housing_link) = add_person(w.data_dir(), &base, HOUSING, "viewer", "Fastighet (test)");
    let housing = cookie_of(&login(&http, &base, &housing_link).await?)?;
    let housing_csv = export(housing.clone(), "csv").await?;
    ensure!(housing_csv.lines().count() == 1, "{housing_csv}");
    let housing_geo: Value = serde_json::from_str(&export(housing.clone(), "geojson").await?)?;
    ensure!(housing_geo["features"] == json!([]), "{housing_geo}");
    let too_long = http
        .get(base.join("/dashboard/api/export.csv?weeks=200")?)
        .header("cookie", &housing)
        .send()
        .await?;
    ensure!(too_long.status() == StatusCode::BAD_REQUEST);
    ensure!(too_long.text().await?.contains("weeks is 1 to 104"));
    // A spent link, no cookie, a made-up cookie, a bad week: refused, clearly.
    let again = login(&http, &base, &police_link).await?;
    ensure!(again.status() == StatusCode::UNAUTHORIZED);
    ensure!(again.text().await?.contains("used already"));
    for cookie in [None, Some("trygg_session=trygg_made_up")] {
        let mut req = http.get(base.join("/dashboard/api/lagesbild")?);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        ensure!(req.send().await?.status() == StatusCode::UNAUTHORIZED);
    }
    let bad = http
        .get(base.join("/dashboard/api/lagesbild?week=2026-W60")?)
        .header("cookie", &cookie)
        .send()
        .await?;
    ensure!(bad.status() == StatusCode::BAD_REQUEST);
    ensure!(bad.text().await?.contains("not an ISO week"));
    // Logging out clears the cookie and ends the session on the server.
    let out = http
        .post(base.join("/dashboard/api/logout")?)
        .header("cookie", &cookie)
        .send()
        .await?;
    ensure!(out.status() == StatusCode::NO_CONTENT);
    let cleared = cookie_of(&out)?;
    ensure!(cleared == "trygg_session=", "{cleared}");
    let after = http
        .get(base.join("/dashboard/api/lagesbild")?)
        .header("cookie", &cookie)
        .send()
        .await?;
    ensure!(after.status() == StatusCode::UNAUTHORIZED);

    // The audit trail names the person: a login and what they looked at.
    let audited = |w: &World| admin(w.data_dir(), &["audit", "--device", &analyst]);
    let deadline = std::time::Instant::now() + WAIT;
    while !(audited(&w).contains("\tlogin\t") && audited(&w).contains("\tview\t")) {
        ensure!(
            std::time::Instant::now() < deadline,
            "no login and view in the audit trail:\n{}",
            audited(&w)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ensure!(audited(&w).contains(" area="), "{}", audited(&w));

    // Revoked: the open page is shut out within a second.
    admin(w.data_dir(), &["user", "revoke", &analyst]);
    let ended = browser.ask(json!({ "wait_ended": true }))?;
    let ms = ended["ended"].as_u64().context("ms")?;
    println!("dashboard: the revoked person's open page closed {ms} ms after the revocation");
    ensure!(ms < 1_000 && ended["picture_hidden"] == true, "{ended}");
    writeln!(browser.stdin, "{}", json!({ "quit": true }))?;
    browser.stdin.flush()?;
    if let Ok(line) = browser.lines.recv_timeout(Duration::from_secs(10)) {
        bail!("the page logged errors: {line}");
    }
    Ok(())
}

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
    police.edit(&id, |tx| {
        edit::set_action_status(tx, ActionStatus::InProgress)
    })?;
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
    writeln!(browser.stdin, "{}", json!({ "quit": true }))?;
    browser.stdin.flush()?;
    if let Ok(line) = browser.lines.recv_timeout(Duration::from_secs(10)) {
        bail!("the page logged errors: {line}");
    }
    Ok(())
}

/// A PDF's text as `pdftotext` reads it, with every run of white space one
/// space (so a line the PDF wrapped reads as one).
fn pdf_text(path: &str) -> Result<String> {
    let out = Command::new("pdftotext")
        .args([path, "-"])
        .output()
        .context("running pdftotext (scripts/setup.sh installs poppler-utils)")?;
    ensure!(
        out.status.success(),
        "pdftotext {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

/// `path` as JSON, for the person holding `cookie`.
async fn get_json(
    http: &reqwest::Client,
    base: &url::Url,
    cookie: &str,
    path: &str,
) -> Result<Value> {
    Ok(http
        .get(base.join(path)?)
        .header("cookie", cookie)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Metres between two points (near enough for a few kilometres).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (a.0 - b.0) * 111_320.0;
    let dx = (a.1 - b.1) * 111_320.0 * a.0.to_radians().cos();
    (dx * dx + dy * dy).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partner_sees_another_organisations_observations_only_in_aggregates() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let district = w.client("district", &d).await;
    let p = w.device(POLICE, "field");
    let police = w.client("police", &p).await;

    // The district's walk, shared with the housing company: six fires at
    // one place, and three litter observations 3 km away, this week.
    let (mut walk, reg) = new_walk(DISTRICT, &[HOUSING]);
    let walk_id = reg.id;
    let area = reg.area.clone().context("a walk has an area")?;
    let areas = trygg_core::seed::areas();
    let (place_id, place) = areas[&area].places.iter().next().context("a named place")?;
    let place_point = place.point.context("a place with a point")?;
    for _ in 0..6 {
        edit::put_observation(&mut walk, &fire(&d.id, &area, place_id)?)?;
    }
    for _ in 0..3 {
        let mut litter = observation(DISTRICT, &d.id, "Soptunnan är full", Sensitivity::Shared);
        litter.category = "nedskrapning".into();
        litter.location = Some(Location {
            point: Some(trygg_core::model::GeoPoint::new(
                place_point.lat - 0.03,
                place_point.lon,
            )),
            place_id: None,
        });
        edit::put_observation(&mut walk, &litter)?;
    }
    district.create(&mut walk, reg).await?;
    // The police's restricted report: nobody else sees it, in any form.
    let (mut report, report_reg) = new_report(POLICE, true, "");
    police.create(&mut report, report_reg).await?;
    ensure!(district.all_on_server(WAIT).await && police.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let person = |org: &'static str, name: &'static str| {
        let (http, base, dir) = (http.clone(), base.clone(), w.data_dir().to_path_buf());
        async move {
            let (_, link) = add_person(&dir, &base, org, "viewer", name);
            cookie_of(&login(&http, &base, &link).await?)
        }
    };
    let housing = person(HOUSING, "Fastighet (test)").await?;
    let own = person(DISTRICT, "Analytiker (test)").await?;
    let term = |picture: &Value, code: &str| {
        picture["terms"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["code"] == code))
            .map(|t| t["in_period"].clone())
    };
    // The index takes the walk in within a moment.
    let mut picture = Value::Null;
    for _ in 0..50 {
        picture = get_json(&http, &base, &housing, "/dashboard/api/lagesbild").await?;
        if picture["total"]["in_period"] == 9 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Counts: the total of nine shows; the three litter do not, nor the
    // six fires, from which 9 − 6 would give the three back.
    ensure!(picture["total"]["in_period"] == 9, "{picture}");
    ensure!(picture["suppressed"] == true, "{picture}");
    ensure!(
        term(&picture, "nedskrapning") == Some(Value::Null),
        "a count of 3 is suppressed: {picture}"
    );
    ensure!(
        term(&picture, "brand") == Some(Value::Null),
        "and the count it could be worked out from: {picture}"
    );
    // Hot-spots: the six fires' place; not the three.
    let hot = picture["hot_spots"].as_array().context("hot-spots")?;
    ensure!(
        hot.len() == 1 && hot[0]["place"] == place_id.as_str() && hot[0]["in_period"] == 6,
        "{picture}"
    );
    // Districts compared: the nine in the walk's district (six and three
    // in one week are each 5 or more together, so nothing is hidden), and
    // the police's restricted report in none.
    let compare = get_json(&http, &base, &housing, "/dashboard/api/compare?weeks=4").await?;
    let districts = compare["districts"].as_array().context("districts")?;
    ensure!(
        compare["city_total"] == 9
            && compare["suppressed"] == false
            && districts.len() == 11
            && districts.iter().all(|x| {
                let n = if x["code"] == area.as_str() { 9 } else { 0 };
                x["total"] == n && x["weeks"][3] == n
            }),
        "{compare}"
    );
    // The owning organisation sees every count.
    let theirs = get_json(&http, &base, &own, "/dashboard/api/lagesbild").await?;
    ensure!(
        theirs["suppressed"] == false
            && term(&theirs, "nedskrapning") == Some(json!(3))
            && term(&theirs, "brand") == Some(json!(6)),
        "{theirs}"
    );

    // The map: the six fires at their H3 cell's centre, not at their
    // place; the three litter withheld, and their number with them.
    let map = get_json(&http, &base, &housing, "/dashboard/api/map").await?;
    ensure!(
        map["placed"] == 6 && map["withheld"] == Value::Null && map["unplaced"] == 0,
        "{map}"
    );
    let clusters = map["clusters"].as_array().context("clusters")?;
    ensure!(clusters.len() == 1 && clusters[0]["count"] == 6, "{map}");
    let centre = (
        clusters[0]["lat"].as_f64().context("lat")?,
        clusters[0]["lon"].as_f64().context("lon")?,
    );
    let moved = metres(centre, (place_point.lat, place_point.lon));
    ensure!(
        moved > 1.0 && moved < 600.0,
        "the cell's centre is {moved:.0} m from the place"
    );
    let theirs = get_json(&http, &base, &own, "/dashboard/api/map").await?;
    ensure!(theirs["placed"] == 9 && theirs["withheld"] == 0, "{theirs}");

    // Exports: the same six, at the cell's centre, with the day but not
    // the time, no named place; the litter and the police's report absent.
    let csv = http
        .get(base.join("/dashboard/api/export.csv")?)
        .header("cookie", &housing)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    ensure!(lines.len() == 6, "{csv}");
    for line in &lines {
        let fields: Vec<&str> = line.split(';').collect();
        let point = (fields[8].parse::<f64>()?, fields[9].parse::<f64>()?);
        ensure!(
            fields[0].len() == "2026-12-03".len()
                && fields[3].is_empty()
                && fields[6] == "brand"
                && metres(point, centre) < 1.0,
            "{line}"
        );
    }
    let geo = get_json(&http, &base, &housing, "/dashboard/api/export.geojson").await?;
    let features = geo["features"].as_array().context("features")?;
    ensure!(features.len() == 6, "{geo}");
    for f in features {
        let at = &f["geometry"]["coordinates"];
        let point = (
            at[1].as_f64().context("lat")?,
            at[0].as_f64().context("lon")?,
        );
        ensure!(metres(point, centre) < 1.0, "{f}");
    }
    let theirs = http
        .get(base.join("/dashboard/api/export.csv")?)
        .header("cookie", &own)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    ensure!(theirs.lines().count() == 10, "{theirs}");

    // The walk's protocol: the housing company took part, so it has it,
    // without the district's free text; the district's own people see it all.
    let notes = |protocol: &Value| -> Vec<Value> {
        protocol["findings"]
            .as_array()
            .map(|f| f.iter().map(|f| f["note"].clone()).collect())
            .unwrap_or_default()
    };
    let path = format!("/dashboard/api/walks/{walk_id}/protocol");
    let partner = get_json(&http, &base, &housing, &path).await?;
    let notes_seen = notes(&partner);
    ensure!(
        notes_seen.len() == 9 && notes_seen.iter().all(Value::is_null),
        "{partner}"
    );
    let own_notes = notes(&get_json(&http, &base, &own, &path).await?);
    ensure!(
        own_notes
            .iter()
            .filter(|n| **n == "Soptunnan är full")
            .count()
            == 3,
        "{own_notes:?}"
    );
    Ok(())
}

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
    writeln!(browser.stdin, "{}", json!({ "quit": true }))?;
    browser.stdin.flush()?;
    if let Ok(line) = browser.lines.recv_timeout(Duration::from_secs(10)) {
        bail!("the page logged errors: {line}");
    }
    Ok(())
}
