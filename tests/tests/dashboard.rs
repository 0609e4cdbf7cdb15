//! The council dashboard, in Debian's chromium (headless, driven by
//! `playwright-core` from `tests/dashboard/lagesbild.mjs`), against a real
//! server with devices syncing real documents: a person logs in through a
//! one-time link, sees the picture (a week, and 4 weeks) of what their
//! organisation may read, sees a device's new observation arrive live,
//! filters by district, and is shut out within a second of being revoked.
//! Over HTTP: another organisation's person sees only their own, a spent
//! link opens nothing.
//!
//! `TRYGG_SCREENSHOTS=DIR` keeps the page's screenshots in DIR (the README's
//! are made this way, into `docs/screenshots`).

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::browser::Browser;
use support::dashboard::{bad_request, fire, get_json, pdf_images, pdf_text};
use support::people::{add_person, cookie_of, login};
use support::server::admin;
use support::world::{DISTRICT, HOUSING, POLICE, World, eventually_async, new_report, new_walk};
use trygg_core::model::{ActionStatus, PhotoRef, Walk};
use trygg_core::seed::demo;
use trygg_core::{DocId, DocKind, document, edit};
use trygg_sync::api::RegisterDocument;
use trygg_sync::photo::{clean, fixtures};

const WAIT: Duration = Duration::from_secs(30);

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
    // The first with a photo the device took (and uploads from its queue).
    let photo = clean(&fixtures::plain_jpeg(800, 600), "image/jpeg")?;
    let sha = district.add_photo(photo.clone()).await?;
    let mut with_photo = fire(&d.id, &area, &place)?;
    with_photo.photos.push(PhotoRef {
        sha256: sha.clone(),
        size: photo.bytes().len() as u64,
        media_type: photo.media_type().into(),
        caption: "Sotig fasad (test)".into(),
    });
    edit::put_observation(&mut walk, &with_photo)?;
    edit::put_observation(&mut walk, &fire(&d.id, &area, &place)?)?;
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
    let action_reg_id = action_reg.id;
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
        eventually_async(WAIT, || async {
            district.queued_photos().await.is_ok_and(|q| q.is_empty())
        })
        .await,
        "the photo was never uploaded"
    );
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
    district
        .edit(&id, |tx| edit::put_observation(tx, &third))
        .await?;
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
    // The severity filter and the legend follow the domain's scale, 1–4.
    ensure!(
        map["severities"] == json!(["1 Låg", "2 Måttlig", "3 Hög", "4 Akut"])
            && map["legend"]
                == json!([
                    "Allvarlighet 1 Låg",
                    "Allvarlighet 2 Måttlig",
                    "Allvarlighet 3 Hög",
                    "Allvarlighet 4 Akut"
                ]),
        "{map}"
    );
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
    // The photo on the page, loaded from the server, its caption shown to
    // the arranging organisation; in the PDF, scaled to print.
    ensure!(
        protocol["photos"]
            == json!([{
                "alt": "Foto 1: Brand och brandskador. Sotig fasad (test)",
                "width": 800,
                "height": 600,
            }]),
        "{protocol}"
    );
    let pdf = protocol["pdf"].as_str().context("the PDF's path")?;
    ensure!(
        pdf_images(pdf)? == [(640, 480)],
        "the PDF holds the photo: {:?}",
        pdf_images(pdf)
    );
    let text = pdf_text(pdf)?;
    for expected in [
        format!("Protokoll, trygghetsvandring: {}", walk_now.route_name),
        "Iakttagelser (3)".to_string(),
        "1. Brand och brandskador, allvarlighet 4".to_string(),
        "Åtgärd: Åtgärda enligt iakttagelsen (demo).".to_string(),
        "senast 2026-01-15, status: Accepterad".to_string(),
        "Foto 1: Sotig fasad (test)".to_string(),
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
    let said = bad_request(&http, &base, &cookie, "/dashboard/api/lagesbild?weeks=53").await?;
    ensure!(said.contains("1 to 52 weeks, not 53"), "{said}");
    // The severity scale is the domain's 1–4, in the filter and the API.
    let me = get_json(&http, &base, &cookie, "/dashboard/api/me").await?;
    let levels: Vec<&str> = me["severities"]
        .as_array()
        .context("severities")?
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    ensure!(levels == ["1", "2", "3", "4"], "{me}");
    let said = bad_request(
        &http,
        &base,
        &cookie,
        "/dashboard/api/lagesbild?min_severity=5",
    )
    .await?;
    ensure!(said.contains("1 (low) to 4 (acute), not 5"), "{said}");
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
    let photo_path = format!("/dashboard/api/walks/{id}/photos/{sha}");
    let hidden = http
        .get(base.join(&photo_path)?)
        .header("cookie", &cookie)
        .send()
        .await?;
    ensure!(
        hidden.status() == StatusCode::NOT_FOUND,
        "another organisation's person gets no photo of a walk they may not read"
    );
    // A person of the district gets it, as JPEG, and only through a walk
    // that shows it.
    let (_clerk, clerk_link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "viewer",
        "Handläggare (test)",
    );
    let clerk = cookie_of(&login(&http, &base, &clerk_link).await?)?;
    let shown = http
        .get(base.join(&photo_path)?)
        .header("cookie", &clerk)
        .send()
        .await?
        .error_for_status()?;
    ensure!(
        shown.headers()["content-type"] == "image/jpeg"
            && shown.headers()["x-content-type-options"] == "nosniff",
        "{:?}",
        shown.headers()
    );
    ensure!(shown.bytes().await? == photo.bytes());
    for (what, path) in [
        (
            "a photo the walk does not show",
            format!("/dashboard/api/walks/{id}/photos/{}", "0".repeat(64)),
        ),
        (
            "a name that is no hash",
            format!("/dashboard/api/walks/{id}/photos/..%2Fregistry.db"),
        ),
        (
            "the photo through another document",
            format!("/dashboard/api/walks/{}/photos/{sha}", action_reg_id),
        ),
    ] {
        let r = http
            .get(base.join(&path)?)
            .header("cookie", &clerk)
            .send()
            .await?;
        ensure!(
            r.status() == StatusCode::NOT_FOUND,
            "{what}: {}",
            r.status()
        );
    }
    let anonymous = http.get(base.join(&photo_path)?).send().await?;
    ensure!(
        anonymous.status() == StatusCode::UNAUTHORIZED,
        "{}",
        anonymous.status()
    );
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
    browser.finish()
}
