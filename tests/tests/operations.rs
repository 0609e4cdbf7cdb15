//! What an operator relies on, against a real `trygg-server` on 127.0.0.1:
//! `GET /metrics` counts what happened, JSON log lines, a clean stop on
//! SIGTERM that closes every sync connection with a close frame, and an
//! online backup that restores into a server with every document, device
//! and access rule intact.

mod support;

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use support::raw::{RawPeer, request};
use support::server::{Launch, Server, add_device, add_org, admin, free_port};
use support::world::{DISTRICT, POLICE, World, new_walk, observation};
use trygg_core::edit;
use trygg_core::model::Sensitivity;
use trygg_store::Store;
use trygg_sync::client::{ClientConfig, SyncClient};

const WAIT: Duration = Duration::from_secs(20);

/// One value of the metrics text: `name` with exactly these `labels` (as
/// written between the braces, or "" for none).
fn metric(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = if labels.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{labels}}}")
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&key)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(server: &Server) -> Result<String> {
    let answer = reqwest::get(server.base().join("/metrics")?).await?;
    ensure!(answer.status() == 200, "/metrics: {}", answer.status());
    let kind = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    ensure!(kind.starts_with("application/openmetrics-text"), "{kind}");
    Ok(answer.text().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_devices_messages_refusals_and_storage_writes() -> Result<()> {
    let w = World::new(&[]);
    let before = scrape(&w.server).await?;
    ensure!(
        metric(&before, "trygg_connected_devices", "") == Some(0.0)
            && metric(&before, "trygg_storage_write_seconds_count", "") == Some(0.0),
        "{before}"
    );
    // A device writes a walk; another may not read it.
    let d = w.device(DISTRICT, "field");
    let district = w.client("district", &d).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    let lamp = observation(DISTRICT, &d.id, "Lampan", Sensitivity::Shared);
    district
        .edit(&walk_id, |tx| edit::put_observation(tx, &lamp))
        .await?;
    ensure!(
        district.all_on_server(WAIT).await,
        "the walk reached the server"
    );
    let p = w.device(POLICE, "field");
    let mut stranger = RawPeer::connect(&w.server.ws(), &p.token).await?;
    let peer = trygg_sync::api::peer_id_of(&p.id);
    stranger.handshake(&peer).await;
    stranger.send(request(&peer, &walk_id.to_string())).await;
    stranger.recv(WAIT).await.context("doc-unavailable")?;
    let mut rude = RawPeer::connect(&w.server.ws(), &p.token).await?;
    rude.send_text("hello").await;
    ensure!(
        rude.is_closed_within(WAIT).await,
        "a text frame closes the connection"
    );

    // The refused connection is counted out once its task has ended, just
    // after the device saw it close.
    let two = support::world::eventually_async(WAIT, || async {
        scrape(&w.server)
            .await
            .is_ok_and(|t| metric(&t, "trygg_connected_devices", "") == Some(2.0))
    })
    .await;
    ensure!(two, "the district's client and the stranger are connected");
    let text = scrape(&w.server).await?;
    let value = |name: &str, labels: &str| metric(&text, name, labels).unwrap_or(-1.0);
    ensure!(
        value("trygg_connected_devices", "") == 2.0
            && value("trygg_sync_messages_refused_total", "reason=\"no_access\"") == 1.0
            && value("trygg_sync_messages_refused_total", "reason=\"text\"") == 1.0
            && value("trygg_sync_messages_received_total", "") >= 3.0
            && value("trygg_sync_messages_sent_total", "") >= 2.0
            && value("trygg_storage_commits_total", "") >= 1.0
            && value("trygg_storage_failed_commits_total", "") == 0.0
            && value("trygg_storage_write_seconds_count", "") >= 1.0
            && value("trygg_storage_write_seconds_bucket", "le=\"+Inf\"")
                == value("trygg_storage_write_seconds_count", "")
            && value("trygg_loaded_documents", "") >= 1.0,
        "{text}"
    );
    // Counts only: no document, device or organisation is named.
    ensure!(
        !text.contains(&walk_id.to_string()) && !text.contains(&d.id) && !text.contains(DISTRICT),
        "{text}"
    );
    district.stop().await;
    drop(stranger);
    let connected = support::world::eventually_async(WAIT, || async {
        scrape(&w.server)
            .await
            .is_ok_and(|t| metric(&t, "trygg_connected_devices", "") == Some(0.0))
    })
    .await;
    ensure!(connected, "connections closed are no longer counted");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_sigterm_closes_every_sync_connection_with_a_close_frame() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("server");
    std::fs::create_dir_all(&data)?;
    support::server::add_org(&data, DISTRICT, "district");
    let d = support::server::add_device(&data, DISTRICT, "field");
    let mut server = Server::start(&data, free_port(), &["--log-format", "json"]);
    let mut peers = Vec::new();
    for _ in 0..3 {
        let mut peer = RawPeer::connect(&server.ws(), &d.token).await?;
        peer.handshake(&trygg_sync::api::peer_id_of(&d.id)).await;
        peers.push(peer);
    }
    let status = server.stop().context("the server was running")?;
    ensure!(
        status.success(),
        "SIGTERM ends the server cleanly: {status}"
    );
    for mut peer in peers {
        let (kinds, close) = peer.until_closed(WAIT).await;
        ensure!(
            kinds == ["error"]
                && close
                    .as_ref()
                    .is_some_and(|(_, reason)| reason.contains("the server is stopping")),
            "each device is told, then gets a close frame: {kinds:?} {close:?}"
        );
    }
    // Every line is one JSON object with a level and a message.
    let log = server.log_text();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| format!("a log line that is not JSON:\n{log}"))?;
    let said = |m: &str| {
        lines
            .iter()
            .any(|l| l["level"].is_string() && l["fields"]["message"].as_str() == Some(m))
    };
    ensure!(
        said("stopping: closing the sync connections") && said("stopped"),
        "{log}"
    );
    ensure!(!log.contains(&d.token), "tokens stay out of the log");
    Ok(())
}

/// Every document's heads in a server's `documents.db`.
fn heads(data: &std::path::Path) -> Result<Vec<(String, Vec<automerge::ChangeHash>)>> {
    let store = Store::open(data.join("documents.db"))?;
    let mut out = Vec::new();
    for id in store.doc_ids()? {
        let mut doc = store.load(id)?;
        let mut h = doc.doc_mut().get_heads();
        h.sort();
        out.push((id.to_string(), h));
    }
    out.sort();
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_restores_every_document_device_and_access_rule() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("server");
    std::fs::create_dir_all(&data)?;
    add_org(&data, DISTRICT, "district");
    add_org(&data, POLICE, "police");
    admin(&data, &["demo-data", "--walks", "6"]);
    let d = add_device(&data, DISTRICT, "field");
    let p = add_device(&data, POLICE, "field");
    let revoked = add_device(&data, POLICE, "field");
    admin(&data, &["device", "revoke", &revoked.id]);
    let mut server = Server::start(&data, free_port(), &[]);
    let mut config = ClientConfig::new(server.base(), &d.token, &d.id);
    config.refresh_every = Duration::from_millis(500);
    let district = SyncClient::start(
        dir.path().join("district.db"),
        dir.path().join("district-photos"),
        config,
    )
    .await?;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    ensure!(
        district.all_on_server(WAIT).await,
        "the walk reached the server"
    );

    // The backup is made while the device keeps writing.
    let writing = {
        let d_id = d.id.clone();
        let district = std::sync::Arc::new(district);
        let writer = district.clone();
        let task = tokio::spawn(async move {
            for i in 0..40 {
                let o = observation(
                    DISTRICT,
                    &d_id,
                    &format!("under backup {i}"),
                    Sensitivity::Shared,
                );
                writer
                    .edit(&walk_id, |tx| edit::put_observation(tx, &o))
                    .await?;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            anyhow::Ok(())
        });
        (district, task)
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let file = dir.path().join("nightly.tar");
    let said = admin(&data, &["backup", "--out", file.to_str().unwrap()]);
    ensure!(
        said.starts_with("backed up: registry.db, documents.db, audit.db"),
        "{said}"
    );
    let (district, task) = writing;
    task.await??;
    ensure!(
        district.all_on_server(WAIT).await,
        "the writes after the backup"
    );

    // A backup never overwrites; a restore only into an empty directory,
    // and only from a backup.
    let again = std::process::Command::new(support::server_bin())
        .args(["admin", "--data-dir"])
        .arg(&data)
        .args(["backup", "--out"])
        .arg(&file)
        .output()?;
    ensure!(
        !again.status.success()
            && String::from_utf8_lossy(&again.stderr).contains("never overwrites"),
        "{again:?}"
    );
    let refuse = |data: &std::path::Path, from: &std::path::Path| -> Result<String> {
        let out = std::process::Command::new(support::server_bin())
            .args(["admin", "--data-dir"])
            .arg(data)
            .args(["restore", "--from"])
            .arg(from)
            .output()?;
        ensure!(!out.status.success(), "restore succeeded: {out:?}");
        Ok(String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let why = refuse(&data, &file)?;
    ensure!(why.contains("is not empty"), "{why}");
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"not a backup at all")?;
    let why = refuse(&dir.path().join("from-junk"), &junk)?;
    ensure!(
        why.contains("not a Trygg backup") || why.contains("damaged"),
        "{why}"
    );
    ensure!(
        !dir.path().join("from-junk").exists(),
        "a refused restore leaves nothing behind"
    );

    let restored = dir.path().join("restored");
    let said = admin(&restored, &["restore", "--from", file.to_str().unwrap()]);
    ensure!(
        said.starts_with("restored: registry.db, documents.db, audit.db"),
        "{said}"
    );

    // The registry came whole: organisations, devices and who is revoked.
    ensure!(
        admin(&restored, &["device", "list"]) == admin(&data, &["device", "list"]),
        "the device lists differ"
    );
    ensure!(admin(&restored, &["org", "list"]) == admin(&data, &["org", "list"]));
    district.stop().await;
    server.stop();
    // Every document is there; each holds changes the original holds (the
    // walk written during the backup at some point of its history), and
    // every other one is the same.
    let original = heads(&data)?;
    let copy = heads(&restored)?;
    ensure!(
        original.len() == copy.len() && original.len() > 6,
        "{} documents, {} restored",
        original.len(),
        copy.len()
    );
    let full = Store::open(data.join("documents.db"))?;
    for ((id, a), (id_b, b)) in original.iter().zip(&copy) {
        ensure!(id == id_b, "{id} / {id_b}");
        if *id == walk_id.to_string() {
            let mut doc = full.load(walk_id)?;
            ensure!(
                b.iter()
                    .all(|h| doc.doc_mut().get_change_by_hash(h).is_some()),
                "the walk's restored heads are in its history"
            );
        } else {
            ensure!(a == b, "{id}: heads differ");
        }
    }

    // A server on the restored data: the device's token works, the revoked
    // one does not, and the police may read the walk shared with them.
    let server = Launch::new(&restored, free_port(), &[]).start();
    let me = |token: &str| {
        reqwest::Client::new()
            .get(server.base().join("/api/v1/me").unwrap())
            .bearer_auth(token.to_string())
            .send()
    };
    ensure!(me(&d.token).await?.status() == 200);
    ensure!(me(&revoked.token).await?.status() == 401);
    let mut police = RawPeer::connect(&server.ws(), &p.token).await?;
    let peer = trygg_sync::api::peer_id_of(&p.id);
    police.handshake(&peer).await;
    police.send(request(&peer, &walk_id.to_string())).await;
    let answer = police.recv(WAIT).await.context("an answer")?;
    ensure!(
        answer.kind == "sync",
        "the police read the shared walk: {}",
        answer.kind
    );
    Ok(())
}
