//! `serve`: wires the registry, the sync engine and the HTTP routes together.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::serve::ListenerExt;
use trygg_core::Timestamp;
use trygg_engine::{Engine, EngineConfig, Readers};
use trygg_store::{GroupCommit, Store};
use trygg_sync::access::DocAccess;

use crate::audit::{AuditLog, audit_path};
use crate::auth_limit::UnknownTokenLimit;
use crate::config::{ServeArgs, StoreArgs};
use crate::dashboard::tiles::Tiles;
use crate::photos::{PhotoDir, PhotoRefs};
use crate::registry::{DocRecord, Registry, RegistryError, SqliteRegistry};
use crate::retention::Retention;
use crate::snapshot::{self, Published};

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub args: ServeArgs,
    pub registry: Arc<dyn Registry>,
    pub snapshot: Published,
    pub engine: Engine,
    pub photos: PhotoDir,
    pub photo_refs: PhotoRefs,
    pub unknown_tokens: UnknownTokenLimit,
    pub audit: AuditLog,
    /// The dashboard's view of the documents.
    pub index: crate::dashboard::IndexReader,
    /// The map's raster tiles, when the operator configured them.
    pub tiles: Option<Tiles>,
}

impl AppState {
    /// Enters a new document in the access table, registered now by
    /// `registered_by`, and refreshes the snapshot so this instance's next
    /// request sees it. The caller has checked `access::may_register`.
    /// [`RegistryError::Conflict`] when the id is taken.
    pub async fn register_new(
        &self,
        access: DocAccess,
        registered_by: &str,
    ) -> Result<DocRecord, RegistryError> {
        let now = Timestamp::now();
        let record = DocRecord {
            access,
            registered_by: registered_by.to_string(),
            registered_at: now,
            updated_at: now,
            replaces: None,
            replaced_by: None,
        };
        self.registry.register_document(&record).await?;
        crate::snapshot::refresh_now(self.registry.as_ref(), &self.snapshot).await;
        Ok(record)
    }
}

pub fn registry_path(dir: &Path) -> PathBuf {
    dir.join("registry.db")
}

pub fn documents_path(dir: &Path) -> PathBuf {
    dir.join("documents.db")
}

/// Where the server keeps photo files.
pub fn photos_path(dir: &Path) -> PathBuf {
    dir.join("photos")
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
    check_writable(&store.data_dir)?;
    let path = registry_path(&store.data_dir);
    Ok(Arc::new(SqliteRegistry::open(&path).with_context(
        || format!("cannot open the registry at {}", path.display()),
    )?))
}

/// SQLite only says "unable to open database file" on a read-only or full
/// directory; a probe file names the real reason.
fn check_writable(dir: &Path) -> Result<()> {
    // One per process: several `admin` commands may run at once.
    let probe = dir.join(format!(".trygg-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"trygg")
        .and_then(|()| std::fs::remove_file(&probe))
        .with_context(|| format!("the data directory {} is not writable", dir.display()))
}

pub async fn run(args: ServeArgs) -> Result<()> {
    // Bad certificate files stop the server before anything else starts.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key)?),
        _ => None,
    };
    let registry = open_registry(&args.store)?;
    let (snapshot, _follow) = snapshot::start(registry.clone()).await?;
    let docs_path = documents_path(&args.store.data_dir);
    let open_docs = || format!("cannot open the document store {}", docs_path.display());
    let writer = GroupCommit::open(&docs_path).with_context(open_docs)?;
    let readers = Readers::open(&docs_path).with_context(open_docs)?;
    let audit = AuditLog::open(&audit_path(&args.store.data_dir))?;
    let engine = Engine::new(
        EngineConfig {
            evict_after: args.evict_after,
            ..EngineConfig::default()
        },
        Arc::new(crate::sync::SnapshotAccess(snapshot.clone())),
        Arc::new(crate::sync::SyncAudit {
            log: audit.clone(),
            snapshot: snapshot.clone(),
        }),
        writer.clone(),
        readers,
    );
    snapshot.listen(Arc::new(crate::sync::AccessListener(engine.clone())));
    let photos = PhotoDir::open(photos_path(&args.store.data_dir))?;
    let photo_refs = PhotoRefs::new(
        Store::open(&docs_path)
            .with_context(|| format!("cannot open the photo index {}", docs_path.display()))?,
    );
    tokio::spawn(note_updates(registry.clone(), engine.clone()));
    // The index (for the dashboard) follows the documents, off the sync path.
    let index = crate::dashboard::IndexReader::start(
        &docs_path,
        Store::open(&docs_path)
            .with_context(|| format!("cannot open the document index {}", docs_path.display()))?,
        &writer,
    )
    .with_context(|| format!("cannot open the document index {}", docs_path.display()))?;

    if let Some(days) = args.retention_days {
        let store = Store::open(&docs_path)
            .with_context(|| format!("cannot open the document store {}", docs_path.display()))?;
        let retention = Retention {
            days,
            registry: registry.clone(),
            snapshot: snapshot.clone(),
            engine: engine.clone(),
            writer,
            store: Arc::new(std::sync::Mutex::new(store)),
            photos: photos.clone(),
            audit: audit.clone(),
            // A stop between forgetting and emptying the log leaves no
            // mark: the first run empties it anyway.
            log_to_empty: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        };
        tokio::spawn(retention.run(args.purge_every));
    }

    let tiles = match (&args.map_tiles, &args.map_pmtiles) {
        (Some(url), _) => Some(Tiles::remote(url, &args.map_attribution)?),
        (None, Some(path)) => Some(Tiles::archive(path, &args.map_attribution).await?),
        (None, None) => None,
    };

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        data_dir = %args.store.data_dir.display(),
        backend = "sqlite",
        max_message_bytes = args.max_message_bytes,
        max_photo_bytes = args.max_photo_bytes,
        retention_days = args.retention_days,
        "trygg-server starting"
    );
    let unknown_tokens =
        UnknownTokenLimit::new(args.unknown_tokens_per_minute, args.unknown_token_burst);
    let stopping = {
        let engine = engine.clone();
        async move {
            shutdown_signal().await;
            tracing::info!("stopping: closing the sync connections");
            engine.close_all("the server is stopping; connect again");
        }
    };
    let connections_of = engine.clone();
    let state = Arc::new(AppState {
        args,
        registry,
        snapshot,
        engine,
        photos,
        photo_refs,
        unknown_tokens,
        audit: audit.clone(),
        index,
        tiles,
    });
    let app = crate::http::router(state, tls.is_some());
    // Tests and scripts read this line to learn the port.
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{addr}");
    // Sync messages are small and answered at once: without TCP_NODELAY,
    // Nagle's algorithm holds a message back until the device's delayed ACK
    // (up to 40 ms on Linux) for the one before it.
    fn nodelay(tcp: &tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
    }
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    match tls {
        None => {
            axum::serve(listener.tap_io(|tcp| nodelay(tcp)), app)
                .with_graceful_shutdown(stopping)
                .await?;
        }
        Some(config) => {
            let listener = crate::tls::TlsListener::new(listener, config)?
                .tap_io(|tls| nodelay(tls.get_ref().0));
            axum::serve(listener, app)
                .with_graceful_shutdown(stopping)
                .await?;
        }
    }
    // HTTP requests in flight have finished; sockets upgraded to sync run
    // on their own tasks: give them a moment to send their close frames.
    let closing = tokio::time::Instant::now() + Duration::from_secs(5);
    while connections_of
        .stats()
        .connections
        .load(std::sync::atomic::Ordering::Relaxed)
        > 0
        && tokio::time::Instant::now() < closing
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if !audit.flush(Duration::from_secs(5)) {
        tracing::error!(
            "the audit trail could not be written before stopping: its last entries are lost"
        );
    }
    // Every acknowledged change was committed before it was acknowledged;
    // what is still on its way was not acknowledged and devices send it again.
    tracing::info!("stopped");
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
async fn note_updates(registry: Arc<dyn Registry>, engine: Engine) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let ids = engine.take_touched();
        if ids.is_empty() {
            continue;
        }
        if let Err(e) = registry.touch_documents(&ids, Timestamp::now()).await {
            tracing::warn!(%e, "could not note document update times");
        }
    }
}
