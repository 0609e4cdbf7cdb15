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

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::people::{add_person, cookie_of, login};
use support::server::admin;
use support::world::{DISTRICT, POLICE, World, new_report, new_walk, observation};

use trygg_core::model::{ActionStatus, Location, Observation, Sensitivity, Severity, Walk};
use trygg_core::seed::demo;
use trygg_core::{DocId, DocKind, document, edit};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// The browser, driven by `lagesbild.mjs`: JSON lines each way.
struct Browser {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Browser {
    fn open(link: &str, screenshots: &std::path::Path) -> Result<Browser> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dashboard");
        ensure!(
            dir.join("node_modules/playwright-core").exists(),
            "run scripts/setup.sh: tests/dashboard's npm packages are missing"
        );
        let mut child = Command::new("node")
            .current_dir(&dir)
            .arg("lagesbild.mjs")
            .arg(link)
            .arg(screenshots)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting node lagesbild.mjs")?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Browser {
            child,
            stdin,
            lines,
        })
    }

    fn next(&self) -> Result<Value> {
        let line = self
            .lines
            .recv_timeout(WAIT)
            .context("the browser said nothing (see its stderr above)")?;
        serde_json::from_str(&line).with_context(|| format!("not JSON: {line}"))
    }

    fn ask(&mut self, command: Value) -> Result<Value> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        self.next()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("stopping the browser driver: {e}");
        }
        if let Err(e) = self.child.wait() {
            eprintln!("waiting for the browser driver: {e}");
        }
    }
}

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
    let picture: Value = http
        .get(base.join("/dashboard/api/lagesbild")?)
        .header("cookie", &cookie)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(picture["total"]["this_week"] == 1, "{picture}");
    let map: Value = http
        .get(base.join("/dashboard/api/map")?)
        .header("cookie", &cookie)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let shown = ["placed", "outside", "unplaced"]
        .iter()
        .map(|k| map[k].as_u64().unwrap_or(u64::MAX))
        .sum::<u64>();
    ensure!(shown == 1, "the police's map has their one report: {map}");
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
