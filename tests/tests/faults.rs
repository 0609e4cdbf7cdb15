//! Fault tests with real processes: `trygg-server` killed with SIGKILL at
//! random moments while at least 20 devices write; afterwards every change
//! the server acknowledged is in its file, every device converges to the
//! same heads, and SQLite's integrity check passes.
//!
//! `TRYGG_FAULT_KILLS` sets the number of kills (default 50), `TRYGG_FAULT_CLIENTS`
//! the number of writing devices (default 20).

mod support;

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Result;
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ReadDoc};
use rand::Rng;
use samod::DocHandle;
use support::bench::env;
use support::load::{self, Target, TryggTarget};
use trygg_core::DocId;

/// Heads the server has advertised to any device, per document: the server
/// claims to hold every change they name.
fn acknowledged(handles: &[Vec<DocHandle>], docs: usize) -> Vec<HashSet<ChangeHash>> {
    let mut acked = vec![HashSet::new(); docs];
    for hs in handles {
        for (i, h) in hs.iter().enumerate() {
            let (peers, _) = h.peers();
            for p in peers.values() {
                acked[i].extend(p.their_heads.iter().flatten().copied());
            }
        }
    }
    acked
}

/// The document as the server's file holds it (the server is not running).
fn stored(dir: &std::path::Path, id: &DocId) -> Result<Automerge> {
    let conn = trygg_store::open_connection(dir.join("documents.db"))?;
    let chunks = trygg_store::chunks::of_doc(&conn, id)?;
    let mut doc = Automerge::new();
    for (key, data) in chunks {
        doc.load_incremental(&data)
            .map_err(|e| anyhow::anyhow!("chunk {key} does not load: {e}"))?;
    }
    Ok(doc)
}

fn integrity_ok(path: &std::path::Path) -> Result<bool> {
    let conn = rusqlite::Connection::open(path)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    Ok(verdict == "ok")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_writes_loses_nothing_acknowledged() -> Result<()> {
    let kills = env("TRYGG_FAULT_KILLS", 50);
    let clients = env("TRYGG_FAULT_CLIENTS", 20);
    let docs = 4;
    let mut target = TryggTarget::start(&[]);
    let devices = target.devices(clients)?;
    let data = target.server.dir.clone();

    let sharing = load::share(&target, &devices, docs).await?;
    let trygg_ids = sharing.ids.clone();
    let handles = &sharing.handles;

    // Every device writes to the documents in turn, all the time.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for (c, hs) in handles.iter().enumerate() {
        let hs = hs.clone();
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let doc = (n as usize + c) % hs.len();
                hs[doc].with_document(|d| {
                    let mut tx = d.transaction();
                    tx.put(automerge::ROOT, format!("c{c}"), n).expect("put");
                    tx.commit();
                });
                n += 1;
                let pause = rand::rng().random_range(20..80);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            n
        }));
    }

    let mut checked = 0usize;
    for _ in 0..kills {
        let run = rand::rng().random_range(50..400);
        tokio::time::sleep(Duration::from_millis(run)).await;
        let acked = acknowledged(handles, docs);
        target.server.kill();
        for (i, id) in trygg_ids.iter().enumerate() {
            let doc = stored(&data, id)?;
            for head in &acked[i] {
                anyhow::ensure!(
                    doc.get_change_by_hash(head).is_some(),
                    "the server acknowledged change {head} of {id} but its file lacks it"
                );
                checked += 1;
            }
        }
        target.server.restart();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut written = 0;
    for w in writers {
        written += w.await?;
    }

    // Everyone converges on the same heads, which the server holds too.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let converged = (0..docs).all(|i| {
            let h0 = handles[0][i].with_document(|d| d.get_heads());
            handles
                .iter()
                .all(|hs| hs[i].with_document(|d| d.get_heads()) == h0)
        });
        let acked = acknowledged(handles, docs);
        let server_has_all = (0..docs).all(|i| {
            let h0 = handles[0][i].with_document(|d| d.get_heads());
            h0.iter().all(|h| acked[i].contains(h))
        });
        if converged && server_has_all {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "devices did not converge after the kills (converged: {converged})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    target.server.stop();
    for (i, id) in trygg_ids.iter().enumerate() {
        let on_disk = stored(&data, id)?;
        let mut want = handles[0][i].with_document(|d| d.get_heads());
        let mut got = on_disk.get_heads();
        want.sort();
        got.sort();
        assert_eq!(
            got, want,
            "the server's file holds different heads for {id}"
        );
    }
    assert!(integrity_ok(&data.join("documents.db"))?);
    assert!(integrity_ok(&data.join("registry.db"))?);
    println!(
        "{kills} SIGKILLs survived with {clients} devices writing: {written} changes, {checked} acknowledged heads checked in the server's file after each kill"
    );
    sharing.stop().await;
    Ok(())
}
