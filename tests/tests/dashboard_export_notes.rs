//! Exports with notes: off until an organisation's coordinator turns them on
//! (in the browser); then its people's exports carry the notes of its own
//! observations, never another organisation's; only its coordinators may
//! change it, every change is audited, and turning it off takes the notes
//! out again.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::browser::Browser;
use support::dashboard::{download, fire, get_json};
use support::people::{add_person, cookie_of, login};
use support::server::admin;
use support::world::{DISTRICT, HOUSING, World, eventually, new_report, new_walk};
use trygg_core::edit;

const WAIT: Duration = Duration::from_secs(30);

/// The district's notes: five fires at one place, in a walk the housing
/// company takes part in (five, so the housing company sees them at all).
const DISTRICT_NOTES: [&str; 5] = [
    "Trasig lampa i portgången",
    "Brandlarmet tjöt i trapphuset",
    "Sotig vägg vid soprummet",
    "Brännmärken på bänken",
    "Rök från källarfönstret",
];
const HOUSING_NOTE: &str = "Fastighetens egen anteckning om källardörren";

/// The CSV's data lines' last field, by line.
fn last_fields(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|l| l.rsplit(';').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exports_carry_an_organisations_own_notes_once_its_coordinator_allows() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let district = w.client("district", &d).await;
    let h = w.device(HOUSING, "field");
    let housing_device = w.client("housing", &h).await;

    let (mut walk, reg) = new_walk(DISTRICT, &[HOUSING]);
    let area = reg.area.clone().context("a walk has an area")?;
    let areas = trygg_core::seed::areas();
    let place_id = areas[&area].places.keys().next().context("a named place")?;
    for note in DISTRICT_NOTES {
        let mut o = fire(&d.id, &area, place_id)?;
        o.note = autosurgeon::Text::with_value(note);
        edit::put_observation(&mut walk, &o)?;
    }
    district.create(&mut walk, reg).await?;
    // The housing company's own report (its own, not restricted).
    let (mut report, report_reg) = new_report(HOUSING, false, HOUSING_NOTE);
    housing_device.create(&mut report, report_reg).await?;
    ensure!(district.all_on_server(WAIT).await && housing_device.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let person = |org: &'static str, role: &'static str, name: &'static str| {
        let (http, base, dir) = (http.clone(), base.clone(), w.data_dir().to_path_buf());
        async move {
            let (id, link) = add_person(&dir, &base, org, role, name);
            anyhow::Ok((id, cookie_of(&login(&http, &base, &link).await?)?))
        }
    };
    let (analyst, viewer) = person(DISTRICT, "viewer", "Analytiker (test)").await?;
    let (_, housing_chief) = person(HOUSING, "coordinator", "Fastighetschef (test)").await?;

    // Off by default: no notes column, no note anywhere in the file.
    let mut csv = String::new();
    for _ in 0..100 {
        csv = download(&http, &base, &viewer, "/dashboard/api/export.csv")
            .await?
            .1;
        if csv.lines().count() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The five fires; the housing company's one observation is alone in
    // its H3 cell, so withheld (`suppress`).
    ensure!(csv.lines().count() == 6, "the five fires: {csv}");
    ensure!(
        !csv.contains("anteckning") && DISTRICT_NOTES.iter().all(|n| !csv.contains(n)),
        "{csv}"
    );
    let settings = get_json(&http, &base, &viewer, "/dashboard/api/settings").await?;
    ensure!(
        settings
            == json!({ "export_notes": false, "may_change": false,
                       "changed_by": null, "changed_at": null }),
        "{settings}"
    );

    // A viewer may not change it; nor may bad input.
    let put = |cookie: String, body: Value| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .put(base.join("/dashboard/api/settings")?)
                .header("cookie", cookie)
                .json(&body)
                .send()
                .await?;
            anyhow::Ok((r.status(), r.text().await?))
        }
    };
    let (status, text) = put(viewer.clone(), json!({ "export_notes": true })).await?;
    ensure!(
        status == StatusCode::FORBIDDEN && text.contains("only your organisation's coordinators"),
        "{status} {text}"
    );
    let (status, text) = put(housing_chief.clone(), json!({ "export_notes": "yes" })).await?;
    ensure!(
        status == StatusCode::BAD_REQUEST && text.contains("export_notes"),
        "{status} {text}"
    );
    let (status, text) = put(
        housing_chief.clone(),
        json!({ "export_notes": true, "for_org": DISTRICT }),
    )
    .await?;
    ensure!(
        status == StatusCode::BAD_REQUEST && text.contains("for_org"),
        "{status} {text}"
    );
    let settings = get_json(&http, &base, &viewer, "/dashboard/api/settings").await?;
    ensure!(settings["export_notes"] == false, "{settings}");

    // The district's coordinator turns it on in the browser.
    let (chief, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (test)",
    );
    let mut browser = Browser::open(&link, w.dir.path())?;
    let first = browser.next()?;
    ensure!(
        first["export_notes"]["choice_hidden"] == false
            && first["export_notes"]["checked"] == false
            && first["export_notes"]["state"] == "utan fritext och foton",
        "{first}"
    );
    let on = browser.ask(json!({ "export_notes": true }))?;
    let state = on["state"].as_str().context("the state line")?;
    ensure!(
        on["message"].is_null()
            && on["checked"] == true
            && state.starts_with("med anteckningarna från vår organisations egna observationer")
            && state.contains("ändrat av Samordnare (test)"),
        "{on}"
    );
    // The coordinator's own export, downloaded by the browser, carries them.
    let exported = browser.ask(json!({ "export": "csv" }))?;
    let text = exported["text"].as_str().context("the CSV")?;
    ensure!(
        exported["name"]
            .as_str()
            .is_some_and(|n| n.ends_with("-med-anteckningar.csv")),
        "{exported}"
    );
    ensure!(
        DISTRICT_NOTES.iter().all(|n| text.contains(n)),
        "the district's notes: {text}"
    );
    browser.finish()?;

    // The district's viewer: sees who turned it on, and gets the notes of
    // the district's own observations, never the housing company's.
    let settings = get_json(&http, &base, &viewer, "/dashboard/api/settings").await?;
    ensure!(
        settings["export_notes"] == true
            && settings["may_change"] == false
            && settings["changed_by"] == "Samordnare (test)"
            && settings["changed_at"].is_i64(),
        "{settings}"
    );
    let (name, csv) = download(&http, &base, &viewer, "/dashboard/api/export.csv").await?;
    ensure!(name.ends_with("-med-anteckningar.csv"), "{name}");
    ensure!(
        csv.lines()
            .next()
            .is_some_and(|h| h.ends_with(";lon;anteckning")),
        "{csv}"
    );
    let mut notes = last_fields(&csv);
    notes.sort();
    let mut expected: Vec<String> = DISTRICT_NOTES.iter().map(|n| n.to_string()).collect();
    expected.sort();
    ensure!(notes == expected, "{notes:?}\n{csv}");
    let geo = get_json(&http, &base, &viewer, "/dashboard/api/export.geojson").await?;
    let features = geo["features"].as_array().context("features")?;
    let mut geo_notes: Vec<String> = features
        .iter()
        .map(|f| {
            f["properties"]["note"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    geo_notes.sort();
    ensure!(geo_notes == expected, "{geo}");

    // The housing company's exports keep out of it until its own
    // coordinator turns them on, and then carry its own note only.
    let (_, theirs) = download(&http, &base, &housing_chief, "/dashboard/api/export.csv").await?;
    ensure!(
        !theirs.contains("anteckning") && !theirs.contains(HOUSING_NOTE),
        "{theirs}"
    );
    let (status, text) = put(housing_chief.clone(), json!({ "export_notes": true })).await?;
    ensure!(status == StatusCode::OK, "{status} {text}");
    let (_, theirs) = download(&http, &base, &housing_chief, "/dashboard/api/export.csv").await?;
    let mut notes = last_fields(&theirs);
    notes.sort();
    let mut expected = vec![String::new(); 5];
    expected.push(HOUSING_NOTE.to_string());
    expected.sort();
    ensure!(
        notes == expected && DISTRICT_NOTES.iter().all(|n| !theirs.contains(n)),
        "the district's notes never reach the housing company: {theirs}"
    );

    // Off again: the district's exports have no notes.
    let (status, text) = put(
        chief_cookie(&http, &base, w.data_dir()).await?,
        json!({ "export_notes": false }),
    )
    .await?;
    ensure!(status == StatusCode::OK, "{status} {text}");
    let (name, csv) = download(&http, &base, &viewer, "/dashboard/api/export.csv").await?;
    ensure!(
        !name.contains("anteckningar")
            && !csv.contains("anteckning")
            && DISTRICT_NOTES.iter().all(|n| !csv.contains(n)),
        "{name}\n{csv}"
    );

    // The audit trail: the coordinator's changes and the exports with notes.
    let audited = |who: &str| admin(w.data_dir(), &["audit", "--device", who]);
    ensure!(
        eventually(WAIT, || {
            let chief = audited(&chief);
            chief.contains("\tsettings\t") && chief.contains("export_notes=on")
        })
        .await,
        "{}",
        audited(&chief)
    );
    ensure!(
        eventually(WAIT, || audited(&analyst).contains("csv with notes")).await,
        "{}",
        audited(&analyst)
    );
    Ok(())
}

/// A session of a second district coordinator (the first one's session is
/// the browser's).
async fn chief_cookie(
    http: &reqwest::Client,
    base: &url::Url,
    dir: &std::path::Path,
) -> Result<String> {
    let (_, link) = add_person(dir, base, DISTRICT, "coordinator", "Ersättare (test)");
    cookie_of(&login(http, base, &link).await?)
}
