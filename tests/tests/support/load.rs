//! A load generator that speaks the plain automerge-repo protocol to any
//! server: every device is a samod repo (the client our devices run), all
//! devices share every document, a few of them write at a fixed rate, and
//! every device records when it first sees each change.
//!
//! The same run works against `trygg-server` (devices with tokens, documents
//! registered first) and against the stock automerge-repo server
//! (`tests/interop/peer-server.mjs`), so the two are measured alike.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use automerge::transaction::Transactable;
use automerge::{Automerge, ReadDoc};
use futures::StreamExt;
use samod::{BackoffConfig, DocHandle, PeerId, Repo};
use trygg_core::DocKind;
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::{ApiClient, WsDialer};
use url::Url;

use super::server::{DeviceToken, Launch, Server, add_device, add_org, free_port};

/// The shape of one load: `devices × docs × writers × rate`.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub devices: usize,
    pub docs: usize,
    pub writers: usize,
    /// Changes per second per writer.
    pub rate: f64,
    pub seconds: f64,
}

impl std::fmt::Display for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} × {} × {} × {}",
            self.devices, self.docs, self.writers, self.rate
        )
    }
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: u64,
    pub expected: u64,
    pub delivered: u64,
    /// Delivery latencies, milliseconds.
    pub latencies: Vec<f64>,
    /// From the first change to the last delivery (or the end of the drain).
    pub elapsed: Duration,
    pub server_cpu: Duration,
    /// CPU time of the load generator itself (this process) in the same span.
    pub client_cpu: Duration,
    /// How late the generator's own runtime woke a 5 ms timer while writing,
    /// milliseconds: latency queued in the generator rather than the server.
    pub generator_lag: Vec<f64>,
    /// When the lone observer (see [`Observer`]) first saw each change,
    /// milliseconds after it was made.
    pub observed: Vec<f64>,
}

impl Outcome {
    pub fn delivered_per_s(&self) -> f64 {
        self.delivered as f64 / self.elapsed.as_secs_f64()
    }

    pub fn cpu_per_delivery_ms(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e3 / self.delivered.max(1) as f64
    }

    pub fn undelivered(&self) -> u64 {
        self.expected.saturating_sub(self.delivered)
    }

    /// Changes the observer never saw.
    pub fn unobserved(&self) -> u64 {
        self.changes.saturating_sub(self.observed.len() as u64)
    }
}

/// A server under load: its process (for CPU and memory) and how devices reach it.
pub trait Target {
    fn name(&self) -> &str;
    fn pid(&self) -> u32;
    /// Devices' peer ids, sync addresses and tokens.
    fn devices(&mut self, n: usize) -> Result<Vec<Device>>;
    /// Registers documents before they are synced (trygg); nothing elsewhere.
    fn register(&self, owner: &Device, ids: &[trygg_core::DocId]) -> Result<()>;
}

#[derive(Clone, Debug)]
pub struct Device {
    pub peer: String,
    pub url: Url,
    pub token: String,
}

/// `trygg-server` with one organisation whose devices share everything.
pub struct TryggTarget {
    pub server: Server,
    pub dir: tempfile::TempDir,
    made: Vec<DeviceToken>,
}

impl TryggTarget {
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, |data| Launch::new(data, free_port(), extra))
    }

    /// Starts the server with its data in `dir/server` (which may already
    /// exist, e.g. as a mount point), as `launch` says.
    pub fn start_in(dir: tempfile::TempDir, launch: impl FnOnce(&Path) -> Launch) -> Self {
        let data = dir.path().join("server");
        std::fs::create_dir_all(&data).unwrap();
        add_org(&data, "district", "district");
        let server = launch(&data).start();
        Self {
            server,
            dir,
            made: Vec::new(),
        }
    }
}

impl Target for TryggTarget {
    fn name(&self) -> &str {
        "trygg"
    }

    fn pid(&self) -> u32 {
        self.server.pid().expect("the server runs")
    }

    fn devices(&mut self, n: usize) -> Result<Vec<Device>> {
        // `admin` runs as its own process per device; four at a time.
        let data = self.server.dir.clone();
        let missing = n.saturating_sub(self.made.len());
        let made: Vec<DeviceToken> = std::thread::scope(|s| {
            let chunks: Vec<_> = (0..4)
                .map(|t| {
                    let data = &data;
                    s.spawn(move || {
                        (0..missing)
                            .filter(|i| i % 4 == t)
                            .map(|_| add_device(data, "district", "field"))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            chunks
                .into_iter()
                .flat_map(|h| h.join().expect("admin thread"))
                .collect()
        });
        self.made.extend(made);
        let url = Url::parse(&self.server.ws())?;
        Ok(self.made[..n]
            .iter()
            .map(|d| Device {
                peer: trygg_sync::api::peer_id_of(&d.id),
                url: url.clone(),
                token: d.token.clone(),
            })
            .collect())
    }

    fn register(&self, owner: &Device, ids: &[trygg_core::DocId]) -> Result<()> {
        let api = ApiClient::new(&self.server.base(), owner.token.clone())?;
        let rt = tokio::runtime::Handle::current();
        for id in ids {
            let reg = RegisterDocument {
                id: *id,
                kind: DocKind::Walk,
                area: None,
                shared_with: Default::default(),
                restricted: false,
                responsible_org: None,
            };
            tokio::task::block_in_place(|| rt.block_on(api.register(&reg)))?;
        }
        Ok(())
    }
}

/// The stock automerge-repo server (`tests/interop/peer-server.mjs`).
pub struct PeerTarget {
    child: Child,
    port: u16,
    pub dir: tempfile::TempDir,
}

impl PeerTarget {
    pub fn start() -> Result<Self> {
        let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
        anyhow::ensure!(
            interop
                .join("node_modules/@automerge/automerge-repo-storage-nodefs")
                .exists(),
            "run scripts/setup.sh: the stock server's npm packages are missing"
        );
        let dir = tempfile::tempdir()?;
        let port = free_port();
        let mut child = Command::new("node")
            .current_dir(&interop)
            .arg("peer-server.mjs")
            .arg(dir.path())
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting node peer-server.mjs")?;
        let stdout = child.stdout.take().context("piped stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        if !line.starts_with("listening on") {
            bail!("the stock server did not start: {line}");
        }
        Ok(Self { child, port, dir })
    }
}

impl Drop for PeerTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Target for PeerTarget {
    fn name(&self) -> &str {
        "automerge-repo"
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn devices(&mut self, n: usize) -> Result<Vec<Device>> {
        let url = Url::parse(&format!("ws://127.0.0.1:{}/", self.port))?;
        Ok((0..n)
            .map(|i| Device {
                peer: format!("load-device-{i}"),
                url: url.clone(),
                token: "unused".into(),
            })
            .collect())
    }

    fn register(&self, _owner: &Device, _ids: &[trygg_core::DocId]) -> Result<()> {
        Ok(())
    }
}

/// A device: its samod repo.
pub async fn repo(device: &Device) -> Repo {
    Repo::build_tokio()
        .with_peer_id(PeerId::from(device.peer.as_str()))
        .load()
        .await
}

pub fn dial(
    repo: &Repo,
    device: &Device,
) -> Result<samod::DialerHandle<trygg_sync::client::TokenRefused>> {
    repo.dial(
        BackoffConfig {
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retries: None,
        },
        Arc::new(WsDialer::new(
            device.url.clone(),
            device.token.clone(),
            trygg_sync::DEFAULT_MAX_MESSAGE_BYTES,
            trygg_sync::tls::Trust::default(),
        )),
    )
    .map_err(|_| anyhow::anyhow!("the repo stopped"))
}

/// Finds a document, asking again until the server has it (or `within` passes).
pub async fn find(repo: &Repo, id: &samod::DocumentId, within: Duration) -> Result<DocHandle> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Ok(Some(h))) =
            tokio::time::timeout(Duration::from_secs(10), repo.find(id.clone())).await
        {
            return Ok(h);
        }
        if Instant::now() > deadline {
            bail!("document {id} never became available");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// CPU time (user + system) of a process so far (Linux).
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10) // CLK_TCK is 100 on Linux
}

/// Resident memory of a process, KiB (Linux); `None` if it is gone.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The record of what was written and seen.
struct Tracker {
    /// `sent[writer][doc]`: when each of the writer's changes to the document was made.
    sent: Vec<Vec<Mutex<Vec<Instant>>>>,
    delivered: AtomicU64,
    latencies: Mutex<Vec<f64>>,
    last_delivery: Mutex<Option<Instant>>,
}

fn key(writer: usize) -> String {
    format!("w{writer}")
}

fn count(doc: &Automerge, writer: usize) -> usize {
    match doc.get(automerge::ROOT, key(writer)) {
        Ok(Some((v, _))) => v.as_u64().unwrap_or(0) as usize,
        _ => 0,
    }
}

/// Devices sharing documents through a server.
pub struct Sharing {
    pub repos: Vec<Repo>,
    pub dialers: Vec<samod::DialerHandle<trygg_sync::client::TokenRefused>>,
    pub ids: Vec<trygg_core::DocId>,
    /// `handles[device][doc]`.
    pub handles: Vec<Vec<DocHandle>>,
}

impl Sharing {
    pub async fn stop(self) {
        for d in &self.dialers {
            d.close();
        }
        for r in self.repos {
            r.stop().await;
        }
    }
}

/// Connects `devices`: the first creates `docs` documents before it
/// connects (so the target can register them first), every other device
/// finds each of them through the server.
pub async fn share(target: &dyn Target, devices: &[Device], docs: usize) -> Result<Sharing> {
    let mut repos = Vec::with_capacity(devices.len());
    for d in devices {
        repos.push(repo(d).await);
    }
    let mut samod_ids = Vec::new();
    let mut first = Vec::new();
    for n in 0..docs {
        // A server has nothing to offer for a document without changes, so
        // each starts with one.
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "load", n as u64)?;
        tx.commit();
        let h = repos[0]
            .create(doc)
            .await
            .map_err(|_| anyhow::anyhow!("stopped"))?;
        samod_ids.push(h.document_id().clone());
        first.push(h);
    }
    let ids: Vec<trygg_core::DocId> = samod_ids
        .iter()
        .map(|i| trygg_sync::trygg_id(i).expect("16-byte ids"))
        .collect();
    target.register(&devices[0], &ids)?;
    // The first device uploads every document before anyone asks for one:
    // a server that has not yet seen a document may answer "unavailable".
    let mut dialers = vec![dial(&repos[0], &devices[0])?];
    tokio::time::timeout(Duration::from_secs(60), dialers[0].established())
        .await
        .context("the first device did not connect")?
        .map_err(|_| anyhow::anyhow!("the first device was refused"))?;
    let conn = dialers[0]
        .connection_id()
        .context("the first device has no connection")?;
    tokio::time::timeout(
        Duration::from_secs(120),
        futures::future::join_all(first.iter().map(|h| h.they_have_our_changes(conn))),
    )
    .await
    .context("the server did not take the first device's documents")?;
    for (r, d) in repos.iter().zip(devices).skip(1) {
        dialers.push(dial(r, d)?);
    }
    let mut handles = vec![first];
    let found = futures::future::join_all(repos[1..].iter().map(|r| {
        let samod_ids = &samod_ids;
        async move {
            let mut hs = Vec::new();
            for id in samod_ids {
                hs.push(find(r, id, Duration::from_secs(120)).await?);
            }
            anyhow::Ok(hs)
        }
    }))
    .await;
    for f in found {
        handles.push(f?);
    }
    Ok(Sharing {
        repos,
        dialers,
        ids,
        handles,
    })
}

/// One more device, a plain-protocol peer of its own ([`RawPeer`]) on its
/// own thread and runtime, that syncs every document and records when it
/// first sees each change. The samod devices share the generator's runtime
/// (and these 2 cores) with each other, so their latency includes the
/// generator's own queue; the observer's is the server's part (its commit,
/// its fan-out) plus one light receiver.
struct Observer {
    stop: Arc<std::sync::atomic::AtomicBool>,
    ready: Arc<std::sync::atomic::AtomicUsize>,
    thread: std::thread::JoinHandle<Result<Vec<f64>>>,
}

/// Pins the calling thread to `cpus` (a `taskset` list) with `taskset -p`,
/// so that the observer can share a core with the server (itself started
/// under `TRYGG_TEST_SERVER_WRAPPER="taskset -c 0"`) while the generator
/// runs on the other (`taskset -c 1 cargo bench …`).
fn pin_this_thread(cpus: &str) -> Result<()> {
    let me = std::fs::read_link("/proc/thread-self").context("/proc/thread-self")?;
    let tid = me
        .file_name()
        .and_then(|t| t.to_str())
        .context("a thread id")?
        .to_string();
    let status = std::process::Command::new("taskset")
        .args(["-p", "-c", cpus, &tid])
        .stdout(std::process::Stdio::null())
        .status()
        .context("running taskset")?;
    anyhow::ensure!(status.success(), "taskset -p -c {cpus} {tid} failed");
    Ok(())
}

impl Observer {
    fn start(device: Device, docs: Vec<String>, tracker: Arc<Tracker>, writers: usize) -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ready = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let thread = std::thread::spawn({
            let (stop, ready) = (stop.clone(), ready.clone());
            move || {
                if let Ok(cpu) = std::env::var("TRYGG_BENCH_OBSERVER_CPU") {
                    pin_this_thread(&cpu)?;
                }
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(observe(device, docs, tracker, writers, stop, ready))
            }
        });
        Self {
            stop,
            ready,
            thread,
        }
    }

    /// Waits until the observer holds every document as it was before writing.
    async fn synced(&self, docs: usize, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        while self.ready.load(Ordering::Relaxed) < docs {
            if Instant::now() > deadline || self.thread.is_finished() {
                bail!("the observer did not get every document");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<f64>> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the observer panicked"))?
    }
}

async fn observe(
    device: Device,
    docs: Vec<String>,
    tracker: Arc<Tracker>,
    writers: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
    ready: Arc<std::sync::atomic::AtomicUsize>,
) -> Result<Vec<f64>> {
    use super::raw::{self, RawPeer, Received, Val};
    use automerge::sync::{Message, State, SyncDoc};

    struct Copy {
        index: usize,
        doc: Automerge,
        state: State,
        seen: Vec<usize>,
        loaded: bool,
    }
    let mut peer = RawPeer::connect(device.url.as_str(), &device.token)
        .await
        .context("the observer's connection")?;
    let server = peer.handshake(&device.peer).await;
    let mut copies = std::collections::HashMap::new();
    for (index, id) in docs.iter().enumerate() {
        let doc = Automerge::new();
        let mut state = State::new();
        let first = doc
            .generate_sync_message(&mut state)
            .context("an empty document's first message")?
            .encode();
        peer.send(raw::frame(&[
            ("type", Val::S("request")),
            ("senderId", Val::S(&device.peer)),
            ("targetId", Val::S(&server)),
            ("documentId", Val::S(id)),
            ("data", Val::B(&first)),
        ]))
        .await;
        let copy = Copy {
            index,
            doc,
            state,
            seen: vec![0; writers],
            loaded: false,
        };
        copies.insert(id.clone(), copy);
    }
    let mut observed = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let msg = match peer.next(Duration::from_millis(50)).await {
            Received::Msg(m) => m,
            Received::Quiet => continue,
            Received::Closed => bail!("the server closed the observer's connection"),
        };
        let now = Instant::now();
        // Only sync messages carry changes (the stock server also sends
        // ephemeral ones).
        let (Some(id), Some(data), "sync") = (msg.document, msg.data, msg.kind.as_str()) else {
            continue;
        };
        let Some(copy) = copies.get_mut(&id) else {
            bail!("the server sent an unasked-for document {id}");
        };
        copy.doc
            .receive_sync_message(&mut copy.state, Message::decode(&data)?)?;
        if !copy.loaded && copy.doc.get(automerge::ROOT, "load")?.is_some() {
            copy.loaded = true;
            ready.fetch_add(1, Ordering::Relaxed);
        }
        for w in 0..writers {
            let c = count(&copy.doc, w);
            if c > copy.seen[w] {
                let sent = tracker.sent[w][copy.index].lock().unwrap();
                for t in &sent[copy.seen[w].min(sent.len())..c.min(sent.len())] {
                    observed.push(now.duration_since(*t).as_secs_f64() * 1e3);
                }
                copy.seen[w] = c;
            }
        }
        if let Some(reply) = copy.doc.generate_sync_message(&mut copy.state) {
            peer.send(raw::sync(&device.peer, &server, &id, &reply.encode()))
                .await;
        }
    }
    Ok(observed)
}

/// Runs `load` against `target`: sets up devices and documents, writes for
/// `load.seconds`, then waits up to `drain` for every change to arrive.
/// Uses `load.devices + 1` of the target's devices: the last is the
/// observer's, so it must not be connected elsewhere.
pub async fn run(target: &mut dyn Target, load: Load, drain: Duration) -> Result<Outcome> {
    anyhow::ensure!(load.writers <= load.devices && load.devices >= 2);
    let mut devices = target.devices(load.devices + 1)?;
    let observer_device = devices.pop().context("the observer's device")?;
    let shared = share(target, &devices, load.docs).await?;
    let handles = &shared.handles;

    let tracker = Arc::new(Tracker {
        sent: (0..load.writers)
            .map(|_| (0..load.docs).map(|_| Mutex::new(Vec::new())).collect())
            .collect(),
        delivered: AtomicU64::new(0),
        latencies: Mutex::new(Vec::new()),
        last_delivery: Mutex::new(None),
    });
    let observer = Observer::start(
        observer_device,
        handles[0]
            .iter()
            .map(|h| h.document_id().to_string())
            .collect(),
        tracker.clone(),
        load.writers,
    );
    observer.synced(load.docs, Duration::from_secs(60)).await?;
    // Readers: every device watches every document.
    let mut watchers = Vec::new();
    for (dev, hs) in handles.iter().enumerate() {
        for (doc, h) in hs.iter().enumerate() {
            let h = h.clone();
            let tracker = tracker.clone();
            let writers = load.writers;
            watchers.push(tokio::spawn(async move {
                let mut last = vec![0usize; writers];
                let mut changes = h.changes();
                while changes.next().await.is_some() {
                    let now = Instant::now();
                    let counts: Vec<usize> =
                        h.with_document(|d| (0..writers).map(|w| count(d, w)).collect());
                    let mut got = Vec::new();
                    for (w, c) in counts.into_iter().enumerate() {
                        if w == dev || c <= last[w] {
                            continue;
                        }
                        let sent = tracker.sent[w][doc].lock().unwrap();
                        for t in &sent[last[w]..c.min(sent.len())] {
                            got.push(now.duration_since(*t).as_secs_f64() * 1e3);
                        }
                        last[w] = c;
                    }
                    if !got.is_empty() {
                        tracker
                            .delivered
                            .fetch_add(got.len() as u64, Ordering::Relaxed);
                        tracker.latencies.lock().unwrap().extend(got);
                        *tracker.last_delivery.lock().unwrap() = Some(now);
                    }
                }
            }));
        }
    }

    // A probe of the generator's own scheduling delay.
    let lag = Arc::new(Mutex::new(Vec::new()));
    let probe = tokio::spawn({
        let lag = lag.clone();
        async move {
            loop {
                let t = Instant::now();
                tokio::time::sleep(Duration::from_millis(5)).await;
                let late = t.elapsed().as_secs_f64() * 1e3 - 5.0;
                lag.lock().unwrap().push(late.max(0.0));
            }
        }
    });
    // Writers: device w writes to documents in turn.
    let pid = target.pid();
    let cpu0 = cpu_time(pid);
    let client0 = cpu_time(std::process::id());
    let start = Instant::now();
    let period = Duration::from_secs_f64(1.0 / load.rate);
    let total = (load.seconds * load.rate).round() as usize;
    let writers: Vec<_> = (0..load.writers)
        .map(|w| {
            let hs = handles[w].clone();
            let tracker = tracker.clone();
            let docs = load.docs;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(period);
                // Spread the writers over the period.
                tokio::time::sleep(period.mul_f64(w as f64 / 10.0)).await;
                let mut counts = vec![0usize; docs];
                for n in 0..total {
                    tick.tick().await;
                    let doc = (w + n) % docs;
                    counts[doc] += 1;
                    let c = counts[doc];
                    tracker.sent[w][doc].lock().unwrap().push(Instant::now());
                    hs[doc].with_document(|d| {
                        let mut tx = d.transaction();
                        tx.put(automerge::ROOT, key(w), c as u64).expect("put");
                        tx.commit();
                    });
                }
            })
        })
        .collect();
    for w in writers {
        w.await?;
    }
    probe.abort();
    let changes = (total * load.writers) as u64;
    let expected = changes * (load.devices as u64 - 1);
    let deadline = Instant::now() + drain;
    while tracker.delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let observed = observer.finish()?;
    let cpu = cpu_time(pid).saturating_sub(cpu0);
    let client_cpu = cpu_time(std::process::id()).saturating_sub(client0);
    let end = tracker
        .last_delivery
        .lock()
        .unwrap()
        .unwrap_or_else(Instant::now);
    for w in watchers {
        w.abort();
    }
    shared.stop().await;
    let latencies = std::mem::take(&mut *tracker.latencies.lock().unwrap());
    Ok(Outcome {
        changes,
        expected,
        delivered: tracker.delivered.load(Ordering::Relaxed),
        latencies,
        elapsed: end.duration_since(start),
        server_cpu: cpu,
        client_cpu,
        generator_lag: std::mem::take(&mut *lag.lock().unwrap()),
        observed,
    })
}

/// Connects `n` devices that join and then stay idle; returns their repos
/// (dropping them disconnects).
pub async fn idle_devices(
    devices: &[Device],
) -> Result<Vec<(Repo, samod::DialerHandle<trygg_sync::client::TokenRefused>)>> {
    let mut out = Vec::new();
    for d in devices {
        let r = repo(d).await;
        let dialer = dial(&r, d)?;
        out.push((r, dialer));
    }
    for (_, dialer) in &out {
        tokio::time::timeout(Duration::from_secs(60), dialer.established())
            .await
            .context("an idle device did not connect")?
            .map_err(|_| anyhow::anyhow!("an idle device was refused"))?;
    }
    Ok(out)
}
