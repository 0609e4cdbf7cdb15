//! Checklist templates in the dashboard (in chromium): a coordinator
//! previews the shipped XLSForm, imports it as a draft version of the
//! district's template, reads its questions and publishes it; a field
//! device receives the published version by sync. Over HTTP: a viewer
//! reads but may not import; the shipped form with rows Trygg cannot take
//! is reported row by row; a published version is never changed; the
//! version's XLSForm reads back as the same questions; what is not an
//! .xlsx workbook is refused.
//!
//! The editor (in chromium): a coordinator makes a new template, writes
//! its first version in the page (a refused save marks the field the
//! server named), sees the questions laid out as the field app shows them,
//! saves and publishes it; a device receives it. Over HTTP: who may make
//! templates and drafts, every kind of bad form refused with nothing
//! written, and a published version left as it was when it is edited.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use support::browser::Browser;
use support::dashboard::get_json;
use support::people::{add_person, cookie_of, login, session};
use support::world::{DISTRICT, World};
use trygg_core::model::ChecklistTemplate;
use trygg_core::{DocId, DocKind, Timestamp, document, seed};
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::SyncClient;

const WAIT: Duration = Duration::from_secs(30);
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn sample(name: &str) -> Result<std::path::PathBuf> {
    Ok(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples/xlsform")
        .join(name)
        .canonicalize()?)
}

/// A server with the seed vocabulary and the default template (kept by
/// the district), a field device following nothing yet, and the
/// template's document id.
async fn world_with_template() -> Result<(World, SyncClient, DocId)> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;
    let template_id = DocId::random();
    for (id, kind, mut doc) in [
        (
            DocId::random(),
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
    Ok((w, field, template_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coordinator_imports_an_xlsform_as_a_new_version_and_publishes_it() -> Result<()> {
    let (w, field, template_id) = world_with_template().await?;
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
    let taken = |sheet: &str, line: u64| {
        rows.iter()
            .find(|r| r["sheet"] == sheet && r["line"] == line)
            .and_then(|r| r["what"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    ensure!(
        report["not_taken"] == 12
            && report["made"] == false
            && report["questions"] == 6
            && taken("survey", 7) == "2 yes/no questions (tider_dag, tider_kvall)"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coordinator_writes_a_new_template_in_the_editor_and_a_device_receives_it() -> Result<()>
{
    let (w, field, default_id) = world_with_template().await?;
    let http = reqwest::Client::new();
    let base = w.server.base();
    let dir = w.data_dir();
    let viewer = session(&http, dir, &base, DISTRICT, "viewer", "Analytiker (test)").await?;
    let writer = session(
        &http,
        dir,
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (test)",
    )
    .await?;
    let send = |method: reqwest::Method, cookie: &str, path: &str, body: &Value| {
        http.request(method, base.join(path).expect("url"))
            .header("cookie", cookie)
            .json(body)
            .send()
    };
    let answer = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        anyhow::Ok((status, r.text().await?))
    };
    let new = |id: &str, title: &str| serde_json::json!({ "template_id": id, "title_sv": title });

    // Who may make a template, and what id it may have.
    for (cookie, body, status, says) in [
        (&viewer, new("kvall", "Kväll"), 403, "cannot create"),
        (
            &writer,
            new("Kväll vandring", "Kväll"),
            400,
            "template_id: use at most 40",
        ),
        (
            &writer,
            new("kvall", " "),
            400,
            "title_sv: must not be empty",
        ),
        (
            &writer,
            new(seed::DEFAULT_TEMPLATE_ID, "Igen"),
            409,
            "already",
        ),
    ] {
        let (got, text) = answer(
            send(
                reqwest::Method::POST,
                cookie,
                "/dashboard/api/templates",
                &body,
            )
            .await?,
        )
        .await?;
        ensure!(got == status && text.contains(says), "{body}: {got} {text}");
    }
    let listed = get_json(&http, &base, &writer, "/dashboard/api/templates").await?;
    ensure!(
        listed.as_array().is_some_and(|l| l.len() == 1),
        "nothing made: {listed}"
    );

    // Bad drafts of the default template: refused, each at its place, and
    // nothing written.
    let draft = format!("/dashboard/api/templates/{default_id}/draft");
    let form = |items: Value| serde_json::json!({ "sections": [{ "title_sv": "Belysning", "items": items }] });
    let one = |kind: &str, prompt: &str, group: Value| serde_json::json!([{ "kind": kind, "prompt_sv": prompt, "vocabulary_group": group }]);
    for (cookie, body, status, says) in [
        (
            &viewer,
            form(one("yes_no", "Upplyst?", Value::Null)),
            403,
            "coordinators",
        ),
        (
            &writer,
            serde_json::json!({ "sections": [] }),
            400,
            "at least one question",
        ),
        (
            &writer,
            form(one("yes_no", "  ", Value::Null)),
            400,
            "sections.0.items.0.prompt_sv: must not be empty",
        ),
        (
            &writer,
            form(one("choice", "Vad?", Value::Null)),
            400,
            "sections.0.items.0.vocabulary_group",
        ),
        (
            &writer,
            form(one("choice", "Vad?", "vader".into())),
            400,
            "sections.0.items.0.vocabulary_group: `q1`: the vocabulary has no group \"vader\"",
        ),
        (
            &writer,
            form(one("slider", "Hur?", Value::Null)),
            400,
            "slider",
        ),
        (
            &writer,
            form(
                serde_json::json!([{ "id": "belysning-fungerar", "kind": "text", "prompt_sv": "Hur?" }]),
            ),
            400,
            "earlier version",
        ),
    ] {
        let (got, text) = answer(send(reqwest::Method::PUT, cookie, &draft, &body).await?).await?;
        // The message as the page shows it, not as JSON escapes it.
        let text = serde_json::from_str::<Value>(&text)?["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        ensure!(got == status && text.contains(says), "{body}: {got} {text}");
    }
    let versions = |t: &Value| t["versions"].as_array().map_or(0, Vec::len);
    let listed = get_json(&http, &base, &writer, "/dashboard/api/templates").await?;
    ensure!(versions(&listed[0]) == 1, "no draft was written: {listed}");

    // A published version is left as it was: editing it makes version 2.
    let v1 = get_json(
        &http,
        &base,
        &writer,
        &format!("/dashboard/api/templates/{default_id}/versions/1"),
    )
    .await?;
    let mut edited = v1["sections"].clone();
    edited[0]["items"][0]["prompt_sv"] = "Fungerar belysningen överallt?".into();
    for s in edited.as_array_mut().context("sections")? {
        for i in s["items"].as_array_mut().context("items")? {
            i.as_object_mut().context("item")?.remove("choices");
        }
    }
    for expected in [2, 2] {
        let (got, text) = answer(
            send(
                reqwest::Method::PUT,
                &writer,
                &draft,
                &serde_json::json!({ "sections": edited }),
            )
            .await?,
        )
        .await?;
        ensure!(
            got == 200 && text.contains(&format!("\"version\":{expected}")),
            "{got} {text}"
        );
    }
    let again = get_json(
        &http,
        &base,
        &writer,
        &format!("/dashboard/api/templates/{default_id}/versions/1"),
    )
    .await?;
    ensure!(again == v1, "version 1 changed: {again}");

    // In the browser: a new template written in the editor.
    let (_, link) = add_person(dir, &base, DISTRICT, "coordinator", "Samordnare (webb)");
    let mut browser = Browser::open(&link, w.dir.path())?;
    browser.next()?;
    browser.ask(serde_json::json!({ "templates": true }))?;
    let opened = browser
        .ask(serde_json::json!({ "tpl_new": { "id": "kvall", "title_sv": "Kvällsvandring" } }))?;
    ensure!(
        opened["heading"] == "Redigera Kvällsvandring"
            && opened["fields"]["sections.0.items.0.kind"] == "yes_no"
            && opened["created"]
                .as_str()
                .is_some_and(|m| m.contains("är skapad")),
        "{opened}"
    );
    let filled = browser.ask(serde_json::json!({ "tpl_fill": {
        "sections.0.title_sv": "Belysning",
        "sections.0.items.0.prompt_sv": "Är gångvägen upplyst?",
        "sections.0.items.0.required": true,
    } }))?;
    ensure!(
        filled["preview"][0]
            == serde_json::json!({ "title": "Belysning", "items": [["yes_no", "Är gångvägen upplyst? *", ["Ja", "Nej", "Ej aktuellt"]]] }),
        "{filled}"
    );
    // The preview is the field app's own code: its answers can be tried
    // (nothing is saved), and it speaks the app's other language.
    let tapped = browser.ask(serde_json::json!({ "tpl_preview_tap": [0, "yes"] }))?;
    ensure!(
        tapped == serde_json::json!([["yes", "true"], ["no", "false"], ["na", "false"]]),
        "{tapped}"
    );
    browser.ask(
        serde_json::json!({ "tpl_fill": { "sections.0.items.0.prompt_en": "Is the path lit?" } }),
    )?;
    let english = browser.ask(serde_json::json!({ "tpl_preview_lang": "en" }))?;
    ensure!(
        english["preview"][0]["items"][0]
            == serde_json::json!([
                "yes_no",
                "Is the path lit? *",
                ["Yes", "No", "Not applicable"]
            ]),
        "{english}"
    );
    browser.ask(serde_json::json!({ "tpl_preview_lang": "sv" }))?;
    browser.ask(serde_json::json!({ "tpl_click": ["item-add", "sections.0"] }))?;
    let choice =
        browser.ask(serde_json::json!({ "tpl_fill": { "sections.0.items.1.kind": "choice" } }))?;
    let group = choice["fields"]["sections.0.items.1.vocabulary_group"]
        .as_str()
        .context("a group field")?
        .to_string();
    // The choices are the group's terms in use (compared in any order).
    let vocabulary = seed::vocabulary();
    let mut terms: Vec<String> = vocabulary
        .active_terms()
        .into_iter()
        .filter(|t| t.group == group)
        .map(|t| t.label_sv.clone())
        .collect();
    terms.sort();
    let shown = &choice["preview"][0]["items"][1];
    let mut options: Vec<String> = shown[2]
        .as_array()
        .context("the choice's options")?
        .iter()
        .filter_map(|o| o.as_str().map(String::from))
        .collect();
    let first = options.remove(0);
    options.sort();
    ensure!(
        shown[0] == "choice"
            && shown[1] == "(frågan saknar text)"
            && first == "Välj …"
            && !terms.is_empty()
            && options == terms,
        "{choice}"
    );
    let refused = browser.ask(serde_json::json!({ "tpl_save": { "refused": true } }))?;
    ensure!(
        refused["invalid"]
            == serde_json::json!([["sections.0.items.1.prompt_sv", "must not be empty"]])
            && refused["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Rätta 1 fält")),
        "{refused}"
    );
    browser.ask(
        serde_json::json!({ "tpl_fill": { "sections.0.items.1.prompt_sv": "Vad syns mest?" } }),
    )?;
    let saved = browser.ask(serde_json::json!({ "tpl_save": {} }))?;
    let kvall = saved["templates"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["title"] == "Kvällsvandring"))
        .context("the new template listed")?;
    ensure!(
        saved["message"].as_str().is_some_and(|m| m.starts_with("Utkast version 1 är sparat"))
            && saved["invalid"] == serde_json::json!([])
            && kvall["versions"][0] == serde_json::json!([1, "Utkast", "2 frågor i 1 avsnitt"])
            // The ids the server gave come back into the form.
            && saved["legends"] == serde_json::json!(["Avsnitt 1 (s1)", "Fråga 1 (q1)", "Fråga 2 (q2)"])
            && saved["note"].as_str().is_some_and(|n| n.contains("Utkastet version 1")),
        "{saved}"
    );
    let published = browser.ask(serde_json::json!({ "tpl_publish": ["kvall", 1] }))?;
    ensure!(
        published["message"]
            .as_str()
            .is_some_and(|m| m.contains("Version 1")),
        "{published}"
    );
    browser.ask(serde_json::json!({ "screenshot": "template-editor" }))?;
    browser.finish()?;

    // What was saved: fresh ids, the kinds, the group; and a device has it.
    let listed = get_json(&http, &base, &viewer, "/dashboard/api/templates").await?;
    let made = listed
        .as_array()
        .and_then(|l| l.iter().find(|t| t["template_id"] == "kvall"))
        .context("kvall listed")?;
    ensure!(
        made["owner_org"] == DISTRICT && made["can_edit"] == false,
        "{made}"
    );
    let kvall_id: DocId = made["doc_id"].as_str().context("doc_id")?.parse()?;
    field.open(&kvall_id).await?;
    let received = support::world::eventually(WAIT, || {
        field
            .read(&kvall_id, |doc| {
                document::read::<ChecklistTemplate, _>(doc)
                    .map(|t| t.latest_published().map(|v| v.version))
            })
            .is_ok_and(|v| v.is_ok_and(|v| v == Some(1)))
    })
    .await;
    ensure!(
        received,
        "the field device did not receive the new template"
    );
    let t = field.read(&kvall_id, document::read::<ChecklistTemplate, _>)??;
    let v1 = t.version(1).context("version 1")?;
    let items: Vec<_> = v1
        .items()
        .map(|i| {
            (
                i.id.as_str(),
                i.kind.as_str(),
                i.required,
                i.vocabulary_group.clone(),
            )
        })
        .collect();
    ensure!(
        items
            == [
                ("q1", "yes_no", true, None),
                ("q2", "choice", false, Some(group))
            ],
        "{items:?}"
    );
    Ok(())
}
