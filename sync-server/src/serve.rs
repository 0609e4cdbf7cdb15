//! `serve`: wires the registry, the samod repo and the HTTP routes together.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use samod::storage::{Storage, StorageKey};
use samod::{AcceptorHandle, PeerId, Repo};
use trygg_core::{DocId, Timestamp};
use trygg_store::{IndexMode, SamodStorage, Store};

use crate::config::{ServeArgs, StoreArgs};
use crate::photos::PhotoDir;
use crate::registry::{Registry, SqliteRegistry};
use crate::snapshot::{self, Published};

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub args: ServeArgs,
    pub registry: Arc<dyn Registry>,
    pub snapshot: Published,
    pub acceptor: AcceptorHandle,
    pub photos: PhotoDir,
}

pub fn registry_path(dir: &Path) -> PathBuf {
    dir.join("registry.db")
}

pub fn documents_path(dir: &Path) -> PathBuf {
    dir.join("documents.db")
}

/// Opens the registry the flags choose.
pub fn open_registry(store: &StoreArgs) -> Result<Arc<dyn Registry>> {
    if store.database_url.is_some() {
        bail!(
            "--database-url (PostgreSQL) is not available in this version; run with --data-dir only"
        );
    }
    std::fs::create_dir_all(&store.data_dir)
        .with_context(|| format!("cannot create {}", store.data_dir.display()))?;
    let path = registry_path(&store.data_dir);
    Ok(Arc::new(SqliteRegistry::open(&path).with_context(
        || format!("cannot open the registry at {}", path.display()),
    )?))
}

/// samod's storage, noting which documents received changes so the document
/// list can say when each was last updated.
#[derive(Clone, Debug)]
struct NotingStorage {
    inner: SamodStorage,
    touched: Arc<Mutex<BTreeSet<DocId>>>,
}

impl Storage for NotingStorage {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        self.inner.load(key).await
    }

    async fn load_range(
        &self,
        prefix: StorageKey,
    ) -> std::collections::HashMap<StorageKey, Vec<u8>> {
        self.inner.load_range(prefix).await
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        let doc = trygg_store::chunks::doc_of_key(&key.to_string());
        self.inner.put(key, data).await;
        if let Some(doc) = doc {
            self.touched
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(doc);
        }
    }

    async fn delete(&self, key: StorageKey) {
        self.inner.delete(key).await
    }
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let registry = open_registry(&args.store)?;
    let (snapshot, _follow) = snapshot::start(registry.clone()).await?;
    let docs_path = documents_path(&args.store.data_dir);
    let storage = SamodStorage::open_with(&docs_path, IndexMode::Deferred)
        .with_context(|| format!("cannot open the document store {}", docs_path.display()))?;
    let touched = Arc::new(Mutex::new(BTreeSet::new()));
    let repo = Repo::build_tokio()
        .with_storage(NotingStorage {
            inner: storage,
            touched: touched.clone(),
        })
        .with_peer_id(PeerId::from("trygg-server"))
        .with_share_policy(crate::sync::policy(snapshot.clone()))
        .load()
        .await;
    let acceptor = repo
        .make_acceptor(url::Url::parse("ws://trygg-server/sync")?)
        .map_err(|_| anyhow::anyhow!("the sync engine stopped while starting"))?;
    let photos = PhotoDir::open(args.store.data_dir.join("photos"))?;
    tokio::spawn(note_updates(registry.clone(), touched));
    // The index (for dashboards) follows the documents, off the sync path.
    let index = Store::open(&docs_path)
        .with_context(|| format!("cannot open the document index {}", docs_path.display()))?;
    tokio::spawn(trygg_store::keep_index_current(
        index,
        Duration::from_secs(2),
    ));

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        data_dir = %args.store.data_dir.display(),
        backend = "sqlite",
        max_message_bytes = args.max_message_bytes,
        max_photo_bytes = args.max_photo_bytes,
        "trygg-server starting"
    );
    let state = Arc::new(AppState {
        args,
        registry,
        snapshot,
        acceptor,
        photos,
    });
    let app = crate::http::router(state);
    // Tests and scripts read this line to learn the port.
    println!("listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopping: finishing document writes");
    repo.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

/// Writes "last updated" times for documents that received changes, once a second.
async fn note_updates(registry: Arc<dyn Registry>, touched: Arc<Mutex<BTreeSet<DocId>>>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let ids = std::mem::take(&mut *touched.lock().unwrap_or_else(|p| p.into_inner()));
        if let Err(e) = registry.touch_documents(&ids, Timestamp::now()).await {
            tracing::warn!(%e, "could not note document update times");
        }
    }
}
