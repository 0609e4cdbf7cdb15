//! Trust against a real `trygg-server` on 127.0.0.1: unknown tokens are
//! limited per address (known devices are not), no token reaches the
//! server's log at any log level, and the audit trail names who read,
//! changed, shared or was refused which document, from where, without a
//! word of its content.

mod support;

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use reqwest::StatusCode;
use support::server::{Launch, Server, add_device, add_org, admin, free_port};
use support::world::{
    DISTRICT, HOUSING, POLICE, World, eventually, eventually_async, new_walk, observation,
};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use trygg_core::edit;
use trygg_core::model::Sensitivity;
use trygg_sync::SyncError;

async fn me(server: &Server, token: &str) -> Result<reqwest::Response> {
    Ok(reqwest::Client::new()
        .get(server.base().join("api/v1/me")?)
        .bearer_auth(token)
        .send()
        .await?)
}

/// The HTTP status a WebSocket handshake to `/sync` got (101 when it opened).
async fn sync_status(server: &Server, query: Option<&str>, bearer: Option<&str>) -> Result<u16> {
    let url = match query {
        Some(token) => format!("{}?token={token}", server.ws()),
        None => server.ws(),
    };
    let mut request = url.into_client_request()?;
    if let Some(token) = bearer {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, response)) => {
            socket.close(None).await?;
            Ok(response.status().as_u16())
        }
        Err(tungstenite::Error::Http(response)) => Ok(response.status().as_u16()),
        Err(e) => Err(e).context("WebSocket handshake"),
    }
}

#[tokio::test]
async fn unknown_tokens_from_one_address_are_limited_and_known_devices_are_not() -> Result<()> {
    let dir = tempfile::tempdir()?;
    add_org(dir.path(), "org-a", "district");
    let known = add_device(dir.path(), "org-a", "field");
    let server = Server::start(
        dir.path(),
        free_port(),
        &[
            "--unknown-token-burst",
            "3",
            "--unknown-tokens-per-minute",
            "1",
        ],
    );

    // Added after the server started: looked up, found, and not counted.
    let late = add_device(dir.path(), "org-a", "field");
    ensure!(me(&server, &late.token).await?.status() == StatusCode::OK);

    for i in 0..3 {
        let status = me(&server, &format!("trygg_guess{i}")).await?.status();
        ensure!(status == StatusCode::UNAUTHORIZED, "guess {i}: {status}");
    }
    let over = me(&server, "trygg_guess3").await?;
    ensure!(
        over.status() == StatusCode::TOO_MANY_REQUESTS,
        "{}",
        over.status()
    );
    let retry: u64 = over
        .headers()
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    ensure!((1..=60).contains(&retry), "Retry-After: {retry}");
    let body: serde_json::Value = over.json().await?;
    ensure!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("too many unknown tokens")),
        "{body}"
    );
    // Refused before any lookup, over HTTP and on the WebSocket alike.
    ensure!(me(&server, "trygg_guess4").await?.status() == StatusCode::TOO_MANY_REQUESTS);
    ensure!(sync_status(&server, Some("trygg_guess5"), None).await? == 429);

    // Devices the server knows are answered from its snapshot, unaffected.
    ensure!(me(&server, &known.token).await?.status() == StatusCode::OK);
    ensure!(me(&server, &late.token).await?.status() == StatusCode::OK);
    ensure!(sync_status(&server, None, Some(&known.token)).await? == 101);

    // Going over is logged once, not once per refused request.
    let log = server.log_text();
    let warnings = log
        .lines()
        .filter(|l| l.contains("too many unknown tokens from this address"))
        .count();
    ensure!(warnings == 1, "{warnings} warnings:\n{log}");
    Ok(())
}

#[tokio::test]
async fn no_token_reaches_the_server_log_even_at_trace_level() -> Result<()> {
    let dir = tempfile::tempdir()?;
    add_org(dir.path(), "org-a", "district");
    let device = add_device(dir.path(), "org-a", "field");
    let browser = add_device(dir.path(), "org-a", "viewer");
    let mut launch = Launch::new(dir.path(), free_port(), &[]);
    launch.env.push(("RUST_LOG".into(), "trace".into()));
    let server = launch.start();
    let late = add_device(dir.path(), "org-a", "field");
    let wrong = "trygg_wrongwrongwrongwrong";

    ensure!(me(&server, &device.token).await?.status() == StatusCode::OK);
    ensure!(me(&server, &late.token).await?.status() == StatusCode::OK);
    ensure!(me(&server, wrong).await?.status() == StatusCode::UNAUTHORIZED);
    ensure!(sync_status(&server, None, Some(&device.token)).await? == 101);
    ensure!(sync_status(&server, Some(&browser.token), None).await? == 101);
    ensure!(sync_status(&server, Some(wrong), None).await? == 401);
    ensure!(sync_status(&server, None, Some(wrong)).await? == 401);

    let log = server.log_text();
    ensure!(
        log.contains("/sync") || log.lines().count() > 50,
        "the server logged too little to tell:\n{log}"
    );
    for (name, token) in [
        ("device", device.token.as_str()),
        ("browser", browser.token.as_str()),
        ("late", late.token.as_str()),
        ("wrong", wrong),
    ] {
        let secret = token.strip_prefix("trygg_").unwrap_or(token);
        ensure!(
            !log.contains(secret),
            "the {name} token is in the server log:\n{}",
            log.lines()
                .filter(|l| l.contains(secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(())
}

/// One row of `admin audit`: time, device, org, action, document, from, detail.
#[derive(Debug)]
struct Row {
    device: String,
    org: String,
    action: String,
    doc: String,
    from: String,
    detail: String,
}

fn audit_rows(dir: &std::path::Path, args: &[&str]) -> Vec<Row> {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    let out = admin(dir, &all);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("time\tdevice\torg\taction\tdocument\tfrom\tdetail")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 7, "{l}");
            Row {
                device: f[1].into(),
                org: f[2].into(),
                action: f[3].into(),
                doc: f[4].into(),
                from: f[5].into(),
                detail: f[6].into(),
            }
        })
        .collect()
}

fn count(rows: &[Row], device: &str, action: &str) -> usize {
    rows.iter()
        .filter(|r| r.device == device && r.action == action)
        .count()
}

/// Every file in `dir` whose name starts with `prefix` (the database, its
/// WAL and shared memory), read whole.
fn files_starting(dir: &std::path::Path, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) {
            out.push((name, std::fs::read(entry.path())?));
        }
    }
    Ok(out)
}

fn holds(bytes: &[u8], word: &str) -> bool {
    bytes.windows(word.len()).any(|w| w == word.as_bytes())
}

/// Whether any change stored in the store file `db` (read through SQLite,
/// so its write-ahead log counts) holds `word`, decompressed: chunks are
/// often deflated, where a byte search of the file cannot see them. Each
/// document's chunks (snapshots, single changes, bundles of changes) are
/// loaded together and every change in them searched.
fn stored_changes_hold(db: &std::path::Path, word: &str) -> Result<bool> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare(
        "SELECT key, data FROM chunks WHERE key LIKE '%/incremental/%' OR key LIKE '%/snapshot/%'",
    )?;
    let chunks = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut docs: std::collections::BTreeMap<String, automerge::Automerge> = Default::default();
    for (key, data) in chunks {
        let doc = key.split('/').next().unwrap_or_default().to_string();
        docs.entry(doc).or_default().load_incremental(&data)?;
    }
    for doc in docs.values() {
        for change in doc.get_changes(&[]) {
            if holds(change.raw_bytes(), word) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_audit_trail_names_who_did_what_from_where_and_holds_no_content() -> Result<()> {
    let w = World::new(&[]);
    let (d, p, h) = (
        w.device(DISTRICT, "field"),
        w.device(POLICE, "field"),
        w.device(HOUSING, "viewer"),
    );
    let district = w.client("district", &d).await;
    let police = w.client("police", &p).await;
    let housing = w.client("housing", &h).await;
    let secret = "Blåklockan vid plank sju";
    // A walk shared with the police only, with a note in an observation.
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let id = reg.id;
    let noted = observation(DISTRICT, &d.id, secret, Sensitivity::Shared);
    edit::put_observation(&mut walk, &noted)?;
    district.create(&mut walk, reg).await?;
    // Five edits of the note: one "change" entry (repeats within a minute fold).
    let obs = noted.id.clone();
    for word in ["ett ", "två ", "tre ", "fyra ", "fem "] {
        district
            .edit(&id, |tx| edit::splice_note(tx, &obs, 0, 0, word))
            .await?;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    ensure!(district.all_on_server(Duration::from_secs(20)).await);
    police.refresh().await?;
    police.open(&id).await?;
    // The housing company may not read it: refused over sync and over HTTP.
    let refused = housing.open(&id).await;
    ensure!(
        matches!(refused, Err(SyncError::Unavailable(_))),
        "{refused:?}"
    );
    let http = reqwest::Client::new()
        .get(w.server.base().join(&format!("api/v1/documents/{id}"))?)
        .bearer_auth(&h.token)
        .send()
        .await?;
    ensure!(http.status() == StatusCode::NOT_FOUND);
    let photo = reqwest::Client::new()
        .get(
            w.server
                .base()
                .join(&format!("api/v1/photos/{}", "ab".repeat(32)))?,
        )
        .bearer_auth(&h.token)
        .send()
        .await?;
    ensure!(photo.status() == StatusCode::NOT_FOUND);
    // Stopped first: once the walk is shared with it, it would read it.
    housing.stop().await;
    district
        .api()?
        .set_sharing(&id, [POLICE.to_string(), HOUSING.to_string()].into())
        .await?;

    let dir = w.data_dir().to_path_buf();
    let id_text = id.to_string();
    let ready = eventually(Duration::from_secs(10), || {
        let rows = audit_rows(&dir, &["--doc", &id_text]);
        count(&rows, &d.id, "share") == 1 && count(&rows, &p.id, "read") == 1
    })
    .await;
    let rows = audit_rows(&dir, &["--doc", &id_text]);
    ensure!(ready, "{rows:#?}");
    ensure!(
        rows.iter()
            .all(|r| r.doc == id_text && r.from == "127.0.0.1"),
        "{rows:#?}"
    );
    ensure!(count(&rows, &d.id, "register") == 1, "{rows:#?}");
    ensure!(count(&rows, &d.id, "change") == 1, "folded: {rows:#?}");
    ensure!(count(&rows, &d.id, "read") == 1, "{rows:#?}");
    ensure!(count(&rows, &p.id, "change") == 0, "{rows:#?}");
    ensure!(count(&rows, &h.id, "read") == 0, "{rows:#?}");
    // Over sync and over HTTP (two addresses would be two entries; one
    // address folds the second refusal into the first).
    ensure!(count(&rows, &h.id, "refused") >= 1, "{rows:#?}");
    let register = rows
        .iter()
        .find(|r| r.action == "register")
        .context("register")?;
    ensure!(
        register.org == DISTRICT
            && register.detail == "kind=walk restricted=false shared_with=police",
        "{register:?}"
    );
    let share = rows.iter().find(|r| r.action == "share").context("share")?;
    ensure!(share.detail == "shared_with=housing,police", "{share:?}");
    ensure!(
        rows.first().is_some_and(|r| r.action == "register"),
        "oldest first: {rows:#?}"
    );

    // By device: the housing viewer's refusals, the photo's included.
    let by_housing = audit_rows(&dir, &["--device", &h.id]);
    ensure!(
        by_housing
            .iter()
            .all(|r| r.device == h.id && r.org == HOUSING)
    );
    ensure!(
        by_housing
            .iter()
            .any(|r| r.action == "refused" && r.detail == format!("sha256={}", "ab".repeat(32))),
        "{by_housing:#?}"
    );
    // By time: nothing from the future, everything from the last hour.
    ensure!(audit_rows(&dir, &["--since", "2999-01-01T00:00:00Z"]).is_empty());
    let hour = audit_rows(&dir, &["--since", "1h"]);
    ensure!(hour.len() >= rows.len() + by_housing.len() - 2, "{hour:#?}");
    ensure!(audit_rows(&dir, &["--since", "1h", "--limit", "2"]).len() == 2);
    let bad = Command::new(support::server_bin())
        .args(["admin", "--data-dir"])
        .arg(&dir)
        .args(["audit", "--since", "yesterday-ish"])
        .output()?;
    ensure!(!bad.status.success());
    ensure!(String::from_utf8_lossy(&bad.stderr).contains("neither an RFC 3339 time nor a span"));

    // Not a word of the content in the trail's files (WAL included); the
    // same search finds the document's id there, so it can fail.
    let words = ["Blåklockan", "plank sju", "fyra"];
    let audit_files = files_starting(&dir, "audit.db")?;
    ensure!(
        audit_files.iter().any(|(_, b)| holds(b, &id_text)),
        "the search does not find what is there"
    );
    for (name, bytes) in &audit_files {
        for word in words {
            ensure!(!holds(bytes, word), "`{word}` is in {name}");
        }
    }
    for c in [district, police] {
        c.stop().await;
    }
    Ok(())
}

/// The field app (`Field`, no window) on a viewer's token: the walk is shown
/// read-only and every edit is refused before anything is written, by the
/// same access rule the server applies. A device that edits anyway (here the
/// sync client underneath, as an older app would) sees its indicator say the
/// server refuses those changes, not "syncing" forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_viewer_sees_walks_read_only_and_its_indicator_tells_refused_from_waiting() -> Result<()>
{
    use trygg_app::dto::{AnswerInput, LocationInput, ObservationInput, ObservationTarget};
    use trygg_app::error::AppError;
    use trygg_app::field::Field;
    use trygg_sync::client::ConnectionState as Connection;

    let w = World::new(&[]);
    let (d, v) = (w.device(DISTRICT, "field"), w.device(DISTRICT, "viewer"));
    let district = w.client("district", &d).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    let id = reg.id;
    let noted = observation(DISTRICT, &d.id, "Lampan vid bron", Sensitivity::Shared);
    edit::put_observation(&mut walk, &noted)?;
    district.create(&mut walk, reg).await?;
    ensure!(district.all_on_server(Duration::from_secs(20)).await);

    // The app on the viewer's token.
    let app_dir = w.dir.path().join("viewer-app");
    let app = Field::open(&app_dir).await?;
    app.pair(w.server.base().as_str(), &v.token).await?;
    ensure!(!app.info().may_record, "a viewer records nothing");
    let shown = app.walk(&id.to_string()).await?;
    ensure!(shown.read_only && !shown.editable, "{shown:?}");
    let heads = shown.heads.clone();
    let read_only = |e: AppError| matches!(e, AppError::ReadOnly(_));
    let answer = app
        .answer(
            &id.to_string(),
            "any-item",
            Some(AnswerInput::YesNo("yes".into())),
        )
        .await;
    ensure!(answer.is_err_and(read_only), "answering a read-only walk");
    let obs = app
        .add_observation(
            ObservationTarget::Walk {
                walk: id.to_string(),
            },
            ObservationInput {
                category: "belysning".into(),
                severity: 2,
                note: String::new(),
                location: Some(LocationInput {
                    lat: Some(59.4),
                    lon: Some(17.9),
                    accuracy_m: Some(5.0),
                    ..Default::default()
                }),
                photos: vec![],
                item_id: None,
            },
        )
        .await;
    ensure!(
        obs.is_err_and(read_only),
        "an observation in a read-only walk"
    );
    let status = app.set_walk_status(&id.to_string(), "completed").await;
    ensure!(status.is_err_and(read_only), "completing a read-only walk");
    let report = app
        .add_observation(
            ObservationTarget::Report {
                area: "jarva".into(),
                restricted: false,
                exercise: false,
            },
            ObservationInput {
                category: "belysning".into(),
                severity: 2,
                note: String::new(),
                location: Some(LocationInput {
                    lat: Some(59.4),
                    lon: Some(17.9),
                    accuracy_m: Some(5.0),
                    ..Default::default()
                }),
                photos: vec![],
                item_id: None,
            },
        )
        .await;
    ensure!(
        matches!(report, Err(AppError::Forbidden(_))),
        "a viewer's EST report: {report:?}"
    );
    ensure!(
        app.walk(&id.to_string()).await?.heads == heads,
        "nothing was written"
    );
    let app_status = app.status().await?;
    ensure!(
        app_status.refused_documents == 0 && app_status.unsynced_documents == 0,
        "{app_status:?}"
    );
    app.shutdown().await;

    // The sync client underneath, editing anyway.
    let viewer = w.client("viewer", &v).await;
    viewer.refresh().await?;
    viewer.open(&id).await?;
    ensure!(viewer.all_on_server(Duration::from_secs(20)).await);
    viewer
        .edit(&id, |tx| {
            edit::splice_note(tx, &noted.id, 0, 0, "en läsare skrev: ")
        })
        .await?;
    let mut refused = false;
    for _ in 0..100 {
        let s = viewer.status_now().await;
        ensure!(s.connection != Connection::AllOnServer, "{s:?}");
        if s.connection == Connection::Refused {
            ensure!(
                s.refused_documents == 1 && s.unsynced_documents == 0,
                "{s:?}"
            );
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(
        refused,
        "the indicator never said the server refuses the change"
    );
    // And the server indeed kept the walk as it was.
    let district_heads = district.read(&id, |d| d.get_heads())?;
    ensure!(
        viewer.read(&id, |d| d.get_heads())? != district_heads,
        "the viewer's change is only on the viewer's device"
    );
    Ok(())
}

/// Every file under `dir`, recursively, read whole.
fn all_files(dir: &std::path::Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            out.extend(all_files(&path)?);
        } else {
            out.push((path.display().to_string(), std::fs::read(&path)?));
        }
    }
    Ok(out)
}

/// Retention: with `--retention-days`, an observation's note and photo older
/// than the period leave the server and both devices, including from the
/// CRDT history (the document is replaced by a fresh copy that devices
/// adopt) and from every SQLite file, write-ahead logs included; what the
/// picture counts (the observation, its category and place) and newer text
/// stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retention_purges_old_text_and_photos_from_every_file_history_included() -> Result<()> {
    use trygg_core::Timestamp;
    use trygg_core::model::PhotoRef;
    use trygg_sync::photo::{clean, fixtures};

    const WAIT: Duration = Duration::from_secs(30);
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    // Short: a change of a few hundred bytes is stored deflated as a whole.
    let old_words = "Blåklocka";
    let kept_words = "Porten vid Sju Lindar";
    let mut w = World::new(&[]);
    let (d, p) = (w.device(DISTRICT, "field"), w.device(POLICE, "field"));
    let district = w.client("district", &d).await;
    let police = w.client("police", &p).await;

    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let id = reg.id;
    let photo = clean(&fixtures::plain_jpeg(24, 16), "image/jpeg")?;
    let sha = district.add_photo(photo.clone()).await?;
    // The words go in as a change of their own: a big change's columns are
    // compressed, where no byte search could see them before or after.
    let mut old = observation(DISTRICT, &d.id, "", Sensitivity::Shared);
    old.observed_at = Timestamp(Timestamp::now().millis() - 400 * DAY_MS);
    old.photos = vec![PhotoRef {
        sha256: sha.clone(),
        size: photo.bytes().len() as u64,
        media_type: photo.media_type().into(),
        caption: String::new(),
    }];
    let fresh = observation(DISTRICT, &d.id, kept_words, Sensitivity::Shared);
    edit::put_observation(&mut walk, &old)?;
    edit::put_observation(&mut walk, &fresh)?;
    district.create(&mut walk, reg).await?;
    ensure!(district.all_on_server(WAIT).await);
    // The note written later, each edit synced on its own (a first sync may
    // carry the whole document compressed): the words live on in the
    // history whatever the latest text says.
    district
        .edit(&id, |tx| edit::splice_note(tx, &old.id, 0, 0, old_words))
        .await?;
    ensure!(district.all_on_server(WAIT).await);
    district
        .edit(&id, |tx| edit::splice_note(tx, &old.id, 0, 0, "Vid "))
        .await?;
    ensure!(district.all_on_server(WAIT).await);
    ensure!(
        eventually_async(WAIT, || async {
            district.queued_photos().await.is_ok_and(|q| q.is_empty())
        })
        .await,
        "the photo was never uploaded"
    );
    police.refresh().await?;
    police.open(&id).await?;
    ensure!(
        eventually(WAIT, || police
            .read(
                &id,
                trygg_core::document::read::<trygg_core::model::Walk, _>
            )
            .is_ok_and(|w| w
                .is_ok_and(
                    |w| w.observations[&old.id].note.as_str() == format!("Vid {old_words}")
                )))
        .await,
        "the police's device never got the note"
    );

    // The search can see the words: before the purge they are in a change
    // stored on the server and on both devices (decompressed: stored
    // chunks are often deflated, where no byte search of the file sees them).
    let server_dir = w.data_dir().to_path_buf();
    let devices_dir = w.dir.path().to_path_buf();
    let device_files = |name: &str| files_starting(&devices_dir, &format!("{name}.db"));
    let dbs = [
        server_dir.join("documents.db"),
        devices_dir.join("district.db"),
        devices_dir.join("police.db"),
    ];
    // A device applies a change in memory before its store writes it, so
    // the police's file may need a moment after its read showed the note.
    for db in &dbs {
        let deadline = std::time::Instant::now() + WAIT;
        while !stored_changes_hold(db, old_words)? {
            ensure!(
                std::time::Instant::now() < deadline,
                "before the purge, a change in {} should hold the words",
                db.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let server_photo = server_dir.join("photos").join(&sha[..2]).join(&sha);
    ensure!(server_photo.exists());

    // A year's retention, purging every second.
    w.restart_with(&["--retention-days", "365", "--purge-every-secs", "1"]);
    let mut new_id = None;
    for _ in 0..100 {
        let listed = district.api()?.documents().await?;
        new_id = listed
            .iter()
            .find(|e| e.replaces == Some(id))
            .map(|e| e.doc.id);
        if new_id.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let new_id = new_id.with_context(|| {
        format!(
            "the server never listed a purged copy of the walk; its log:\n{}",
            w.server.log_text()
        )
    })?;
    ensure!(
        !district
            .api()?
            .documents()
            .await?
            .iter()
            .any(|e| e.doc.id == id),
        "the purged walk is still listed"
    );
    // Both devices adopt the copy at a refresh and drop the walk. Right
    // after the restart a refresh may list the copy before its device's
    // connection is back and could not open it yet (it logs that and tries
    // again at the next refresh), so refresh until the walk is gone.
    for (name, device) in [("district", &district), ("police", &police)] {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            device.refresh().await?;
            match device.open(&id).await {
                Err(SyncError::Unavailable(_)) => break,
                other => ensure!(
                    std::time::Instant::now() < deadline,
                    "the {name} device still opens the purged walk after {WAIT:?} ({other:?})"
                ),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let walk: trygg_core::model::Walk = device.read(&new_id, trygg_core::document::read)??;
        let purged = &walk.observations[&old.id];
        ensure!(purged.note.as_str().is_empty() && purged.photos.is_empty());
        ensure!(purged.category == old.category && purged.location == old.location);
        ensure!(walk.observations[&fresh.id].note.as_str() == kept_words);
    }
    ensure!(district.read(&new_id, |d| d.get_heads())? == police.read(&new_id, |d| d.get_heads())?);
    // The photo: gone from the server (as unknown) and from the device.
    match district.api()?.get_photo(&sha).await {
        Err(SyncError::Api { status: 404, .. }) => {}
        other => anyhow::bail!("the purged photo is still served: {other:?}"),
    }
    ensure!(
        !server_photo.exists(),
        "the server still has the photo file"
    );
    ensure!(
        !w.dir.path().join("district-photos").join(&sha).exists(),
        "the district's device still has the photo file"
    );

    // Not a byte of the old words in any file of the server's or the
    // devices' (databases, write-ahead logs, shared memory, photos).
    let mut searched = 0;
    let mut bytes = 0;
    for (name, content) in all_files(&server_dir)?
        .into_iter()
        .chain(device_files("district")?)
        .chain(device_files("police")?)
        .chain(all_files(&w.dir.path().join("district-photos"))?)
    {
        ensure!(
            !holds(&content, old_words),
            "`{old_words}` is still in {name}"
        );
        searched += 1;
        bytes += content.len();
    }
    for db in &dbs {
        ensure!(
            !stored_changes_hold(db, old_words)?,
            "`{old_words}` is still in a change stored in {}",
            db.display()
        );
    }
    println!(
        "retention: searched {searched} files ({bytes} bytes) for the purged words: none found"
    );
    // The audit trail says what the server did, by ids only.
    let rows = audit_rows(&server_dir, &["--doc", &id.to_string()]);
    ensure!(
        rows.iter()
            .any(|r| r.action == "purge" && r.detail.contains(&new_id.to_string())),
        "{rows:?}"
    );
    Ok(())
}

/// A device that recorded offline for one organisation pairs only with a
/// token of that organisation: another's is refused at the token field and
/// nothing changes; its own pairs, and the walk made offline reaches the
/// server.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offline_device_pairs_only_with_its_own_organisations_token() -> Result<()> {
    use trygg_app::dto::StartWalk;
    use trygg_app::error::AppError;
    use trygg_app::field::Field;
    use trygg_core::DocId;

    let w = World::new(&[]);
    let app = Field::open(w.dir.path().join("offline-app")).await?;
    app.continue_offline(DISTRICT).await?;
    let template = app.templates().await?.remove(0);
    let walk = app
        .start_walk(StartWalk {
            template_doc: template.doc_id,
            area: "jarva".into(),
            route_name: "Offline-rundan".into(),
            light: "daylight".into(),
            organisations: vec![],
            start_now: true,
            exercise: false,
            planned_at: None,
        })
        .await?;

    let police = w.device(POLICE, "field");
    let refused = app.pair(w.server.base().as_str(), &police.token).await;
    match refused {
        Err(AppError::Invalid(fields)) => ensure!(
            fields.0.len() == 1
                && fields.0[0].0 == "token"
                && fields.0[0].1.contains("recorded offline for district"),
            "{fields:?}"
        ),
        other => anyhow::bail!("pairing with another organisation's token: {other:?}"),
    }
    let info = app.info();
    ensure!(
        !info.paired && info.organisation.as_deref() == Some(DISTRICT),
        "nothing changed: {info:?}"
    );

    let own = w.device(DISTRICT, "field");
    let info = app.pair(w.server.base().as_str(), &own.token).await?;
    ensure!(info.paired && info.organisation.as_deref() == Some(DISTRICT));
    let district = w.client("district", &w.device(DISTRICT, "field")).await;
    let id: DocId = walk.parse()?;
    ensure!(
        eventually(Duration::from_secs(20), || district
            .open_documents()
            .contains(&id))
        .await,
        "the walk made offline reached the server and another district device"
    );
    app.shutdown().await;
    Ok(())
}

/// A walk started offline follows the device's own copy of the built-in
/// checklist, which the server never takes from a field device. Paired while
/// the server shares no such template, the walk stays as it is (and waits);
/// once a coordinator shares the template, the walk moves to it, the police
/// partner's device reads its checklist there, and the start-walk picker
/// offers only the server's copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_walk_started_offline_moves_to_the_checklist_the_server_shares() -> Result<()> {
    use std::collections::BTreeSet;
    use trygg_app::dto::StartWalk;
    use trygg_app::field::{Field, OfflineWalks};
    use trygg_core::model::{ChecklistTemplate, Walk};
    use trygg_core::{DocId, DocKind, Timestamp, document, seed};
    use trygg_sync::api::RegisterDocument;

    let w = World::new(&[]);
    let app = Field::open(w.dir.path().join("offline-app")).await?;
    app.continue_offline(DISTRICT).await?;
    let own = app.templates().await?.remove(0);
    let walk: DocId = app
        .start_walk(StartWalk {
            template_doc: own.doc_id.clone(),
            area: "jarva".into(),
            route_name: "Offline-rundan".into(),
            light: "dark".into(),
            organisations: vec![POLICE.into()],
            start_now: true,
            exercise: false,
            planned_at: None,
        })
        .await?
        .parse()?;
    app.pair(w.server.base().as_str(), &w.device(DISTRICT, "field").token)
        .await?;
    let waiting = app.move_offline_walks().await?;
    ensure!(
        waiting
            == OfflineWalks {
                moved: vec![],
                stranded: vec![walk]
            },
        "no template on the server yet: {waiting:?}"
    );
    ensure!(
        app.settings().offline_walks,
        "the device remembers that a walk waits"
    );
    let offered: Vec<String> = app
        .templates()
        .await?
        .into_iter()
        .map(|t| t.doc_id)
        .collect();
    ensure!(offered == [own.doc_id.clone()], "{offered:?}");

    // A coordinator shares the built-in template.
    let coordinator = w
        .client("coordinator", &w.device(DISTRICT, "coordinator"))
        .await;
    let shared = DocId::random();
    coordinator
        .create(
            &mut document::create(&seed::default_template(DISTRICT, Timestamp::now()))?,
            RegisterDocument {
                id: shared,
                kind: DocKind::Template,
                area: None,
                shared_with: BTreeSet::new(),
                restricted: false,
                responsible_org: None,
            },
        )
        .await?;
    ensure!(
        eventually_async(Duration::from_secs(30), || async {
            app.templates()
                .await
                .is_ok_and(|t| t.len() == 1 && t[0].doc_id == shared.to_string())
        })
        .await,
        "the picker offers the server's template instead of the device's own: {:?}",
        app.templates().await
    );
    let moved = app.move_offline_walks().await?;
    ensure!(
        moved
            == OfflineWalks {
                moved: vec![walk],
                stranded: vec![]
            },
        "{moved:?}"
    );
    ensure!(
        !app.settings().offline_walks,
        "nothing waits, so the device stops looking"
    );
    ensure!(
        app.move_offline_walks().await? == OfflineWalks::default(),
        "nothing is left to move"
    );

    // The police partner reads the walk and, through it, its checklist.
    let police = w.client("police", &w.device(POLICE, "field")).await;
    let follows = || async {
        police.open(&walk).await.is_ok()
            && police
                .read(&walk, document::read::<Walk, _>)
                .is_ok_and(|r| r.is_ok_and(|w| w.template.doc_id == shared.to_string()))
    };
    ensure!(
        eventually_async(Duration::from_secs(30), follows).await,
        "the police device sees the walk follow the server's template"
    );
    police.open(&shared).await?;
    let checklist: ChecklistTemplate = police.read(&shared, document::read)??;
    let required = checklist
        .latest_published()
        .context("a published version")?
        .items()
        .filter(|i| i.required)
        .count();
    ensure!(required > 0, "the partner can tell the required items");
    app.shutdown().await;
    Ok(())
}
