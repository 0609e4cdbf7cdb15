//! Photo files on the server, named by the SHA-256 of their bytes.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use trygg_core::DocId;
use trygg_store::Store;

#[derive(Clone, Debug)]
pub struct PhotoDir {
    dir: PathBuf,
}

impl PhotoDir {
    pub fn open(dir: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Self { dir })
    }

    fn path(&self, sha256: &str) -> PathBuf {
        // Two-level fan-out keeps directories small on a city's server.
        self.dir.join(&sha256[..2]).join(sha256)
    }

    /// Stores bytes already checked against `sha256`; `false` when it was there.
    /// Durable before it returns: written, fsynced, renamed into place.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<bool> {
        let path = self.path(sha256);
        if path.exists() {
            return Ok(false);
        }
        let dir = path.parent().expect("photo paths have a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!("{sha256}.{}.partial", uuid::Uuid::new_v4()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(true)
    }

    /// Removes a photo for good (`trygg_sync::photo::wipe_file`); `false`
    /// when there was none.
    pub fn remove(&self, sha256: &str) -> std::io::Result<bool> {
        trygg_sync::photo::wipe_file(&self.path(sha256))
    }

    /// Whether the photo is here.
    pub fn has(&self, sha256: &str) -> std::io::Result<bool> {
        self.path(sha256).try_exists()
    }

    pub fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(sha256)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which documents reference which photo: the document index's `photo_refs`,
/// kept current by `trygg_store::keep_index_current`. A device may download a
/// photo only if it may read one of those documents.
#[derive(Clone, Debug)]
pub struct PhotoRefs {
    index: Arc<Mutex<Store>>,
}

impl PhotoRefs {
    pub fn new(index: Store) -> Self {
        Self {
            index: Arc::new(Mutex::new(index)),
        }
    }

    /// Whether any document referencing `sha256` passes `may_read`. When none
    /// does, documents written since the index last caught up are indexed
    /// first and the answer is given again, so a photo is downloadable as soon
    /// as the change that references it has been acknowledged.
    pub async fn any_readable(
        &self,
        sha256: &str,
        may_read: impl Fn(&DocId) -> bool,
    ) -> Result<bool> {
        for catch_up in [false, true] {
            let index = self.index.clone();
            let sha256 = sha256.to_string();
            let docs = tokio::task::spawn_blocking(move || {
                let mut index = index.lock().unwrap_or_else(|p| p.into_inner());
                if catch_up {
                    index.reindex_dirty()?;
                }
                index.documents_with_photo(&sha256)
            })
            .await
            .context("the photo index task failed")?
            .context("cannot read the photo index")?;
            if docs.iter().any(&may_read) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
