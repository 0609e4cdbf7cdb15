//! Photo files on the server, named by the SHA-256 of their bytes.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

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

    pub fn get(&self, sha256: &str) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(sha256)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
