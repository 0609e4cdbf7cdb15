//! Fault tests with real processes, while at least 20 devices write:
//! * `trygg-server` killed with SIGKILL at random moments;
//! * power cuts: SIGKILL, then everything the server wrote but did not
//!   fsync is dropped (`tests/power-cut`, an `LD_PRELOAD` shim);
//! * the network between devices and server cut, partitioned, delayed and
//!   split at random (a TCP proxy), with the official JS client among the
//!   devices;
//! * the data directory filling up under load, and a server started on a
//!   read-only one (a small tmpfs; needs root, as CI runs).
//!
//! After each fault every change the server acknowledged is in its file;
//! at the end every device converges, the server's file holds the same
//! heads, and SQLite's integrity check passes.
//!
//! Counts: `TRYGG_FAULT_KILLS` (default 50), `TRYGG_FAULT_POWER_CUTS`
//! (default 25), `TRYGG_FAULT_NET_CUTS` (default 25), `TRYGG_FAULT_CLIENTS`
//! (writing devices, default 20).

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ReadDoc};
use rand::Rng;
use samod::DocHandle;
use support::bench::env;
use support::js::JsFollower;
use support::load::{self, Sharing, Target, TryggTarget};
use support::power_cut;
use support::proxy::Proxy;
use support::server::{Launch, free_port};
use tokio::task::JoinHandle;
use trygg_core::DocId;

const DOCS: usize = 4;

/// Heads the server has advertised to any device, per document: the server
/// claims to hold every change they name.
fn acknowledged(handles: &[Vec<DocHandle>]) -> Vec<HashSet<ChangeHash>> {
    let mut acked = vec![HashSet::new(); DOCS];
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
fn stored(dir: &Path, id: &DocId) -> Result<Automerge> {
    let conn = trygg_store::open_connection(dir.join("documents.db"))?;
    let chunks = trygg_store::chunks::of_doc(&conn, id)?;
    let mut doc = Automerge::new();
    for (key, data) in chunks {
        doc.load_incremental(&data)
            .map_err(|e| anyhow::anyhow!("chunk {key} does not load: {e}"))?;
    }
    Ok(doc)
}

fn integrity_ok(path: &Path) -> Result<bool> {
    let conn = rusqlite::Connection::open(path)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    Ok(verdict == "ok")
}

/// Devices writing to shared documents through a server, all the time.
struct Storm {
    target: TryggTarget,
    sharing: Sharing,
    stop: Arc<AtomicBool>,
    writers: Vec<JoinHandle<u64>>,
    /// The official JS client, writing too.
    js: Option<JsFollower>,
    /// Acknowledged heads checked in the server's file so far.
    checked: usize,
}

impl Storm {
    /// `clients` samod devices (and, with `js`, one JS client) reach the
    /// server at `via` (or directly).
    async fn start(
        mut target: TryggTarget,
        clients: usize,
        via: Option<&Proxy>,
        js: bool,
    ) -> Result<Storm> {
        let mut devices = target.devices(clients + usize::from(js))?;
        let port = via.map_or(target.server.port, |p| p.port);
        for d in &mut devices {
            d.url.set_port(Some(port)).expect("a ws url");
        }
        let js_device = if js { devices.pop() } else { None };
        let sharing = load::share(&target, &devices, DOCS).await?;
        let js = match js_device {
            Some(d) => {
                let ids: Vec<String> = sharing.ids.iter().map(|i| i.to_string()).collect();
                let base = format!("http://127.0.0.1:{port}/");
                Some(tokio::task::block_in_place(|| {
                    JsFollower::start(&base, &d.token, "js", &ids)
                })?)
            }
            None => None,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for (c, hs) in sharing.handles.iter().enumerate() {
            let hs = hs.clone();
            let stop = stop.clone();
            writers.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
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
        Ok(Storm {
            target,
            sharing,
            stop,
            writers,
            js,
            checked: 0,
        })
    }

    fn data(&self) -> PathBuf {
        self.target.server.dir.clone()
    }

    /// Checks, with the server stopped, that its file holds `acked`.
    fn check_file_holds(&mut self, acked: &[HashSet<ChangeHash>]) -> Result<()> {
        let data = self.data();
        for (i, id) in self.sharing.ids.iter().enumerate() {
            let doc = stored(&data, id)?;
            for head in &acked[i] {
                anyhow::ensure!(
                    doc.get_change_by_hash(head).is_some(),
                    "the server acknowledged change {head} of {id} but its file lacks it"
                );
                self.checked += 1;
            }
        }
        Ok(())
    }

    /// Stops writing, waits until every device and the server hold the same
    /// heads, stops the server and checks its files. Returns the number of
    /// changes written, the number of acknowledged heads checked, and the
    /// (stopped) server.
    async fn finish(mut self) -> Result<(u64, usize, TryggTarget)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut written = 0;
        for w in self.writers.drain(..) {
            written += w.await?;
        }
        if let Some(js) = &mut self.js {
            written += tokio::task::block_in_place(|| js.stop_writing())?;
        }
        let handles = &self.sharing.handles;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let converged = (0..DOCS).all(|i| {
                let h0 = handles[0][i].with_document(|d| d.get_heads());
                handles
                    .iter()
                    .all(|hs| hs[i].with_document(|d| d.get_heads()) == h0)
            });
            let acked = acknowledged(handles);
            let server_has_all = (0..DOCS).all(|i| {
                let h0 = handles[0][i].with_document(|d| d.get_heads());
                h0.iter().all(|h| acked[i].contains(h))
            });
            let js_agrees = match &mut self.js {
                None => true,
                Some(js) => {
                    let heads = tokio::task::block_in_place(|| js.heads())?;
                    self.sharing.ids.iter().enumerate().all(|(i, id)| {
                        let mut want: Vec<String> = handles[0][i]
                            .with_document(|d| d.get_heads())
                            .iter()
                            .map(|h| h.to_string())
                            .collect();
                        want.sort();
                        heads.get(&id.to_string()).is_some_and(|got| {
                            let mut got = got.clone();
                            got.sort();
                            got == want
                        })
                    })
                }
            };
            if converged && server_has_all && js_agrees {
                break;
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "devices did not converge after the faults (samod devices: {converged}, server: {server_has_all}, JS client: {js_agrees}); server log:\n{}",
                tail(&self.target.server.log_text())
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.target.server.stop();
        let data = self.data();
        for (i, id) in self.sharing.ids.iter().enumerate() {
            let on_disk = stored(&data, id)?;
            let mut want = handles[0][i].with_document(|d| d.get_heads());
            let mut got = on_disk.get_heads();
            want.sort();
            got.sort();
            anyhow::ensure!(
                got == want,
                "the server's file holds different heads for {id}"
            );
        }
        anyhow::ensure!(integrity_ok(&data.join("documents.db"))?, "documents.db");
        anyhow::ensure!(integrity_ok(&data.join("registry.db"))?, "registry.db");
        self.sharing.stop().await;
        Ok((written, self.checked, self.target))
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

async fn run_for_a_while() {
    let run = rand::rng().random_range(50..400);
    tokio::time::sleep(Duration::from_millis(run)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_writes_loses_nothing_acknowledged() -> Result<()> {
    let kills = env("TRYGG_FAULT_KILLS", 50);
    let clients = env("TRYGG_FAULT_CLIENTS", 20);
    let mut storm = Storm::start(TryggTarget::start(&[]), clients, None, false).await?;
    for _ in 0..kills {
        run_for_a_while().await;
        let acked = acknowledged(&storm.sharing.handles);
        storm.target.server.kill();
        storm.check_file_holds(&acked)?;
        storm.target.server.restart();
    }
    let (written, checked, _) = storm.finish().await?;
    println!(
        "{kills} SIGKILLs survived with {clients} devices writing: {written} changes, {checked} acknowledged heads checked in the server's file after each kill"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn power_cuts_during_writes_lose_nothing_acknowledged() -> Result<()> {
    let cuts = env("TRYGG_FAULT_POWER_CUTS", 25);
    let clients = env("TRYGG_FAULT_CLIENTS", 20);
    let target = TryggTarget::start_in(tempfile::tempdir()?, |data| {
        let mut launch = Launch::new(data, free_port(), &[]);
        launch.env = power_cut::env(data);
        launch.log = data.with_extension("log");
        launch
    });
    let mut storm = Storm::start(target, clients, None, false).await?;
    let mut dropped = power_cut::Cut::default();
    for _ in 0..cuts {
        run_for_a_while().await;
        let acked = acknowledged(&storm.sharing.handles);
        storm.target.server.kill();
        let cut = power_cut::cut(&storm.data())?;
        dropped.files += cut.files;
        dropped.bytes_dropped += cut.bytes_dropped;
        storm.check_file_holds(&acked)?;
        storm.target.server.restart();
    }
    let (written, checked, _) = storm.finish().await?;
    anyhow::ensure!(
        dropped.files > 0,
        "the power-cut shim watched no file: is it preloaded?"
    );
    println!(
        "{cuts} power cuts survived with {clients} devices writing: {written} changes, {} unsynced bytes dropped, {checked} acknowledged heads checked in the server's file after each cut",
        dropped.bytes_dropped
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn network_cuts_delays_and_reordering_lose_nothing() -> Result<()> {
    let cuts = env("TRYGG_FAULT_NET_CUTS", 25);
    let clients = env("TRYGG_FAULT_CLIENTS", 20);
    let target = TryggTarget::start(&[]);
    let upstream = std::net::SocketAddr::from(([127, 0, 0, 1], target.server.port));
    let proxy = Proxy::start(upstream, Duration::from_millis(30)).await;
    let storm = Storm::start(target, clients, Some(&proxy), true).await?;
    for _ in 0..cuts {
        // Long enough between cuts for devices to come back (their backoff
        // starts at 200 ms), so that most cuts hit live connections.
        let run = rand::rng().random_range(300..1500);
        tokio::time::sleep(Duration::from_millis(run)).await;
        let down = rand::rng().random_range(0..1000);
        proxy.cut_for(Duration::from_millis(down));
    }
    let (written, _, _) = storm.finish().await?;
    let stats = proxy.stats.lock().unwrap().clone();
    anyhow::ensure!(
        stats.cut > 0 && stats.refused > 0,
        "no fault happened: {stats:?}"
    );
    println!(
        "{cuts} network cuts survived with {clients} samod devices and a JS client writing: {written} changes; {} connections, {} cut, {} refused during partitions, {} delayed pieces",
        stats.connections, stats.cut, stats.refused, stats.pieces
    );
    Ok(())
}

/// A small tmpfs mounted at `dir` for as long as it lives.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs> {
        std::fs::create_dir_all(dir)?;
        sh(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir))
        .context("this test mounts a tmpfs and so needs root (CI runs as root)")?;
        Ok(Tmpfs(dir.to_path_buf()))
    }

    fn remount(&self, how: &str) -> Result<()> {
        sh(Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&self.0))
    }

    /// Fills the file system: a file grows until nothing is left.
    fn fill(&self) -> Result<PathBuf> {
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler)?;
        let block = vec![0u8; 64 * 1024];
        loop {
            use std::io::Write;
            match f.write(&block) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(filler)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a server still holding files there must not stop the unmount.
        if let Err(e) = sh(Command::new("umount").arg("-l").arg(&self.0)) {
            eprintln!("cannot unmount {}: {e}", self.0.display());
        }
    }
}

fn sh(cmd: &mut Command) -> Result<()> {
    let out = cmd.output()?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// What the store logs when a group commit fails.
const COMMIT_FAILED: &str = "a group commit failed";

/// Waits until the server has logged more failed commits than `before`.
async fn log_count_exceeds(storm: &Storm, before: usize) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while storm
        .target
        .server
        .log_text()
        .matches(COMMIT_FAILED)
        .count()
        <= before
    {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the server never logged a failed commit; log:\n{}",
            tail(&storm.target.server.log_text())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_or_read_only_data_directory_refuses_writes_and_loses_nothing() -> Result<()> {
    let clients = env("TRYGG_FAULT_CLIENTS", 20);
    let dir = tempfile::tempdir()?;
    let fs = Tmpfs::mount(&dir.path().join("server"), "64m")?;
    let target = TryggTarget::start_in(dir, |data| {
        let mut launch = Launch::new(data, free_port(), &[]);
        launch.log = data.with_extension("log");
        launch
    });
    let mut storm = Storm::start(target, clients, None, false).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Full: commits fail, nothing is acknowledged that is not stored, the
    // server keeps running and says why.
    let failed = |s: &Storm| s.target.server.log_text().matches(COMMIT_FAILED).count();
    let before = failed(&storm);
    let filler = fs.fill()?;
    log_count_exceeds(&storm, before).await?;
    anyhow::ensure!(
        storm
            .target
            .server
            .log_text()
            .contains("database or disk is full"),
        "a full disk is not named in the log:\n{}",
        tail(&storm.target.server.log_text())
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    anyhow::ensure!(
        storm.target.server.is_running(),
        "the server died of a full disk"
    );
    let full_failures = failed(&storm) - before;
    std::fs::remove_file(filler)?;

    // Room again. A file system with files open for writing cannot turn
    // read-only (`mount point is busy`), so the server stops first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let acked = acknowledged(&storm.sharing.handles);
    storm.target.server.kill();
    storm.check_file_holds(&acked)?;

    // Read-only: the server refuses to start, says why, and changes nothing.
    fs.remount("ro")?;
    let out = Command::new(support::server_bin())
        .args(["serve", "--data-dir"])
        .arg(&fs.0)
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(
        !out.status.success(),
        "the server started on a read-only directory"
    );
    anyhow::ensure!(
        stderr.contains("is not writable") && stderr.contains("Read-only file system"),
        "no clear error for a read-only data directory: {stderr}"
    );
    fs.remount("rw")?;

    // Writable again: everything arrives, and the files are sound.
    storm.target.server.restart();
    let (written, checked, target) = storm.finish().await?;
    println!(
        "a full data directory survived with {clients} devices writing: {full_failures} failed commits, {written} changes, {checked} acknowledged heads checked"
    );
    println!("on a read-only data directory: {}", stderr.trim());
    drop(target);
    Ok(())
}
