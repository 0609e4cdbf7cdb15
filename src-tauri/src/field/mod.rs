//! What the field app does, without Tauri: [`Field`] holds the device's store,
//! its sync client and its settings, and offers one method per thing a user
//! does. Tauri commands (`commands.rs`) only forward to it, so all of this is
//! tested and measured without a window.
//!
//! Reads for lists come from the store's derived index; a walk being worked on
//! is opened through the sync client, so edits are durable when a method
//! returns and changes from other devices arrive live.
//!
//! One room per thing a person does: `pairing`, `shared` (directory,
//! vocabulary, templates), `walks`, `observations`, `photos`, `actions`;
//! here, what they all use: the settings, the access checks and the client.

mod actions;
mod observations;
mod pairing;
mod photos;
mod shared;
mod walks;

pub use pairing::OfflineWalks;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use autosurgeon::Text;
use tokio::sync::RwLock;
use trygg_core::document::{self, AnyDocument};
use trygg_core::model::*;
use trygg_core::{DocId, DocKind, DocumentSchema, Timestamp, edit, new_entity_id, walk_delta};
use trygg_store::Store;
use trygg_store::index::{ActionFilter, ObservationFilter, WalkFilter};
use trygg_sync::access::{self, Access, Principal, Role};
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::{ApiClient, ClientConfig, PhotoFiles, SyncClient, SyncStatus};
use trygg_sync::tls::Trust;
use url::Url;

use crate::dto::*;
use crate::error::{AppError, FieldErrors, Result};
use crate::secret::Tokens;
use crate::settings::{self, Settings};

/// The CAs an `https://` server may use: public and system ones, plus
/// `TRYGG_CA_FILE` or the setting `ca_file` when given.
fn trust(s: &Settings) -> Result<Trust> {
    let file = std::env::var_os("TRYGG_CA_FILE")
        .map(PathBuf::from)
        .or_else(|| s.ca_file.as_ref().map(PathBuf::from));
    Ok(Trust::with_optional_ca_file(file.as_deref())?)
}

/// The device's state: see the module docs.
pub struct Field {
    dir: PathBuf,
    settings: Mutex<Settings>,
    tokens: Tokens,
    /// The running client; taken out (cloned) for each use, so that no
    /// command holds this lock across a network or disk wait.
    client: RwLock<Option<Arc<SyncClient>>>,
    store: Mutex<Store>,
    photos: PhotoFiles,
    /// Shared documents (directory, vocabulary, templates) read once per version.
    cache: Mutex<HashMap<DocId, (String, Arc<AnyDocument>)>>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field").field("dir", &self.dir).finish()
    }
}

/// What saving an observation produced.
#[derive(Clone, Debug, serde::Serialize, ts_rs::TS)]
pub struct Saved {
    pub doc_id: String,
    pub id: String,
    /// From the call to the changes being committed to disk.
    pub durable_us: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs blocking work (SQLite, photo files) on Tokio's blocking pool, so
/// that it never stalls an async thread other commands and sync share.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Other(format!("a background task failed: {e}")))?
}

fn parse_id(id: &str) -> Result<DocId> {
    id.parse()
        .map_err(|_| AppError::NotFound(format!("document {id:?}")))
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    let mut e = FieldErrors::default();
    e.push(field, message);
    AppError::Invalid(e)
}

/// `2026-W48`: the ISO week an EST report covers.
pub fn iso_week(at: Timestamp) -> String {
    let ts = jiff::Timestamp::from_millisecond(at.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let date = ts.to_zoned_datetime(jiff::tz::TimeZone::system()).date();
    let week = date.iso_week_date();
    format!("{}-W{:02}", week.year(), week.week())
}

impl Field {
    pub fn store_path(dir: &Path) -> PathBuf {
        dir.join("device.db")
    }

    /// Opens the device's data in `dir` and, if it was set up before, starts
    /// syncing (or works offline).
    pub async fn open(dir: impl Into<PathBuf>) -> Result<Field> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| AppError::Storage(format!("{}: {e}", dir.display())))?;
        let tokens = Tokens::new(&dir);
        let settings = settings::load(&dir, &tokens)
            .map_err(|e| AppError::Storage(format!("settings: {e}")))?;
        let store = Store::open(Self::store_path(&dir))?;
        let photos = PhotoFiles::open(dir.join("photos"))?;
        let field = Field {
            dir,
            settings: Mutex::new(settings.clone()),
            tokens,
            client: RwLock::new(None),
            store: Mutex::new(store),
            photos,
            cache: Mutex::new(HashMap::new()),
        };
        if settings.onboarded() {
            field.start_client(&settings).await?;
        }
        Ok(field)
    }

    async fn start_client(&self, s: &Settings) -> Result<()> {
        let config = match (&s.server, &s.token) {
            (Some(server), Some(token)) => ClientConfig::new(
                Url::parse(server).map_err(|e| AppError::BadServerAddress(e.to_string()))?,
                token.clone(),
                s.device_id.clone(),
            )
            .with_trust(trust(s)?),
            _ => ClientConfig::offline(s.device_id.clone()),
        };
        let client =
            SyncClient::start(Self::store_path(&self.dir), self.dir.join("photos"), config).await?;
        let old = self.client.write().await.replace(Arc::new(client));
        if let Some(old) = old {
            old.stop().await;
        }
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    fn update_settings(&self, f: impl FnOnce(&mut Settings)) -> Result<Settings> {
        let mut s = lock(&self.settings);
        let mut next = s.clone();
        f(&mut next);
        settings::save(&self.dir, &next).map_err(|e| AppError::Storage(e.to_string()))?;
        *s = next.clone();
        Ok(next)
    }

    fn me(&self) -> Result<(String, String)> {
        let s = lock(&self.settings);
        match (&s.organisation, s.device_id.is_empty()) {
            (Some(org), false) => Ok((org.clone(), s.device_id.clone())),
            _ => Err(AppError::NotOnboarded),
        }
    }

    /// Who this device is for the access rules: its organisation and the
    /// role the server gave its token (an unpaired device records: `field`).
    fn principal(&self) -> Result<Principal> {
        let (org, device_id) = self.me()?;
        let role = match self.settings().role {
            Some(r) => r.parse::<Role>().map_err(AppError::Other)?,
            None => Role::Field,
        };
        Ok(Principal {
            device_id,
            org,
            role,
        })
    }

    /// This device's access to an open document, from the one access rule
    /// the server applies (`trygg_core::access::decide`): the server's own
    /// answer once it has listed the document, else the rule applied to the
    /// facts the document's content implies (offline, or not yet listed).
    fn access_to(&self, c: &SyncClient, id: &DocId) -> Result<Access> {
        if let Some(listed) = c.server_access(id) {
            return Ok(listed);
        }
        let who = self.principal()?;
        // Only the fields access depends on: this runs before every saved
        // keystroke, and a walk may hold hundreds of observations.
        let facts = c.read(id, |d| access::access_in(*id, d, &who.org))??;
        Ok(access::decide(&who, &facts))
    }

    /// Refuses, before anything is written, an edit the server would ignore.
    fn require_write(&self, c: &SyncClient, id: &DocId) -> Result<()> {
        if self.access_to(c, id)?.can_write() {
            Ok(())
        } else {
            Err(AppError::ReadOnly(id.to_string()))
        }
    }

    /// Refuses a viewer (or admin) anything that creates a document, before
    /// any input is checked: the rule `may_register` starts with.
    fn require_records(&self) -> Result<()> {
        let who = self.principal()?;
        if who.role.records() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                access::RegisterRefusal::RoleCannotCreate { role: who.role }.to_string(),
            ))
        }
    }

    /// Refuses, before anything is created, a document the server would not
    /// register for this device.
    fn require_register(&self, registration: &RegisterDocument) -> Result<()> {
        let who = self.principal()?;
        access::may_register(&who, &registration.facts(&who.org))
            .map_err(|e| AppError::Forbidden(e.to_string()))
    }

    /// The running client (the lock is held only to clone it).
    async fn client(&self) -> Result<Arc<SyncClient>> {
        self.client
            .read()
            .await
            .clone()
            .ok_or(AppError::NotOnboarded)
    }

    async fn with_client<R>(&self, f: impl AsyncFnOnce(&SyncClient) -> Result<R>) -> Result<R> {
        let client = self.client().await?;
        f(&client).await
    }

    /// Opens a document (from this device or the server) and edits it in one
    /// transaction, durable when this returns.
    async fn edit_document<R>(
        &self,
        id: DocId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<R, trygg_core::DocError>,
    ) -> Result<R> {
        self.with_client(async |c| {
            c.open(&id).await?;
            self.require_write(c, &id)?;
            Ok(c.edit(&id, f).await?)
        })
        .await
    }

    pub async fn status(&self) -> Result<SyncStatus> {
        self.with_client(async |c| Ok(c.status().borrow().clone()))
            .await
    }

    /// A receiver of the sync status of the client running now.
    pub async fn status_updates(&self) -> Option<tokio::sync::watch::Receiver<SyncStatus>> {
        self.client.read().await.as_ref().map(|c| c.status())
    }

    /// A signal per change of an open document (local or from another device).
    pub async fn changes(&self, id: &str) -> Result<tokio::sync::mpsc::UnboundedReceiver<()>> {
        let id = parse_id(id)?;
        self.with_client(async |c| {
            c.open(&id).await?;
            Ok(c.changes(&id)?)
        })
        .await
    }

    /// Stops syncing; every write started is finished first.
    pub async fn shutdown(&self) {
        let client = self.client.write().await.take();
        if let Some(c) = client {
            c.stop().await;
        }
    }
}
