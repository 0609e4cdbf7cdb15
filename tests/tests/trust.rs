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
use support::world::{DISTRICT, HOUSING, POLICE, World, eventually, new_walk, observation};
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
        district.edit(&id, |tx| edit::splice_note(tx, &obs, 0, 0, word))?;
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
