//! Store figures: durable save latency against bare SQLite, and opening and
//! reindexing a large store.
//!
//! `cargo bench -p trygg-store --bench store`
//! Environment: `TRYGG_BENCH_WALKS` (default 10000), `TRYGG_BENCH_SAVES` (default 1000),
//! `TRYGG_BENCH_DIR` (default: a temporary directory; put it on the disk you care about).

use std::time::{Duration, Instant};

use rusqlite::Connection;
use trygg_core::model::*;
use trygg_core::seed::{self, demo};
use trygg_core::{Timestamp, edit};
use trygg_store::{Store, WalkFilter};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// Fewer samples than this give a maximum, not a p99.
const MIN_SAMPLES_FOR_P99: usize = 100;

/// Prints p50, p99 (only from 100 samples on) and max; returns p50 and the
/// tail figure (p99, or the max below 100 samples).
fn summary(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (p50, max) = (percentile(&samples, 0.50), samples[samples.len() - 1]);
    if samples.len() < MIN_SAMPLES_FOR_P99 {
        println!(
            "{name:<44} n={:<6} p50 {:>8.3} ms   max {:>8.3} ms (under {MIN_SAMPLES_FOR_P99} samples: no p99)",
            samples.len(),
            ms(p50),
            ms(max)
        );
        (p50, max)
    } else {
        let p99 = percentile(&samples, 0.99);
        println!(
            "{name:<44} n={:<6} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
            samples.len(),
            ms(p50),
            ms(p99),
            ms(max)
        );
        (p50, p99)
    }
}

fn bench_observation(rng: &mut demo::DemoRng, vocab: &Vocabulary) -> Observation {
    demo::observation(
        rng,
        vocab,
        GeoPoint::new(59.3, 18.0),
        "demo-sdf-norr",
        "bench",
        Timestamp::now(),
        Sensitivity::Shared,
    )
}

/// A demo walk with ten observations (planned demo walks get theirs here).
fn bench_walk(rng: &mut demo::DemoRng, vocab: &Vocabulary, version: &TemplateVersion) -> Walk {
    let mut w = demo::walk(
        rng,
        &demo::WalkSpec {
            template_doc_id: "t",
            template: version,
            vocabulary: vocab,
            observations: 10,
            at: Timestamp::now(),
        },
    );
    if w.observations.is_empty() {
        w.status = WalkStatus::InProgress;
        for _ in 0..10 {
            let o = bench_observation(rng, vocab);
            w.observations.insert(o.id.clone(), o);
        }
    }
    w
}

fn bare_sqlite(path: &std::path::Path, n: usize) -> Vec<Duration> {
    let conn = Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
        .expect("create");
    let blob = vec![7u8; 400];
    (0..n)
        .map(|i| {
            let t = Instant::now();
            let tx = conn.unchecked_transaction().expect("tx");
            tx.execute(
                "INSERT INTO t (k, v) VALUES (?1, ?2)",
                rusqlite::params![format!("key-{i}"), blob],
            )
            .expect("insert");
            tx.commit().expect("commit");
            t.elapsed()
        })
        .collect()
}

/// Per save: (edit + durable commit, the index update that follows).
fn durable_saves(path: &std::path::Path, n: usize) -> Vec<(Duration, Duration)> {
    let mut store = Store::open(path).expect("open");
    let vocab = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", Timestamp(0));
    let mut rng = demo::DemoRng::new(1);
    let walk = bench_walk(
        &mut rng,
        &vocab,
        template.latest_published().expect("published"),
    );
    let mut h = store.create(&walk).expect("create");
    (0..n)
        .map(|_| {
            let obs = bench_observation(&mut rng, &vocab);
            // Timed: what the app does when someone taps "save observation",
            // up to the moment the edit is on disk.
            let t = Instant::now();
            edit::put_observation(h.doc_mut(), &obs).expect("edit");
            store
                .save_durable(std::slice::from_mut(&mut h))
                .expect("save");
            let durable = t.elapsed();
            // Then the derived index catches up (off the tap path in the app).
            let t = Instant::now();
            store
                .index_handles(std::slice::from_mut(&mut h))
                .expect("index");
            (durable, t.elapsed())
        })
        .collect()
}

fn main() {
    let walks = env_usize("TRYGG_BENCH_WALKS", 10_000);
    let saves = env_usize("TRYGG_BENCH_SAVES", 1_000);
    let tmp;
    let dir = match std::env::var("TRYGG_BENCH_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            tmp = tempfile::tempdir().expect("tempdir");
            tmp.path().to_path_buf()
        }
    };
    println!("trygg-store bench in {}", dir.display());

    // Interleave the two sides so that disk weather affects both alike.
    let mut bare = Vec::new();
    let mut ours = Vec::new();
    let mut indexing = Vec::new();
    for round in 0..4 {
        bare.extend(bare_sqlite(
            &dir.join(format!("bare-{round}.db")),
            saves / 4,
        ));
        for (durable, index) in durable_saves(&dir.join(format!("save-{round}.db")), saves / 4) {
            ours.push(durable);
            indexing.push(index);
        }
    }
    let (b50, b99) = summary("bare SQLite INSERT + commit (WAL, FULL)", bare);
    let (o50, o99) = summary("record one observation durably (walk doc)", ours);
    summary("  then update its index rows", indexing);
    println!(
        "ratio ours/bare                              p50 {:.2}x   tail {:.2}x (p99, or max under {MIN_SAMPLES_FOR_P99} samples)",
        o50.as_secs_f64() / b50.as_secs_f64(),
        o99.as_secs_f64() / b99.as_secs_f64()
    );

    // A large store: `walks` walks with 10 observations each.
    let path = dir.join("large.db");
    let mut store = Store::open(&path).expect("open");
    let vocab = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", Timestamp(0));
    let version = template.latest_published().expect("published");
    let mut rng = demo::DemoRng::new(2);
    let t = Instant::now();
    let batch = 500;
    let mut made = 0;
    while made < walks {
        let n = batch.min(walks - made);
        let docs: Vec<Walk> = (0..n)
            .map(|_| bench_walk(&mut rng, &vocab, version))
            .collect();
        store.create_all(&docs).expect("create");
        made += n;
    }
    println!(
        "built {walks} walks x 10 observations in {:.1} s ({:.1} MB)",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    drop(store);

    let mut opens = Vec::new();
    let mut first_screens = Vec::new();
    let mut store = None;
    for _ in 0..5 {
        let t = Instant::now();
        let s = Store::open(&path).expect("open");
        opens.push(t.elapsed());
        let rows = s
            .walks(&WalkFilter {
                limit: Some(50),
                ..Default::default()
            })
            .expect("list");
        assert_eq!(rows.len(), 50.min(walks));
        first_screens.push(t.elapsed());
        store = Some(s);
    }
    summary(&format!("open store ({walks} walks)"), opens);
    summary("open + list the newest 50 walks", first_screens);

    let mut store = store.expect("opened");
    let t = Instant::now();
    let stats = store.rebuild_index().expect("rebuild");
    let took = t.elapsed();
    println!(
        "rebuild index from documents                 {} docs in {:.2} s ({:.0} docs/s)",
        stats.documents,
        took.as_secs_f64(),
        stats.documents as f64 / took.as_secs_f64()
    );
}
