//! Interop: the official JS `@automerge/automerge-repo` (2.5.x, with its
//! WebSocket client adapter) and our Rust client share documents through
//! `trygg-server`, in both directions.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, Value};
use support::js::node;
use support::world::*;
use trygg_core::{DocId, DocKind};
use trygg_sync::api::RegisterDocument;

/// The `title` field, whether JS stored it as text or as a string.
fn title(doc: &automerge::Automerge) -> Option<String> {
    match doc.get(automerge::ROOT, "title").ok()?? {
        (Value::Object(ObjType::Text), obj) => doc.text(&obj).ok(),
        (Value::Scalar(s), _) => s.as_str().map(str::to_string),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_js_automerge_repo_and_our_client_share_documents_both_ways() -> Result<()> {
    let w = World::new(&[]);
    let js_device = w.device(DISTRICT, "field");
    let rust_device = w.device(DISTRICT, "field");
    let base = w.server.base().to_string();
    let client = w.client("rust", &rust_device).await;

    // JS creates; Rust reads.
    let mut js = node(&["create", &base, &js_device.token, "Skapad i JavaScript"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting node")?;
    let stdout = js.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout).lines().next().and_then(Result::ok)
    })
    .await?
    .context("the JS client printed nothing")?;
    let id: DocId = line
        .strip_prefix("created ")
        .with_context(|| format!("unexpected output {line}"))?
        .parse()?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        if client.open(&id).await.is_ok()
            && let Some(t) = client.read(&id, title)?
        {
            break t;
        }
        if Instant::now() > deadline {
            let _ = js.kill();
            bail!("the Rust client never received the JS document");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let _ = js.kill();
    let _ = js.wait();
    assert_eq!(got, "Skapad i JavaScript");

    // Rust creates; JS reads.
    let mut doc = AutoCommit::new();
    doc.put(automerge::ROOT, "doc_kind", "report")?;
    doc.put(automerge::ROOT, "title", "Skapad i Rust")?;
    let reg = RegisterDocument {
        id: DocId::random(),
        kind: DocKind::Report,
        area: None,
        shared_with: Default::default(),
        restricted: false,
        responsible_org: None,
    };
    let rust_id = reg.id;
    client.create(&mut doc, reg).await?;
    assert!(client.all_on_server(Duration::from_secs(30)).await);
    let out = tokio::task::spawn_blocking(move || {
        node(&["read", &base, &js_device.token, &rust_id.to_string()])
            .stderr(Stdio::inherit())
            .output()
    })
    .await??;
    assert!(out.status.success(), "the JS client failed to read");
    let read: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(read["title"], "Skapad i Rust");
    Ok(())
}
