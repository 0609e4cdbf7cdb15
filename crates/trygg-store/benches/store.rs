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
use trygg_store::{IndexMode, SamodStorage, Store, WalkFilter};

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

/// Per change samod stores on a walk that starts with `start` observations
/// (every other change adds one, the rest edit a note, as typing does): the
/// indexer's pass that takes it in ([`Store::reindex_dirty`], as on a
/// device), and, for comparison, deriving the walk's rows whole from the
/// same document in memory (what a pass cost before, less loading it).
fn samod_changes_indexed(
    path: &std::path::Path,
    start: usize,
    n: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let mut store = Store::open(path).expect("open");
    let storage = SamodStorage::open_with(path, IndexMode::Deferred).expect("storage");
    let vocab = seed::vocabulary();
    let template = seed::default_template("demo-sdf-norr", Timestamp(0));
    let mut rng = demo::DemoRng::new(3);
    let mut walk = bench_walk(
        &mut rng,
        &vocab,
        template.latest_published().expect("published"),
    );
    while walk.observations.len() < start {
        let o = bench_observation(&mut rng, &vocab);
        walk.observations.insert(o.id.clone(), o);
    }
    let mut h = store.create(&walk).expect("create");
    let ids: Vec<String> = walk.observations.keys().cloned().collect();
    let (mut pass, mut whole) = (Vec::new(), Vec::new());
    for i in 0..n {
        let before = h.doc_mut().get_heads();
        if i % 2 == 0 {
            let obs = bench_observation(&mut rng, &vocab);
            edit::put_observation(h.doc_mut(), &obs).expect("edit");
        } else {
            let id = &ids[i % ids.len()];
            edit::set_note(h.doc_mut(), id, &format!("anteckning {i}")).expect("edit");
        }
        h.doc_mut().commit();
        let changes: Vec<automerge::Change> = h.doc_mut().get_changes(&before);
        storage.put_changes(&h.id(), &changes).expect("store");
        let t = Instant::now();
        store.reindex_dirty().expect("index");
        pass.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(trygg_store::index::rows_for(
            &h.id(),
            h.doc_mut().document(),
        ));
        whole.push(t.elapsed());
    }
    let updates = store.index_updates();
    println!(
        "  index updates: {} from the changes alone, {} read whole",
        updates.changes, updates.whole
    );
    (pass, whole)
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

    let start = env_usize("TRYGG_BENCH_WALK_OBSERVATIONS", 500);
    println!("a walk of {start} observations; samod stores {saves} changes one by one:");
    let (pass, whole) = samod_changes_indexed(&dir.join("samod.db"), start, saves);
    summary("  the indexer takes each change in", pass);
    summary("  (the walk's rows derived whole, in memory)", whole);
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
