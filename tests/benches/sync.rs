//! Sync figures with a real `trygg-server` on 127.0.0.1 and real clients.
//!
//!   cargo bench -p trygg-e2e --bench sync
//!
//! Knobs: `TRYGG_BENCH_SYNC_EDITS` (default 300) edits for the latency
//! figures, `TRYGG_BENCH_SYNC_DOCS` (default 200) walks a fresh device pulls.
//! Prints: a durable local edit (edit + commit to SQLite), the time until
//! another device sees an edit through the server, a fresh device's initial
//! sync, and the server's resident memory.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::bench::{describe_ms, env};
use support::world::*;
use trygg_core::edit;
use trygg_core::model::Sensitivity;

fn describe(v: Vec<Duration>) -> String {
    describe_ms(v.iter().map(|d| d.as_secs_f64() * 1e3).collect(), 2)
}

fn main() -> anyhow::Result<()> {
    let edits = env("TRYGG_BENCH_SYNC_EDITS", 300);
    let docs = env("TRYGG_BENCH_SYNC_DOCS", 200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let w = World::new(&[]);
        let (a_dev, b_dev) = (w.device(DISTRICT, "field"), w.device(POLICE, "field"));
        let a = w.client("a", &a_dev).await;
        let b = w.client("b", &b_dev).await;
        assert!(
            a.connected(Duration::from_secs(30)).await
                && b.connected(Duration::from_secs(30)).await
        );
        let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
        let id = reg.id;
        a.create(&mut walk, reg).await?;
        assert!(a.all_on_server(Duration::from_secs(30)).await);
        while b.open(&id).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut seen = b.changes(&id)?;

        let mut durable = Vec::with_capacity(edits);
        let mut propagation = Vec::with_capacity(edits);
        for i in 0..edits {
            let obs = observation(
                DISTRICT,
                &a_dev.id,
                &format!("mätning {i}"),
                Sensitivity::Shared,
            );
            let t = Instant::now();
            a.edit(&id, |tx| edit::put_observation(tx, &obs)).await?;
            durable.push(t.elapsed());
            loop {
                tokio::time::timeout(Duration::from_secs(30), seen.recv()).await?;
                if b.read(&id, |doc| {
                    use automerge::ReadDoc;
                    let obs_map = doc
                        .get(automerge::ROOT, "observations")
                        .ok()
                        .flatten()
                        .map(|(_, o)| o);
                    obs_map.is_some_and(|m| doc.get(&m, obs.id.as_str()).ok().flatten().is_some())
                })? {
                    break;
                }
            }
            propagation.push(t.elapsed());
        }
        println!(
            "durable local edit (walk growing to {edits} observations): {}",
            describe(durable)
        );
        println!(
            "edit on device A visible on device B via the server:      {}",
            describe(propagation)
        );

        // A fresh device pulls `docs` walks of 10 observations each.
        for _ in 0..docs {
            let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
            let wid = reg.id;
            a.create(&mut walk, reg).await?;
            for j in 0..10 {
                let obs = observation(
                    DISTRICT,
                    &a_dev.id,
                    &format!("obs {j}"),
                    Sensitivity::Shared,
                );
                a.edit(&wid, |tx| edit::put_observation(tx, &obs)).await?;
            }
        }
        assert!(a.all_on_server(Duration::from_secs(300)).await);
        let c_dev = w.device(POLICE, "field");
        let t = Instant::now();
        let c = w.client("c", &c_dev).await;
        let want = docs + 1;
        while c.open_documents().len() < want {
            c.refresh_now();
            tokio::time::sleep(Duration::from_millis(20)).await;
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(600),
                "initial sync stalled"
            );
        }
        let took = t.elapsed();
        println!(
            "fresh device pulls {want} walks (10 observations each): {:.2} s ({:.0} documents/s)",
            took.as_secs_f64(),
            want as f64 / took.as_secs_f64()
        );
        if let Some(kib) = w.server.rss_kib() {
            println!(
                "server resident memory after the run: {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
        for client in [a, b, c] {
            client.stop().await;
        }
        anyhow::Ok(())
    })
}
