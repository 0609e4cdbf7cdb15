//! The dashboard counts and names terms with the vocabulary document the
//! devices sync, not with a copy built into the server: a coordinator's new
//! version (a term deprecated with a replacement, a term renamed) holds in
//! the lägesbild and the exports from the next request, over HTTP.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use support::browser::Browser;
use support::dashboard::{download, get_json};
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, World, new_walk, observation};
use trygg_core::model::{Sensitivity, Vocabulary};
use trygg_core::{DocId, DocKind, document, edit};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

/// `(label, in_period)` of the term `code` in a lägesbild, if it has a row.
fn term(picture: &Value, code: &str) -> Option<(String, Value)> {
    picture["terms"].as_array()?.iter().find_map(|t| {
        (t["code"] == code).then(|| {
            (
                t["label"].as_str().unwrap_or_default().to_string(),
                t["in_period"].clone(),
            )
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coordinators_new_vocabulary_version_holds_in_the_dashboard_at_once() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;

    // This week: three hiding spots and two poor sightlines.
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    for (code, n) in [("gomstallen", 3), ("sikt", 2)] {
        for _ in 0..n {
            let mut o = observation(DISTRICT, &d.id, "", Sensitivity::Shared);
            o.category = code.into();
            edit::put_observation(&mut walk, &o)?;
        }
    }
    field.create(&mut walk, reg).await?;
    ensure!(field.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");
    let viewer = cookie_of(&login(&http, &base, &link).await?)?;
    let lagesbild = async |until: &dyn Fn(&Value) -> bool| -> Result<Value> {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let picture = get_json(&http, &base, &viewer, "/dashboard/api/lagesbild").await?;
            if until(&picture) || std::time::Instant::now() > deadline {
                return Ok(picture);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    // No vocabulary document on the server yet: the built-in version the
    // devices start from names the terms.
    let picture = lagesbild(&|p| p["total"]["in_period"] == 5).await?;
    ensure!(
        term(&picture, "gomstallen") == Some(("Gömställen".into(), 3.into()))
            && term(&picture, "sikt") == Some(("Sikt och överblick".into(), 2.into())),
        "{picture}"
    );

    // The coordinator publishes version 3: hiding spots go into sightlines,
    // which get a new name.
    let mut v3 = trygg_core::seed::vocabulary();
    v3.version = 3;
    let hiding = v3.terms.get_mut("gomstallen").context("gomstallen")?;
    hiding.deprecated = true;
    hiding.deprecated_in = Some(3);
    hiding.replaced_by = Some("sikt".into());
    v3.terms.get_mut("sikt").context("sikt")?.label_sv = "Sikt och gömställen".into();
    let vocabulary_id = DocId::random();
    coordinator
        .create(
            &mut document::create(&v3)?,
            RegisterDocument {
                id: vocabulary_id,
                kind: DocKind::Vocabulary,
                area: None,
                shared_with: Default::default(),
                restricted: false,
                responsible_org: None,
            },
        )
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    let picture = lagesbild(&|p| term(p, "gomstallen").is_none()).await?;
    ensure!(
        term(&picture, "sikt") == Some(("Sikt och gömställen".into(), 5.into()))
            && term(&picture, "gomstallen").is_none()
            && picture["total"]["in_period"] == 5,
        "the old code is counted under its replacement, by the new name: {picture}"
    );
    // The export names the replacement, by today's code, as it counts.
    let (_, csv) = download(&http, &base, &viewer, "/dashboard/api/export.csv").await?;
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    ensure!(
        rows.len() == 5
            && rows
                .iter()
                .all(|r| r.contains(";Sikt och gömställen;sikt;")),
        "{csv}"
    );

    // A later edit of the same document (version 4, a new name) holds too.
    coordinator
        .edit(&vocabulary_id, |tx| {
            let mut v: Vocabulary = document::read(tx)?;
            v.version = 4;
            if let Some(t) = v.terms.get_mut("sikt") {
                t.label_sv = "Överblick".into();
            }
            document::write(tx, &v)
        })
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    let picture =
        lagesbild(&|p| term(p, "sikt").is_some_and(|(label, _)| label == "Överblick")).await?;
    ensure!(
        term(&picture, "sikt") == Some(("Överblick".into(), 5.into())),
        "{picture}"
    );
    Ok(())
}

/// `(status, body)` of a JSON request with the person's cookie.
async fn send(
    http: &reqwest::Client,
    base: &url::Url,
    cookie: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Result<(u16, Value)> {
    let answer = http
        .request(method, base.join(path)?)
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await?;
    let status = answer.status().as_u16();
    Ok((status, answer.json().await?))
}

/// A coordinator edits the common vocabulary in the dashboard (in
/// chromium): renames a term, adds one, deprecates one with a replacement,
/// reads what changed between two versions, and imports the shipped CSV
/// file after a preview (5 rows refused, each named). Each edit is a new
/// version that a device receives by sync, and the lägesbild counts the
/// deprecated code under its replacement. Over HTTP: a viewer may read but
/// not edit, bad input is refused with what is wrong, the CSV export reads
/// back as unchanged, and a vocabulary that
/// a merge left with a replacement cycle still reads, with the cycle named.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_coordinator_edits_the_vocabulary_in_the_dashboard_and_devices_receive_it() -> Result<()>
{
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;
    let vocabulary_id = DocId::random();
    coordinator
        .create(
            &mut document::create(&trygg_core::seed::vocabulary())?,
            RegisterDocument {
                id: vocabulary_id,
                kind: DocKind::Vocabulary,
                area: None,
                shared_with: Default::default(),
                restricted: false,
                responsible_org: None,
            },
        )
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    // Two hiding spots this week.
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    for _ in 0..2 {
        let mut o = observation(DISTRICT, &d.id, "", Sensitivity::Shared);
        o.category = "gomstallen".into();
        edit::put_observation(&mut walk, &o)?;
    }
    field.create(&mut walk, reg).await?;
    ensure!(field.all_on_server(WAIT).await);

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

    // A viewer reads the vocabulary but may not change it.
    let view = get_json(&http, &base, &viewer, "/dashboard/api/vocabulary").await?;
    ensure!(
        view["version"] == 2
            && view["can_edit"] == false
            && view["why_not"]
                .as_str()
                .is_some_and(|w| w.contains("coordinators"))
            && view["doc_id"] == vocabulary_id.to_string(),
        "{view}"
    );
    let new_term = serde_json::json!({
        "code": "elsparkcyklar", "group": "fysisk_miljo",
        "label_sv": "Elsparkcyklar", "label_en": "E-scooters"
    });
    let (status, body) = send(
        &http,
        &base,
        &viewer,
        reqwest::Method::POST,
        "/dashboard/api/vocabulary/terms",
        new_term.clone(),
    )
    .await?;
    ensure!(status == 403, "{status} {body}");
    // Bad input from a coordinator: refused with what is wrong, nothing made.
    for (method, path, body, says) in [
        (
            reqwest::Method::POST,
            "/dashboard/api/vocabulary/terms",
            serde_json::json!({"code": "belysning", "group": "fysisk_miljo", "label_sv": "Ljus", "label_en": "Light"}),
            "is taken",
        ),
        (
            reqwest::Method::POST,
            "/dashboard/api/vocabulary/terms",
            serde_json::json!({"code": "Ny Term", "group": "fysisk_miljo", "label_sv": "Ny", "label_en": "New"}),
            "a code is",
        ),
        (
            reqwest::Method::PUT,
            "/dashboard/api/vocabulary/terms/finns_inte",
            serde_json::json!({"group": "fysisk_miljo", "label_sv": "X", "label_en": "X"}),
            "finns_inte",
        ),
        (
            reqwest::Method::POST,
            "/dashboard/api/vocabulary/terms/sikt/deprecate",
            serde_json::json!({"replaced_by": "skrap"}),
            "is deprecated",
        ),
        (
            reqwest::Method::POST,
            "/dashboard/api/vocabulary/terms",
            serde_json::json!({"code": "x1", "label_sv": "X"}),
            "missing field",
        ),
    ] {
        let (status, answer) = send(&http, &base, &writer, method, path, body).await?;
        let text = answer["error"].as_str().unwrap_or_default();
        ensure!(
            (400..500).contains(&status) && text.contains(says),
            "{path}: {status} {answer}"
        );
    }
    let view = get_json(&http, &base, &writer, "/dashboard/api/vocabulary").await?;
    ensure!(view["version"] == 2 && view["can_edit"] == true, "{view}");

    // In the browser: rename, add, deprecate, compare.
    let (_, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (webb)",
    );
    let mut browser = Browser::open(&link, w.dir.path())?;
    browser.next()?;
    let shown = browser.ask(serde_json::json!({ "vocabulary": true }))?;
    ensure!(
        shown["can_new"] == true
            && shown["why"].is_null()
            && shown["facts"]
                .as_str()
                .is_some_and(|f| f.starts_with("Version 2 ")),
        "{shown}"
    );
    let renamed = browser.ask(serde_json::json!({ "vocab_edit": {
        "code": "belysning", "label_sv": "Belysning och ljus",
        "definition_sv": "Trasig, bländande eller otillräcklig belysning."
    }}))?;
    let row = |v: &Value, code: &str| -> Option<(String, String)> {
        v["terms"].as_array()?.iter().find_map(|r| {
            (r[0] == code).then(|| {
                (
                    r[1].as_str().unwrap_or_default().into(),
                    r[2].as_str().unwrap_or_default().into(),
                )
            })
        })
    };
    ensure!(
        renamed["message"]
            .as_str()
            .is_some_and(|m| m.contains("version 3"))
            && row(&renamed, "belysning")
                .is_some_and(|(l, s)| l == "Belysning och ljus" && s == "I bruk"),
        "{renamed}"
    );
    let added = browser.ask(serde_json::json!({ "vocab_new": new_term }))?;
    ensure!(
        row(&added, "elsparkcyklar").is_some_and(|(l, _)| l == "Elsparkcyklar"),
        "{added}"
    );
    let deprecated =
        browser.ask(serde_json::json!({ "vocab_deprecate": ["gomstallen", "sikt"] }))?;
    ensure!(
        deprecated["message"]
            .as_str()
            .is_some_and(|m| m.contains("version 5"))
            && row(&deprecated, "gomstallen")
                .is_some_and(|(_, s)| s.contains("räknas som Sikt och överblick")),
        "{deprecated}"
    );
    let diff = browser.ask(serde_json::json!({ "vocab_diff": [2, 5] }))?;
    let changes: Vec<&str> = diff["changes"]
        .as_array()
        .context("changes")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ensure!(
        changes.len() == 4
            && changes[0] == "belysning: benämning ”Belysning” → ”Belysning och ljus”"
            && changes[1].starts_with("belysning: definition ”Trasig eller")
            && changes[2] == "Ny: Elsparkcyklar (elsparkcyklar)"
            && changes[3] == "Ur bruk: gomstallen, ersatt av sikt",
        "{diff}"
    );
    let diff = browser.ask(serde_json::json!({ "vocab_diff": [3, 4] }))?;
    ensure!(
        diff["changes"].as_array().is_some_and(|c| c.len() == 1),
        "{diff}"
    );
    // The shipped sample file: previewed, then imported as version 6.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples/vocabulary-import.csv")
        .canonicalize()?;
    let preview =
        browser.ask(serde_json::json!({ "vocab_import": { "file": sample, "go": false } }))?;
    ensure!(
        preview["facts"] == "Förhandsgranskning: 3 rader ändrar, 5 tas inte, version 6."
            && preview["rows"].as_array().is_some_and(|r| r.len() == 9)
            && preview["vocabulary"]["facts"]
                .as_str()
                .is_some_and(|f| f.starts_with("Version 5 ")),
        "{preview}"
    );
    let imported =
        browser.ask(serde_json::json!({ "vocab_import": { "file": sample, "go": true } }))?;
    let outcome = |line: u64| -> (String, String) {
        imported["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r[0] == line))
            .map(|r| {
                (
                    r[2].as_str().unwrap_or_default().to_string(),
                    r[3].as_str().unwrap_or_default().to_string(),
                )
            })
            .unwrap_or_default()
    };
    ensure!(
        imported["facts"] == "Importerad: 3 rader tagna, 5 tas inte, version 6."
            && imported["vocabulary"]["facts"]
                .as_str()
                .is_some_and(|f| f.starts_with("Version 6 "))
            && imported["vocabulary"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("version 6"))
            && outcome(4).0 == "unchanged"
            && outcome(6).1.contains("a code is 2 to 40")
            && outcome(7).1.contains("unknown group")
            && outcome(8).1.contains("on line 2 already")
            && outcome(9).1.contains("back into use")
            && outcome(10)
                .1
                .contains("the row ends after 3 of the 8 columns")
            && row(&imported["vocabulary"], "belysning").is_some_and(|(l, _)| l == "Belysning"),
        "{imported}"
    );
    browser.ask(serde_json::json!({ "screenshot": "vocabulary" }))?;
    browser.finish()?;

    // The export reads back as all unchanged; what is not CSV, a file
    // without the columns and a viewer's import are refused.
    let exported = http
        .get(base.join("/dashboard/api/vocabulary.csv")?)
        .header("cookie", &viewer)
        .send()
        .await?;
    ensure!(
        exported.status() == 200
            && exported.headers()["content-type"]
                .to_str()?
                .starts_with("text/csv"),
        "{exported:?}"
    );
    let exported = exported.bytes().await?;
    ensure!(exported.starts_with(b"\xEF\xBB\xBFcode;group;label_sv;"));
    let post_csv = |cookie: &str, content_type: &str, body: Vec<u8>| {
        http.post(
            base.join("/dashboard/api/vocabulary/import?dry_run=true")
                .expect("url"),
        )
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
    };
    let again: Value = post_csv(&writer, "text/csv", exported.to_vec())
        .await?
        .json()
        .await?;
    ensure!(
        again["version"] == 6
            && again["version_before"] == 6
            && again["rows"].as_array().is_some_and(
                |rows| !rows.is_empty() && rows.iter().all(|r| r["outcome"] == "unchanged")
            ),
        "{again}"
    );
    for (cookie, content_type, body, status, says) in [
        (
            &writer,
            "application/json",
            exported.to_vec(),
            415,
            "text/csv",
        ),
        (
            &writer,
            "text/csv",
            b"a;b\n1;2\n".to_vec(),
            400,
            "lacks code, group",
        ),
        (&viewer, "text/csv", exported.to_vec(), 403, "coordinators"),
    ] {
        let answer = post_csv(cookie, content_type, body).await?;
        let got = answer.status().as_u16();
        let text = answer.text().await?;
        ensure!(
            got == status && text.contains(says),
            "{content_type}: {got} {text}"
        );
    }

    // The field device receives version 6 by sync.
    field.open(&vocabulary_id).await?;
    let received = support::world::eventually(WAIT, || {
        field
            .read(&vocabulary_id, |doc| {
                document::read::<Vocabulary, _>(doc).map(|v| v.version)
            })
            .is_ok_and(|v| v.is_ok_and(|v| v == 6))
    })
    .await;
    ensure!(received, "the field device did not receive version 6");
    let v = field.read(&vocabulary_id, document::read::<Vocabulary, _>)??;
    ensure!(
        v.terms["belysning"].definition_en == "Broken, glaring or insufficient lighting."
            && v.terms["elsparkcyklar"]
                .definition_sv
                .starts_with("Elsparkcyklar som")
            && v.current_code("gomstallen") == "sikt"
    );
    // The lägesbild counts the hiding spots as sightlines now.
    let picture = get_json(&http, &base, &viewer, "/dashboard/api/lagesbild").await?;
    ensure!(
        term(&picture, "sikt").is_some_and(|(_, n)| n == 2)
            && term(&picture, "gomstallen").is_none(),
        "{picture}"
    );

    // Two coordinators' offline edits merged into a replacement cycle:
    // the vocabulary still reads, in the dashboard too, with the cycle named.
    coordinator
        .edit(&vocabulary_id, |tx| {
            let mut v: Vocabulary = document::read(tx)?;
            v.version = 7;
            if let Some(sikt) = v.terms.get_mut("sikt") {
                sikt.deprecated = true;
                sikt.deprecated_in = Some(7);
                sikt.replaced_by = Some("gomstallen".into());
            }
            document::write(tx, &v)
        })
        .await?;
    ensure!(coordinator.all_on_server(WAIT).await);
    let deadline = std::time::Instant::now() + WAIT;
    let view = loop {
        let view = get_json(&http, &base, &writer, "/dashboard/api/vocabulary").await?;
        if view["version"] == 7 || std::time::Instant::now() > deadline {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ensure!(
        view["version"] == 7
            && view["problems"].as_array().is_some_and(|p| p
                .iter()
                .any(|p| p.as_str().is_some_and(|p| p.contains("lead in a circle")))),
        "{view}"
    );
    let picture = get_json(&http, &base, &viewer, "/dashboard/api/lagesbild").await?;
    ensure!(picture["total"]["in_period"] == 2, "{picture}");

    // A new group (a version of its own), then a term in it; a viewer and
    // a bad code are refused.
    let post_json = |cookie: &str, path: &str, body: Value| {
        http.post(base.join(path).expect("url"))
            .header("cookie", cookie)
            .json(&body)
            .send()
    };
    let group = json!({ "code": "trafik", "label_sv": "Trafik", "label_en": "Traffic" });
    for (cookie, body, status, says) in [
        (&viewer, group.clone(), 403, "coordinators"),
        (
            &writer,
            json!({ "code": "Trafik!", "label_sv": "Trafik", "label_en": "Traffic" }),
            400,
            "code",
        ),
        (
            &writer,
            json!({ "code": "underhall", "label_sv": "X", "label_en": "X" }),
            400,
            "is taken",
        ),
    ] {
        let answer = post_json(cookie, "/dashboard/api/vocabulary/groups", body).await?;
        let got = answer.status().as_u16();
        let text = answer.text().await?;
        ensure!(got == status && text.contains(says), "{got} {text}");
    }
    let added: Value = post_json(&writer, "/dashboard/api/vocabulary/groups", group)
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(added["version"] == 8, "{added}");
    let term: Value = post_json(
        &writer,
        "/dashboard/api/vocabulary/terms",
        json!({ "code": "fortkorning", "group": "trafik", "label_sv": "Fortkörning", "label_en": "Speeding" }),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    ensure!(term["version"] == 9, "{term}");
    let view = get_json(&http, &base, &viewer, "/dashboard/api/vocabulary").await?;
    ensure!(
        view["groups"].as_array().is_some_and(|g| g
            .iter()
            .any(|g| g["code"] == "trafik" && g["label_sv"] == "Trafik")),
        "{view}"
    );
    Ok(())
}
