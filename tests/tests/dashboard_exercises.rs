//! Exercises (*övning*) in the dashboard (real server, real devices,
//! chromium): a district runs one exercise in two districts beside a real
//! walk and an exercise report. The lägesbild, the exports and the walk
//! list leave the exercises out unless asked, and mark them when asked;
//! the protocol and its PDF say ÖVNING; the exercise's walks stand side by
//! side, with their answers and findings per district.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use automerge::AutoCommit;
use serde_json::{Value, json};
use support::browser::Browser;
use support::dashboard::{bad_request, download, fire, get_json, pdf_text};
use support::people::{add_person, session};
use support::world::{DISTRICT, World, yes};
use trygg_core::model::{Report, TemplateVersion, Walk};
use trygg_core::seed::{self, demo};
use trygg_core::{DocId, DocKind, Timestamp, document};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

fn register(id: DocId, kind: DocKind, area: Option<String>) -> RegisterDocument {
    RegisterDocument {
        id,
        kind,
        area,
        shared_with: Default::default(),
        restricted: false,
        responsible_org: None,
    }
}

/// A completed walk in `area` on `template`'s version with `fires` fires
/// at the area's first place, the first question answered yes.
fn walk(
    template: DocId,
    version: &TemplateVersion,
    area: &str,
    route: &str,
    fires: usize,
    exercise: bool,
) -> Result<(AutoCommit, RegisterDocument)> {
    let vocabulary = seed::vocabulary();
    let mut rng = demo::DemoRng::new(3);
    let district = &seed::areas()[area];
    let mut w: Walk = demo::exercise(
        &mut rng,
        &demo::WalkSpec {
            template_doc_id: &template.to_string(),
            template: version,
            vocabulary: &vocabulary,
            observations: 0,
            at: Timestamp::now(),
        },
        district,
    );
    w.owner_org = DISTRICT.into();
    w.organisations = [(DISTRICT.to_string(), Timestamp::now())].into();
    w.route_name = route.into();
    w.exercise = exercise;
    w.answers.clear();
    let first = version.items().next().context("a question")?;
    w.answers.insert(first.id.clone(), yes("field"));
    let place = district.places.keys().next().context("a place")?;
    for _ in 0..fires {
        let o = fire("field", area, place)?;
        w.observations.insert(o.id.clone(), o);
    }
    let id = DocId::random();
    Ok((
        document::create(&w)?,
        register(id, DocKind::Walk, Some(area.into())),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exercises_are_marked_everywhere_left_out_unless_asked_and_compared_side_by_side()
-> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;
    let template = seed::default_template(DISTRICT, Timestamp::now());
    let version = template.latest_published().context("published")?.clone();
    let template_id = DocId::random();
    coordinator
        .create(
            &mut document::create(&template)?,
            register(template_id, DocKind::Template, None),
        )
        .await?;
    let mut areas = seed::areas().into_values();
    let (a, b) = (
        areas.next().context("a district")?,
        areas.next().context("another")?,
    );
    // The real walk: 2 fires. The exercise: 3 fires in `a`, 1 in `b`. An
    // exercise report: 1 more.
    let mut ids = Vec::new();
    for (area, route, fires, exercise) in [
        (&a.code, "Verklig runda", 2, false),
        (&a.code, "Övningsrunda A", 3, true),
        (&b.code, "Övningsrunda B", 1, true),
    ] {
        let (mut doc, reg) = walk(template_id, &version, area, route, fires, exercise)?;
        ids.push(reg.id);
        field.create(&mut doc, reg).await?;
    }
    let (real, drill_a, drill_b) = (ids[0], ids[1], ids[2]);
    let mut rng = demo::DemoRng::new(5);
    let mut report: Report = demo::report(
        &mut rng,
        &seed::vocabulary(),
        DISTRICT,
        trygg_core::model::Sensitivity::Shared,
        0,
        Timestamp::now(),
    );
    report.area = a.code.clone();
    report.exercise = true;
    let place = a.places.keys().next().context("a place")?;
    let o = fire("field", &a.code, place)?;
    report.observations.insert(o.id.clone(), o);
    field
        .create(
            &mut document::create(&report)?,
            register(DocId::random(), DocKind::Report, Some(a.code.clone())),
        )
        .await?;
    ensure!(field.all_on_server(WAIT).await && coordinator.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let viewer = session(
        &http,
        w.data_dir(),
        &base,
        DISTRICT,
        "viewer",
        "Analytiker (test)",
    )
    .await?;
    let get = |path: String| {
        let (http, base, viewer) = (&http, &base, &viewer);
        async move { get_json(http, base, viewer, &path).await }
    };

    // The lägesbild counts real work only, unless asked.
    let total = |p: &Value| p["total"]["in_period"].as_u64();
    let mut counted = None;
    for _ in 0..100 {
        counted = total(&get("/dashboard/api/lagesbild?exercises=include".into()).await?);
        if counted == Some(7) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(
        counted == Some(7),
        "every observation, exercises too: {counted:?}"
    );
    let real_only = get("/dashboard/api/lagesbild".into()).await?;
    ensure!(total(&real_only) == Some(2), "{real_only}");
    let only = get("/dashboard/api/lagesbild?exercises=only".into()).await?;
    ensure!(total(&only) == Some(5), "{only}");
    let refused = bad_request(
        &http,
        &base,
        &viewer,
        "/dashboard/api/lagesbild?exercises=ja",
    )
    .await?;
    ensure!(
        refused.contains("exercises is exclude, include or only"),
        "{refused}"
    );
    // So does the district comparison (the same filters).
    let compare = get("/dashboard/api/compare".into()).await?;
    ensure!(compare["city_total"] == 2, "{compare}");
    let compare = get("/dashboard/api/compare?exercises=include".into()).await?;
    ensure!(compare["city_total"] == 7, "{compare}");

    // Exports: real work only, unless asked; then each row says which.
    let (name, csv) = download(&http, &base, &viewer, "/dashboard/api/export.csv").await?;
    let lines: Vec<&str> = csv.lines().collect();
    ensure!(
        lines.len() == 3 && !lines[0].contains("övning"),
        "{name}: {csv}"
    );
    let (name, csv) = download(
        &http,
        &base,
        &viewer,
        "/dashboard/api/export.csv?exercises=include",
    )
    .await?;
    let lines: Vec<&str> = csv.lines().collect();
    ensure!(
        name.contains("-med-ovningar")
            && lines.len() == 8
            && lines[0].ends_with(";övning")
            && lines.iter().filter(|l| l.ends_with(";ja")).count() == 5
            && lines.iter().filter(|l| l.ends_with(";nej")).count() == 2,
        "{name}: {csv}"
    );
    let (_, geo) = download(
        &http,
        &base,
        &viewer,
        "/dashboard/api/export.geojson?exercises=only",
    )
    .await?;
    let geo: Value = serde_json::from_str(&geo)?;
    let features = geo["features"].as_array().context("features")?;
    ensure!(
        features.len() == 5 && features.iter().all(|f| f["properties"]["exercise"] == true),
        "{geo}"
    );

    // The walk list shows every walk, the exercises marked.
    let walks = get("/dashboard/api/walks".into()).await?;
    let marked = |id: DocId| {
        walks
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["doc_id"] == id.to_string()))
            .map(|w| w["exercise"].clone())
    };
    ensure!(
        marked(real) == Some(json!(false))
            && marked(drill_a) == Some(json!(true))
            && marked(drill_b) == Some(json!(true)),
        "{walks}"
    );

    // The protocol and its PDF say so.
    let protocol = get(format!("/dashboard/api/walks/{drill_a}/protocol")).await?;
    ensure!(protocol["exercise"] == true, "{protocol}");
    let pdf = http
        .get(base.join(&format!("/dashboard/api/walks/{drill_a}/protocol.pdf"))?)
        .header("cookie", &viewer)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let path = w.dir.path().join("exercise.pdf");
    std::fs::write(&path, &pdf)?;
    let text = pdf_text(path.to_str().context("path")?)?;
    ensure!(
        text.contains("ÖVNING – Protokoll, trygghetsvandring: Övningsrunda A"),
        "{text}"
    );
    let real_protocol = get(format!("/dashboard/api/walks/{real}/protocol")).await?;
    ensure!(real_protocol["exercise"] == false, "{real_protocol}");

    // One exercise, two districts side by side.
    let exercises = get("/dashboard/api/exercises".into()).await?;
    let mut districts = vec![a.name.clone(), b.name.clone()];
    districts.sort();
    ensure!(
        exercises.as_array().map(Vec::len) == Some(1)
            && exercises[0]["template_id"] == template.template_id
            && exercises[0]["template_name"] == template.title_sv
            && exercises[0]["version"] == version.version
            && exercises[0]["walks"] == 2
            && exercises[0]["districts"] == json!(districts),
        "{exercises}"
    );
    let compared = get(format!(
        "/dashboard/api/exercises/{}/{}",
        template.template_id, version.version
    ))
    .await?;
    let columns: Vec<&str> = compared["walks"]
        .as_array()
        .context("walks")?
        .iter()
        .filter_map(|w| w["doc_id"].as_str())
        .collect();
    let (ia, ib) = (
        columns
            .iter()
            .position(|c| *c == drill_a.to_string())
            .context("a's column")?,
        columns
            .iter()
            .position(|c| *c == drill_b.to_string())
            .context("b's column")?,
    );
    let fires = compared["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|r| r["code"] == "brand"))
        .context("fires")?;
    ensure!(
        columns.len() == 2
            && fires["counts"][ia] == 3
            && fires["counts"][ib] == 1
            && compared["questions"][0]["answers"][ia] == "Ja"
            && compared["questions"].as_array().map(Vec::len) == Some(version.items().count()),
        "{compared}"
    );
    let missing = http
        .get(base.join(&format!(
            "/dashboard/api/exercises/{}/99",
            template.template_id
        ))?)
        .header("cookie", &viewer)
        .send()
        .await?;
    ensure!(missing.status() == 404, "{missing:?}");

    // The page: the filter, the marks and the side-by-side table.
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (webb)");
    let mut browser = Browser::open(&link, w.dir.path())?;
    let first = browser.next()?;
    ensure!(first["total"] == 2, "real work only at first: {first}");
    let included = browser.ask(json!({ "exercises_filter": "include" }))?;
    let badges = included["walks"].as_array().context("walks")?;
    ensure!(
        included["total"] == 7
            && included["shown"]
                .as_str()
                .is_some_and(|s| s.contains("Övningar räknas med"))
            && included["export_csv"]
                .as_str()
                .is_some_and(|h| h.contains("exercises=include"))
            && badges.len() == 3
            && badges
                .iter()
                .filter(|b| b[1] == true)
                .all(|b| b[0] != real.to_string())
            && badges.iter().filter(|b| b[1] == true).count() == 2,
        "{included}"
    );
    let back = browser.ask(json!({ "exercises_filter": "" }))?;
    ensure!(back["total"] == 2 && back["shown"].is_null(), "{back}");
    let shown = browser.ask(json!({ "exercise": template.template_id }))?;
    let table = shown["table"].to_string();
    ensure!(
        shown["columns"] == json!([columns[0], columns[1]])
            && shown["heading"]
                .as_str()
                .is_some_and(|h| h.contains("2 vandringar"))
            && table.contains("Besvarade frågor")
            && shown["findings"].as_array().is_some_and(|f| f
                .iter()
                .any(|r| r[0] == "Brand och brandskador" && r[ia + 1] == "3")),
        "{shown}"
    );
    browser.ask(json!({ "screenshot": "exercises" }))?;
    browser.finish()?;
    Ok(())
}
