//! What a device runs to sync: [`SyncClient`].
//!
//! * A samod repo persists into the device's store file through
//!   [`trygg_store::SamodStorage`], so synced documents land in the same
//!   chunks and index the app reads.
//! * [`SyncClient::edit`] changes a document and writes the new changes to
//!   disk before it returns (samod's own write of the same change follows
//!   later, to the same key): an acknowledged edit survives a kill. The index
//!   rows follow within `INDEX_EVERY`, off the edit's path.
//! * New documents are registered with the server before samod may offer them
//!   (the client's share policy withholds them until then); offline they wait
//!   in the outbox.
//! * Our [`dialer::WsDialer`] sends the bearer token; samod reconnects with
//!   backoff. A refused token stops the dialer and shows in the status.
//! * Photos go through an upload queue with retry, over HTTP.

pub mod api;
pub mod dialer;
pub mod outbox;
pub mod photos;
mod retention;
pub mod status;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::transaction::Transaction;
use automerge::{AutoCommit, Change};
use futures::StreamExt;
use rusqlite::Connection;
use samod::{BackoffConfig, DialerEvent, DialerHandle, PeerId, Repo, ShareConfig};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use trygg_core::{DocError, DocId};
use trygg_store::{IndexMode, SamodStorage};
use url::Url;

use crate::access::Access;
use crate::api::{RegisterDocument, peer_id_of};
use crate::error::{Result, SyncError};
use crate::photo::CleanPhoto;
use crate::tls::Trust;
use crate::{samod_id, trygg_id};

pub use api::{ApiClient, Registered};
pub use dialer::{TokenRefused, WsDialer};
pub use photos::PhotoFiles;
pub use status::{Connection as ConnectionState, SyncStatus};

/// Where the device syncs to and as whom.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The server and this device's token; `None` for a device used offline
    /// only (documents it creates wait in the outbox until it is paired).
    pub remote: Option<Remote>,
    /// The device id the server issued the token for (`GET /api/v1/me`, kept by
    /// the app after pairing so it can start offline).
    pub device_id: String,
    pub max_message_bytes: usize,
    /// How often the client asks the server for new documents.
    pub refresh_every: Duration,
}

/// Where a paired device syncs to.
#[derive(Clone, Debug)]
pub struct Remote {
    /// The server's base address, e.g. `http://127.0.0.1:8080/` or `https://…`.
    pub server: Url,
    pub token: String,
    /// Which certificates an `https://` server may present.
    pub trust: Trust,
}

impl ClientConfig {
    pub fn new(server: Url, token: impl Into<String>, device_id: impl Into<String>) -> Self {
        Self {
            remote: Some(Remote {
                server,
                token: token.into(),
                trust: Trust::default(),
            }),
            ..Self::offline(device_id)
        }
    }

    /// Trust what `trust` trusts for an `https://` server (no effect offline).
    pub fn with_trust(mut self, trust: Trust) -> Self {
        if let Some(remote) = &mut self.remote {
            remote.trust = trust;
        }
        self
    }

    /// A device not paired with any server (yet).
    pub fn offline(device_id: impl Into<String>) -> Self {
        Self {
            remote: None,
            device_id: device_id.into(),
            max_message_bytes: crate::DEFAULT_MAX_MESSAGE_BYTES,
            refresh_every: Duration::from_secs(5),
        }
    }
}

/// A device's sync: see the module docs. Dropping it stops the background work.
#[derive(Debug)]
pub struct SyncClient {
    inner: Arc<Inner>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

struct Inner {
    repo: Repo,
    storage: SamodStorage,
    remote: Option<Connected>,
    /// The device's own tables (outbox, photo queue): used only through
    /// [`Inner::with_db`], off the async threads.
    db: Arc<Mutex<Connection>>,
    photos: PhotoFiles,
    handles: Mutex<HashMap<DocId, samod::DocHandle>>,
    /// Documents waiting for registration; the share policy withholds them.
    unregistered: watch::Sender<Arc<HashSet<DocId>>>,
    /// Documents the server refused to register: kept here only, withheld too.
    local_only: Mutex<HashSet<DocId>>,
    status: watch::Sender<SyncStatus>,
    token_refused: AtomicBool,
    /// Wakes the refresher (a document was created, the connection came up).
    refresh: Notify,
    /// Wakes the photo uploader.
    upload: Notify,
    /// Wakes the status loop: something the indicator shows may have changed
    /// (a document changed or the server acknowledged it, the connection,
    /// the photo queue, the registrations, the listed access).
    status_due: Arc<Notify>,
    /// How often the status has been gathered from every open document.
    status_scans: AtomicU64,
    /// The newest `updated_at` the document list has shown, so the next
    /// refresh asks only for what changed since.
    listed_until: Mutex<Option<trygg_core::Timestamp>>,
    /// This device's access to each document the server has listed, as the
    /// server decided it (`trygg_core::access::decide`).
    listed_access: Mutex<HashMap<DocId, Access>>,
    /// Documents dropped because a purged copy replaced them
    /// ([`retention`]): never opened again.
    retired: Mutex<HashSet<DocId>>,
}

/// The parts of a paired device that talk to the server.
struct Connected {
    api: ApiClient,
    dialer: DialerHandle<TokenRefused>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncClient")
            .field("peer", &self.repo.peer_id())
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    trygg_core::Timestamp::now().millis()
}

impl SyncClient {
    /// Starts syncing the store at `store_path` (photos in `photo_dir`) with the
    /// server, if the config names one. Works offline: the dialer keeps
    /// retrying in the background.
    pub async fn start(
        store_path: impl AsRef<Path>,
        photo_dir: impl AsRef<Path>,
        config: ClientConfig,
    ) -> Result<Self> {
        // Edits are acknowledged once their changes are committed; the index
        // rows follow a moment later, off the edit's path (`index_loop`).
        let storage = SamodStorage::open_with(store_path.as_ref(), IndexMode::Deferred)?;
        let index = trygg_store::Store::open(store_path.as_ref())?;
        let db = trygg_store::open_connection(store_path.as_ref())?;
        let local_only: HashSet<DocId> = outbox::refused(&db)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let pending: HashSet<DocId> = outbox::pending(&db)?
            .into_iter()
            .map(|r| r.id)
            .chain(local_only.iter().copied())
            .collect();
        let (unregistered, _) = watch::channel(Arc::new(pending));
        let policy_rx = unregistered.subscribe();
        let repo = Repo::build_tokio()
            .with_storage(storage.clone())
            .with_peer_id(PeerId::from(peer_id_of(&config.device_id)))
            .with_share_policy(move |doc: samod::DocumentId, _peer: PeerId| {
                withhold_unregistered(policy_rx.clone(), doc)
            })
            .load()
            .await;
        let remote = match &config.remote {
            None => None,
            Some(r) => Some(Connected {
                api: ApiClient::with_trust(&r.server, r.token.clone(), &r.trust)?,
                dialer: repo
                    .dial(
                        BackoffConfig {
                            initial_delay: Duration::from_millis(200),
                            max_delay: Duration::from_secs(10),
                            max_retries: None,
                        },
                        Arc::new(WsDialer::new(
                            ApiClient::sync_url(&r.server)?,
                            r.token.clone(),
                            config.max_message_bytes,
                            r.trust.clone(),
                        )),
                    )
                    .map_err(|_| SyncError::Stopped)?,
            }),
        };
        let (status, _) = watch::channel(SyncStatus::starting());
        let inner = Arc::new(Inner {
            repo,
            storage,
            remote,
            db: Arc::new(Mutex::new(db)),
            photos: PhotoFiles::open(photo_dir.as_ref())?,
            handles: Mutex::new(HashMap::new()),
            unregistered,
            status_due: Arc::new(Notify::new()),
            status_scans: AtomicU64::new(0),
            local_only: Mutex::new(local_only),
            status,
            token_refused: AtomicBool::new(false),
            refresh: Notify::new(),
            upload: Notify::new(),
            listed_until: Mutex::new(None),
            listed_access: Mutex::new(HashMap::new()),
            retired: Mutex::new(HashSet::new()),
        });
        let mut tasks = vec![
            tokio::spawn(status_loop(inner.clone())),
            tokio::spawn(trygg_store::keep_index_current(index, INDEX_EVERY, |_| {})),
        ];
        if inner.remote.is_some() {
            tasks.push(tokio::spawn(watch_dialer(inner.clone())));
            tasks.push(tokio::spawn(refresh_loop(
                inner.clone(),
                config.refresh_every,
            )));
            tasks.push(tokio::spawn(upload_loop(inner.clone())));
        }
        Ok(Self {
            inner,
            tasks: Mutex::new(tasks),
        })
    }

    pub fn peer_id(&self) -> String {
        self.inner.repo.peer_id().to_string()
    }

    /// The server's HTTP API; an error on a device that is not paired.
    pub fn api(&self) -> Result<&ApiClient> {
        self.inner.api()
    }

    /// The sync indicator, updated as things change.
    /// This device's access to `id` as the server decided it, once the
    /// server has listed the document.
    pub fn server_access(&self, id: &DocId) -> Option<Access> {
        self.inner
            .listed_access
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .copied()
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.inner.status.subscribe()
    }

    pub fn is_connected(&self) -> bool {
        self.inner
            .remote
            .as_ref()
            .is_some_and(|r| r.dialer.is_connected())
    }

    /// Waits until the connection to the server is up (or `timeout` passes).
    pub async fn connected(&self, timeout: Duration) -> bool {
        let Some(remote) = &self.inner.remote else {
            return false;
        };
        tokio::time::timeout(timeout, remote.dialer.established())
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Creates a document here: durable at once, registered with the server
    /// now or (offline) as soon as it is reachable, then synced.
    pub async fn create(&self, doc: &mut AutoCommit, registration: RegisterDocument) -> Result<()> {
        let id = registration.id;
        let changes: Vec<Change> = doc.get_changes(&[]);
        self.inner.put_changes(id, changes).await?;
        self.adopt(registration).await
    }

    /// Registers a document that is already in this device's store (written
    /// by another tool, or before the device was paired), then syncs it.
    pub async fn adopt(&self, registration: RegisterDocument) -> Result<()> {
        let id = registration.id;
        self.inner
            .with_db(move |db| outbox::enqueue(db, &registration, now_ms()))
            .await?;
        self.inner
            .unregistered
            .send_modify(|set| Arc::make_mut(set).extend([id]));
        self.inner.status_due.notify_one();
        self.open(&id).await?;
        self.inner.refresh.notify_one();
        Ok(())
    }

    /// Opens a document: from this device's store, or else from the server.
    pub async fn open(&self, id: &DocId) -> Result<()> {
        self.inner.open(id).await.map(|_| ())
    }

    /// The documents open on this device.
    pub fn open_documents(&self) -> Vec<DocId> {
        self.inner.handles().keys().copied().collect()
    }

    /// Reads an open document.
    pub fn read<R>(&self, id: &DocId, f: impl FnOnce(&automerge::Automerge) -> R) -> Result<R> {
        let handle = self.inner.handle(id)?;
        Ok(handle.with_document(|doc| f(doc)))
    }

    /// Edits an open document in one transaction. The new changes are on disk
    /// when this returns (written off the async threads); an error from `f`
    /// leaves the document untouched.
    pub async fn edit<R>(
        &self,
        id: &DocId,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R, DocError>,
    ) -> Result<R> {
        let handle = self.inner.handle(id)?;
        let (result, changes) = handle.with_document(|doc| {
            let before = doc.get_heads();
            let result = doc
                .transact(|tx| f(tx).map_err(Box::new))
                .map(|ok| ok.result)
                .map_err(|failed| SyncError::Document(failed.error));
            let changes: Vec<Change> = doc.get_changes(&before);
            (result, changes)
        });
        let value = result?;
        self.inner.put_changes(*id, changes).await?;
        Ok(value)
    }

    /// A channel that receives a signal whenever an open document changes
    /// (locally or from the server); it closes when the client stops.
    pub fn changes(&self, id: &DocId) -> Result<tokio::sync::mpsc::UnboundedReceiver<()>> {
        let handle = self.inner.handle(id)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut changes = handle.changes();
            while changes.next().await.is_some() {
                if tx.send(()).is_err() {
                    break;
                }
            }
        });
        Ok(rx)
    }

    /// Stores a photo here and queues it for upload; returns the SHA-256 of
    /// its bytes. Only [`crate::photo::clean`] makes a [`CleanPhoto`], so
    /// nothing with location or device metadata gets here.
    /// The file and the queue entry are written off the async threads.
    pub async fn add_photo(&self, photo: CleanPhoto) -> Result<String> {
        let files = self.inner.photos.clone();
        let db = self.inner.db.clone();
        let sha = blocking(move || {
            let sha = files.put(photo.bytes())?;
            let size = photo.bytes().len() as u64;
            photos::enqueue(&lock(&db), &sha, photo.media_type(), size, now_ms())?;
            Ok(sha)
        })
        .await?;
        self.inner.upload.notify_one();
        self.inner.status_due.notify_one();
        Ok(sha)
    }

    /// Photos still waiting for upload.
    pub async fn queued_photos(&self) -> Result<Vec<photos::Queued>> {
        self.inner.with_db(photos::queued).await
    }

    /// Registers what waits in the outbox and opens every document the server
    /// lists, now; returns when each is open (or failed to open).
    pub async fn refresh(&self) -> Result<()> {
        self.inner.refresh().await
    }

    /// Tries the photo queue now instead of at the next interval.
    pub fn upload_photos_now(&self) {
        self.inner.upload.notify_one();
    }

    /// Asks the server for new documents now instead of at the next interval.
    pub fn refresh_now(&self) {
        self.inner.refresh.notify_one();
    }

    /// How many times the status has been gathered from every open document
    /// (the loop behind [`Self::status`], [`Self::status_now`] and
    /// [`Self::all_on_server`]): a figure for tests and benchmarks.
    pub fn status_scans(&self) -> u64 {
        self.inner.status_scans.load(Ordering::Relaxed)
    }

    /// The sync status computed now (the `status()` channel follows within 200 ms).
    pub async fn status_now(&self) -> SyncStatus {
        match current_status(&self.inner).await {
            Some(now) => now,
            None => self.inner.status.borrow().clone(),
        }
    }

    /// Waits until everything is on the server (or `timeout`), judged on fresh
    /// facts each time: the published status may predate the latest edit.
    pub async fn all_on_server(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.status_now().await.connection == ConnectionState::AllOnServer {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops syncing; every write samod started is finished first.
    pub async fn stop(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
        if let Some(remote) = &self.inner.remote {
            remote.dialer.close();
        }
        self.inner.repo.stop().await;
    }
}

impl Drop for SyncClient {
    fn drop(&mut self) {
        for t in lock(&self.tasks).iter() {
            t.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs blocking work (a SQLite commit with a full fsync, a photo file) on
/// Tokio's blocking pool, so that it never stalls an async thread that the
/// app's other commands and sync share.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Io(std::io::Error::other(format!("a storage task failed: {e}"))))?
}

impl Inner {
    /// The device's own tables, for work that is blocking already (the
    /// status facts, gathered on the blocking pool).
    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        lock(&self.db)
    }

    /// Runs `f` on the device's own tables off the async threads.
    async fn with_db<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let db = self.db.clone();
        blocking(move || f(&lock(&db))).await
    }

    /// Stores a document's new changes off the async threads; durable when
    /// this returns.
    async fn put_changes(&self, id: DocId, changes: Vec<Change>) -> Result<()> {
        let storage = self.storage.clone();
        blocking(move || Ok(storage.put_changes(&id, &changes)?)).await
    }

    fn handles(&self) -> std::sync::MutexGuard<'_, HashMap<DocId, samod::DocHandle>> {
        self.handles.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn api(&self) -> Result<&ApiClient> {
        self.remote
            .as_ref()
            .map(|r| &r.api)
            .ok_or(SyncError::NotPaired)
    }

    fn handle(&self, id: &DocId) -> Result<samod::DocHandle> {
        self.handles()
            .get(id)
            .cloned()
            .ok_or(SyncError::NotOpen(*id))
    }

    async fn open(&self, id: &DocId) -> Result<samod::DocHandle> {
        if let Ok(h) = self.handle(id) {
            return Ok(h);
        }
        // samod still holds a retired document in memory; it stays closed.
        if self
            .retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
        {
            return Err(SyncError::Unavailable(*id));
        }
        let was_connected = self
            .remote
            .as_ref()
            .is_some_and(|r| r.dialer.is_connected());
        let mut found = self.find(id).await?;
        // samod answers "unavailable" at once when no connection could ask
        // the server, e.g. while the first dial failed and waits to retry. A
        // document not on this device is then asked for again once the
        // connection is up, if the server says this device may have it.
        if found.is_none()
            && !was_connected
            && let Some(remote) = &self.remote
        {
            let deadline = tokio::time::Instant::now() + OPEN_WAITS_FOR_SERVER;
            match tokio::time::timeout_at(deadline, remote.dialer.established()).await {
                Ok(Ok(_)) if remote.api.document(id).await?.is_some() => {
                    while found.is_none() && tokio::time::Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        found = self.find(id).await?;
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(_)) => return Err(SyncError::TokenRefused),
                Err(_) => {
                    return Err(SyncError::Unreachable(format!(
                        "document {id} is not on this device, and the server was not reachable within {} s to fetch it",
                        OPEN_WAITS_FOR_SERVER.as_secs()
                    )));
                }
            }
        }
        let handle = found.ok_or(SyncError::Unavailable(*id))?;
        if self.handles().insert(*id, handle.clone()).is_none() {
            wake_on_document_events(&handle, self.status_due.clone());
            self.status_due.notify_one();
        }
        Ok(handle)
    }

    async fn find(&self, id: &DocId) -> Result<Option<samod::DocHandle>> {
        self.repo
            .find(samod_id(id))
            .await
            .map_err(|_| SyncError::Stopped)
    }

    /// Registers what the outbox holds; stops at the first network failure.
    async fn flush_outbox(&self) -> Result<()> {
        let api = self.api()?;
        let pending = self.with_db(outbox::pending).await?;
        for reg in pending {
            match api.register(&reg).await {
                Ok(Registered::Created) => {}
                Ok(Registered::Conflict) => {
                    // Ours already (registered before a crash) if we can see it.
                    if api.document(&reg.id).await?.is_none() {
                        tracing::error!(doc = %reg.id, "the id is registered by another organisation; the document stays on this device");
                        continue;
                    }
                }
                Err(SyncError::Api { status, message }) if (400..500).contains(&status) => {
                    tracing::error!(doc = %reg.id, status, %message, "the server refused to register the document; it stays on this device only");
                    let (id, why) = (reg.id, message.clone());
                    self.with_db(move |db| outbox::refuse(db, &id, &why))
                        .await?;
                    self.local_only
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(reg.id);
                    self.status_due.notify_one();
                    continue;
                }
                Err(e) => return Err(e),
            }
            let id = reg.id;
            self.with_db(move |db| outbox::done(db, &id)).await?;
            self.unregistered
                .send_modify(|set| _ = Arc::make_mut(set).remove(&reg.id));
            self.status_due.notify_one();
        }
        Ok(())
    }

    /// Registers pending documents, then opens every document the server lists.
    async fn refresh(&self) -> Result<()> {
        self.flush_outbox().await?;
        // Ask for what changed since the newest entry seen, less a margin for
        // clocks of several server instances; the first refresh asks for all.
        let since = self
            .listed_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map(|t| trygg_core::Timestamp(t.millis() - LIST_OVERLAP_MS).to_rfc3339());
        let listed = self.api()?.documents_since(since.as_deref()).await?;
        let access_changed = {
            let mut access = self.listed_access.lock().unwrap_or_else(|p| p.into_inner());
            listed
                .iter()
                .filter(|d| access.insert(d.doc.id, d.access) != Some(d.access))
                .count()
                > 0
        };
        let newest = listed
            .iter()
            .filter_map(|d| trygg_core::Timestamp::parse_rfc3339(&d.updated_at).ok())
            .max();
        let missing: Vec<DocId> = {
            let open = self.handles();
            listed
                .iter()
                .map(|d| d.doc.id)
                .filter(|id| !open.contains_key(id))
                .collect()
        };
        let all_opened = AtomicBool::new(true);
        futures::stream::iter(missing)
            .for_each_concurrent(8, |id| {
                let all_opened = &all_opened;
                async move {
                    if let Err(e) = self.open(&id).await {
                        tracing::warn!(doc = %id, %e, "could not open a listed document yet");
                        all_opened.store(false, Ordering::Relaxed);
                    }
                }
            })
            .await;
        // Purged copies replace the documents they name, once open.
        for d in &listed {
            if let Some(old) = d.replaces
                && self.handles().contains_key(&d.doc.id)
                && let Err(e) = self.adopt_replacement(old, d.doc.id)
            {
                tracing::error!(doc = %old, replaced_by = %d.doc.id, %e, "could not drop a document the server purged; trying again at the next refresh");
                self.retired
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&old);
                all_opened.store(false, Ordering::Relaxed);
            }
        }
        // Move on only when every listed document opened; else list them again.
        if let Some(newest) = newest.filter(|_| all_opened.load(Ordering::Relaxed)) {
            let mut until = self.listed_until.lock().unwrap_or_else(|p| p.into_inner());
            *until = Some(until.map_or(newest, |u| u.max(newest)));
        }
        // The listed access decides "refused" against "syncing".
        if access_changed {
            self.status_due.notify_one();
        }
        Ok(())
    }

    fn facts(&self) -> status::Facts {
        self.status_scans.fetch_add(1, Ordering::Relaxed);
        let connected = self
            .remote
            .as_ref()
            .is_some_and(|r| r.dialer.is_connected());
        let conn = self.remote.as_ref().and_then(|r| r.dialer.connection_id());
        let withheld = self.unregistered.borrow().clone();
        let listed_access = self.listed_access.lock().unwrap_or_else(|p| p.into_inner());
        let local_only = self
            .local_only
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len();
        let docs = self
            .handles()
            .iter()
            .filter(|(id, _)| !withheld.contains(id))
            .map(|(id, h)| {
                let (peers, _) = h.peers();
                let local_heads = h.with_document(|d| d.get_heads());
                status::DocState {
                    local_heads,
                    shared_heads: conn
                        .and_then(|c| peers.get(&c).and_then(|p| p.shared_heads.clone())),
                    server_access: listed_access.get(id).copied(),
                }
            })
            .collect();
        let photos = self.photo_facts();
        status::Facts {
            connected,
            token_refused: self.token_refused.load(Ordering::Relaxed),
            docs,
            unregistered: withheld.len().saturating_sub(local_only),
            local_only,
            photos_queued: photos.queued,
            photos_missing: photos.missing,
            problem: photos.problem,
        }
    }

    /// The upload queue as the indicator tells it: photos waiting, photos
    /// whose file is gone, and a queue that could not be read at all.
    fn photo_facts(&self) -> PhotoFacts {
        let queue = match photos::queued(&self.db()) {
            Ok(queue) => queue,
            Err(e) => {
                tracing::error!(%e, "reading the photo queue");
                return PhotoFacts {
                    problem: Some(format!("the photo queue could not be read: {e}")),
                    ..PhotoFacts::default()
                };
            }
        };
        let mut facts = PhotoFacts::default();
        for q in queue {
            match self.photos.path(&q.sha256).try_exists() {
                Ok(true) => facts.queued += 1,
                Ok(false) => facts.missing += 1,
                Err(e) => {
                    tracing::error!(photo = %q.sha256, %e, "looking for a queued photo's file");
                    facts.problem = Some(format!("a queued photo's file could not be read: {e}"));
                }
            }
        }
        facts
    }
}

/// The client's share policy toward the server: a document is withheld while
/// it waits for registration, and offered the moment it is registered.
fn withhold_unregistered(
    rx: watch::Receiver<Arc<HashSet<DocId>>>,
    doc: samod::DocumentId,
) -> impl futures::Stream<Item = ShareConfig> + Send + 'static {
    let id = trygg_id(&doc);
    let decide = move |set: &HashSet<DocId>| match id {
        Some(id) if set.contains(&id) => ShareConfig::none(),
        _ => ShareConfig::read_write(),
    };
    futures::stream::unfold((rx, true), move |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let config = decide(&rx.borrow_and_update());
        Some((config, (rx, false)))
    })
}

async fn watch_dialer(inner: Arc<Inner>) {
    let Some(remote) = &inner.remote else { return };
    let mut events = remote.dialer.events();
    while let Some(event) = events.next().await {
        inner.status_due.notify_one();
        match event {
            DialerEvent::Connected { .. } => {
                tracing::info!("connected to the server");
                inner.refresh.notify_one();
                inner.upload.notify_one();
            }
            DialerEvent::Disconnected { reason } => {
                tracing::info!(%reason, "disconnected from the server");
            }
            DialerEvent::PermanentFailure => {
                tracing::error!("the server refused this device's token; syncing stopped");
                inner.token_refused.store(true, Ordering::Relaxed);
            }
            DialerEvent::Reconnecting { .. } | DialerEvent::MaxRetriesReached => {}
        }
    }
}

async fn refresh_loop(inner: Arc<Inner>, every: Duration) {
    loop {
        match inner.refresh().await {
            Ok(()) => {}
            Err(SyncError::TokenRefused) => {
                inner.token_refused.store(true, Ordering::Relaxed);
                inner.status_due.notify_one();
            }
            Err(e) => tracing::debug!(%e, "refresh postponed"),
        }
        let _ = tokio::time::timeout(every, inner.refresh.notified()).await;
    }
}

/// The status from facts gathered now (they lock documents: off the executor).
async fn current_status(inner: &Arc<Inner>) -> Option<SyncStatus> {
    let inner = inner.clone();
    match tokio::task::spawn_blocking(move || inner.facts()).await {
        Ok(facts) => Some(status::summarize(&facts)),
        Err(e) => {
            // The status stays as it was; the next tick tries again.
            tracing::error!(%e, "gathering the sync status failed");
            None
        }
    }
}

/// Publishes the status when an event says it may have changed, at most
/// every [`STATUS_EVERY`], and every [`STATUS_FALLBACK`] without one. An
/// idle device leaves its documents alone.
async fn status_loop(inner: Arc<Inner>) {
    loop {
        // Either way the status is gathered: the wait's end is no error.
        if tokio::time::timeout(STATUS_FALLBACK, inner.status_due.notified())
            .await
            .is_err()
        {
            tracing::trace!("no status event for a while: gathering the status anyway");
        }
        if let Some(next) = current_status(&inner).await {
            inner.status.send_if_modified(|s| {
                let changed = *s != next;
                *s = next;
                changed
            });
        }
        tokio::time::sleep(STATUS_EVERY).await;
    }
}

/// Wakes the status loop whenever document `handle` changes or a peer's
/// state of it does (the server acknowledged changes); ends with the repo.
fn wake_on_document_events(handle: &samod::DocHandle, due: Arc<Notify>) {
    let mut changes = Box::pin(handle.changes());
    let (_, peers) = handle.peers();
    let mut peers = Box::pin(peers);
    tokio::spawn(async move {
        loop {
            let more = tokio::select! {
                c = changes.next() => c.is_some(),
                p = peers.next() => p.is_some(),
            };
            if !more {
                break;
            }
            due.notify_one();
        }
    });
}

/// Events closer together than this are gathered into one status.
const STATUS_EVERY: Duration = Duration::from_millis(200);

/// The status is gathered this often with no event at all: it catches what
/// no event reports (a queued photo's file removed behind the app's back).
const STATUS_FALLBACK: Duration = Duration::from_secs(5);

/// How far back an incremental document list reaches before the newest entry
/// already seen.
const LIST_OVERLAP_MS: i64 = 5_000;

/// How long opening a document that is not on this device waits for a
/// connection to the server before it reports the server unreachable.
const OPEN_WAITS_FOR_SERVER: Duration = Duration::from_secs(15);

/// How long the index may lag behind an edit.
const INDEX_EVERY: Duration = Duration::from_millis(250);

/// What the upload queue holds ([`Inner::photo_facts`]).
#[derive(Default)]
struct PhotoFacts {
    queued: usize,
    missing: usize,
    problem: Option<String>,
}

/// Logs a failed write to the photo queue; the upload loop tries again.
fn log_queue_error(result: Result<()>, photo: &str, what: &str) {
    if let Err(e) = result {
        tracing::error!(%photo, %e, "{what}");
    }
}

/// Notes in the queue why a photo's upload failed (logged if even that fails).
async fn record_failure(inner: &Inner, photo: &str, why: String) {
    let sha = photo.to_string();
    log_queue_error(
        inner
            .with_db(move |db| photos::failed(db, &sha, &why))
            .await,
        photo,
        "recording a photo's failed upload",
    );
}

async fn upload_loop(inner: Arc<Inner>) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let mut failed = false;
        let queue = inner.with_db(photos::queued).await.unwrap_or_else(|e| {
            // The indicator says so too (`photo_facts`); try again later.
            tracing::error!(%e, "reading the photo queue");
            failed = true;
            Vec::new()
        });
        for q in queue {
            let files = inner.photos.clone();
            let sha = q.sha256.clone();
            let read = blocking(move || files.get(&sha)).await;
            let bytes = match read {
                Ok(b) => b,
                Err(e) => {
                    // Kept in the queue: the indicator counts it as missing
                    // (never "all on the server") until the file is back.
                    tracing::error!(photo = %q.sha256, %e, "a queued photo's file cannot be read");
                    record_failure(&inner, &q.sha256, format!("file not readable: {e}")).await;
                    continue;
                }
            };
            let Ok(api) = inner.api() else { return };
            match api.put_photo(&q.sha256, &q.media_type, bytes).await {
                // If this write fails the photo stays queued and is sent
                // again: the server takes the same photo twice.
                Ok(_) => {
                    let sha = q.sha256.clone();
                    log_queue_error(
                        inner.with_db(move |db| photos::done(db, &sha)).await,
                        &q.sha256,
                        "taking an uploaded photo off the queue",
                    )
                }
                Err(e) => {
                    failed = true;
                    record_failure(&inner, &q.sha256, e.to_string()).await;
                    if matches!(e, SyncError::Unreachable(_) | SyncError::TokenRefused) {
                        break;
                    }
                }
            }
        }
        // The queue changed, or why it did not may show.
        inner.status_due.notify_one();
        let wait = if failed {
            backoff = (backoff * 2).min(Duration::from_secs(60));
            backoff
        } else {
            backoff = Duration::from_millis(500);
            Duration::from_secs(30)
        };
        let _ = tokio::time::timeout(wait, inner.upload.notified()).await;
    }
}
