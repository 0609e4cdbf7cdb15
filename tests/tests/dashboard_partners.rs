//! Another organisation's observations in the dashboard, over HTTP: counted
//! only in aggregates (lägesbild, hot-spots, districts compared), small
//! counts suppressed; on the map and in the exports at their H3 cell's
//! centre, with the day but not the time; the walk's protocol without the
//! owner's free text; the police's restricted report nowhere.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use support::dashboard::{download, fire, get_json};
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, HOUSING, POLICE, World, new_report, new_walk, observation};
use trygg_core::edit;
use trygg_core::model::{Location, Sensitivity};

const WAIT: Duration = Duration::from_secs(30);

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
    let (_, csv) = download(&http, &base, &housing, "/dashboard/api/export.csv").await?;
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
    let (_, theirs) = download(&http, &base, &own, "/dashboard/api/export.csv").await?;
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
