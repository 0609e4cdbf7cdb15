//! Checklist templates in the dashboard (in chromium): a coordinator
//! previews the shipped XLSForm, imports it as a draft version of the
//! district's template, reads its questions and publishes it; a field
//! device receives the published version by sync. Over HTTP: a viewer
//! reads but may not import; the shipped form with rows Trygg cannot take
//! is reported row by row; a published version is never changed; the
//! version's XLSForm reads back as the same questions; what is not an
//! .xlsx workbook is refused.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use support::browser::Browser;
use support::dashboard::get_json;
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, World};
use trygg_core::model::ChecklistTemplate;
use trygg_core::{DocId, DocKind, Timestamp, document, seed};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn sample(name: &str) -> Result<std::path::PathBuf> {
    Ok(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples/xlsform")
        .join(name)
        .canonicalize()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coordinator_imports_an_xlsform_as_a_new_version_and_publishes_it() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;
    let template_id = DocId::random();
    let vocabulary_id = DocId::random();
    for (id, kind, mut doc) in [
        (
            vocabulary_id,
            DocKind::Vocabulary,
            document::create(&seed::vocabulary())?,
        ),
        (
            template_id,
            DocKind::Template,
            document::create(&seed::default_template(DISTRICT, Timestamp::now()))?,
        ),
    ] {
        coordinator
            .create(
                &mut doc,
                RegisterDocument {
                    id,
                    kind,
                    area: None,
                    shared_with: Default::default(),
                    restricted: false,
                    responsible_org: None,
                },
            )
            .await?;
    }
    ensure!(coordinator.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");
    let viewer = cookie_of(&login(&http, &base, &link).await?)?;
    let (_, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (test)",
    );
    let writer = cookie_of(&login(&http, &base, &link).await?)?;
    let park = std::fs::read(sample("trygghetsvandring-park.xlsx")?)?;
    let kobo = std::fs::read(sample("est-fran-kobo.xlsx")?)?;
    let import_url = |dry: bool| {
        base.join(&format!(
            "/dashboard/api/templates/{template_id}/import{}",
            if dry { "?dry_run=true" } else { "" }
        ))
    };
    let post = |cookie: &str, content_type: &str, body: Vec<u8>, dry: bool| {
        http.post(import_url(dry).expect("url"))
            .header("cookie", cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    // A viewer lists the template but may not import.
    let listed = get_json(&http, &base, &viewer, "/dashboard/api/templates").await?;
    ensure!(
        listed[0]["doc_id"] == template_id.to_string()
            && listed[0]["can_edit"] == false
            && listed[0]["versions"][0]["version"] == 1,
        "{listed}"
    );
    let refused = post(&viewer, XLSX, park.clone(), true).await?;
    ensure!(refused.status() == 403, "{refused:?}");
    // Not a workbook, or not sent as one: refused, nothing made.
    for (content_type, body, status, says) in [
        ("text/csv", park.clone(), 415, ".xlsx workbook"),
        (XLSX, b"type,name\n".to_vec(), 400, "not an .xlsx workbook"),
    ] {
        let answer = post(&writer, content_type, body, false).await?;
        let got = answer.status().as_u16();
        let text = answer.text().await?;
        ensure!(
            got == status && text.contains(says),
            "{content_type}: {got} {text}"
        );
    }
    // The Kobo form: each row Trygg cannot take is named.
    let report: Value = post(&writer, XLSX, kobo, true).await?.json().await?;
    let rows = report["rows"].as_array().context("rows")?;
    let reason = |sheet: &str, line: u64| {
        rows.iter()
            .find(|r| r["sheet"] == sheet && r["line"] == line)
            .and_then(|r| r["reason"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    ensure!(
        report["not_taken"] == 15
            && report["made"] == false
            && report["questions"] == 4
            && reason("survey", 7).starts_with("select_multiple")
            && reason("survey", 13).contains("on line 5 already")
            && reason("choices", 4).contains("not a term"),
        "{report}"
    );

    // In the browser: preview, import, read, publish.
    let (_, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (webb)",
    );
    let mut browser = Browser::open(&link, w.dir.path())?;
    browser.next()?;
    let shown = browser.ask(serde_json::json!({ "templates": true }))?;
    ensure!(
        shown["can_import"] == true
            && shown["templates"][0]["versions"][0][1]
                .as_str()
                .is_some_and(|s| s.starts_with("Publicerad")),
        "{shown}"
    );
    let park_path = sample("trygghetsvandring-park.xlsx")?;
    let preview =
        browser.ask(serde_json::json!({ "tpl_import": { "file": park_path, "go": false } }))?;
    ensure!(
        preview["facts"] == "Förhandsgranskning: blir version 2 med 9 frågor; 0 rader tas inte."
            && preview["templates"][0]["versions"]
                .as_array()
                .is_some_and(|v| v.len() == 1),
        "{preview}"
    );
    let imported =
        browser.ask(serde_json::json!({ "tpl_import": { "file": park_path, "go": true } }))?;
    ensure!(
        imported["facts"] == "Importerad som utkast, version 2: 9 frågor, 0 rader tas inte."
            && imported["templates"][0]["versions"][0]
                == serde_json::json!([2, "Utkast", "9 frågor i 3 avsnitt"]),
        "{imported}"
    );
    let view = browser.ask(serde_json::json!({ "tpl_view": 2 }))?;
    let sections = view["sections"].as_array().context("sections")?;
    let first = &sections[0]["items"];
    ensure!(
        view["heading"]
            .as_str()
            .is_some_and(|h| h.ends_with("version 2 (utkast)"))
            && sections.len() == 3
            && sections[0]["title"] == "Entréer och gångvägar"
            && first[0][0] == "entre_upplyst"
            && first[0][1] == "yes_no"
            && first[0][2] == "Är entréerna upplysta? *"
            && sections[1]["items"][0][3]
                .as_str()
                .is_some_and(|t| t.contains("Belysning · ")),
        "{view}"
    );
    let published = browser.ask(serde_json::json!({ "tpl_publish": 2 }))?;
    ensure!(
        published["message"]
            .as_str()
            .is_some_and(|m| m.contains("Version 2"))
            && published["templates"][0]["versions"][0][1]
                .as_str()
                .is_some_and(|s| s.starts_with("Publicerad")),
        "{published}"
    );
    browser.ask(serde_json::json!({ "screenshot": "templates" }))?;
    browser.finish()?;

    // A published version never changes.
    let again = http
        .post(base.join(&format!(
            "/dashboard/api/templates/{template_id}/versions/2/publish"
        ))?)
        .header("cookie", &writer)
        .send()
        .await?;
    let status = again.status().as_u16();
    let text = again.text().await?;
    ensure!(status == 409 || status == 400, "{status} {text}");
    ensure!(text.contains("published already"), "{text}");

    // The field device receives version 2, published, by sync.
    field.open(&template_id).await?;
    let received = support::world::eventually(WAIT, || {
        field
            .read(&template_id, |doc| {
                document::read::<ChecklistTemplate, _>(doc)
                    .map(|t| t.latest_published().map(|v| v.version))
            })
            .is_ok_and(|v| v.is_ok_and(|v| v == Some(2)))
    })
    .await;
    ensure!(received, "the field device did not receive version 2");
    let t = field.read(&template_id, document::read::<ChecklistTemplate, _>)??;
    let v2 = t.version(2).context("version 2")?;
    ensure!(t.version(1).is_some_and(|v| v.items().count() > 10));

    // Its XLSForm reads back as the same questions.
    let xlsx = http
        .get(base.join(&format!(
            "/dashboard/api/templates/{template_id}/versions/2/xlsform.xlsx"
        ))?)
        .header("cookie", &viewer)
        .send()
        .await?;
    ensure!(xlsx.status() == 200 && xlsx.headers()["content-type"] == XLSX);
    let form = trygg_forms::xlsform::read(&xlsx.bytes().await?, &seed::vocabulary())?;
    ensure!(
        form.sections == v2.sections && form.not_taken() == 0,
        "{:?}",
        form.report
    );
    Ok(())
}
