//! Photos on the device: files named by their SHA-256, and the upload queue.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::photo::sha256_hex;

/// A directory of photo files, each named by the SHA-256 of its bytes.
#[derive(Clone, Debug)]
pub struct PhotoFiles {
    dir: PathBuf,
}

impl PhotoFiles {
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }

    /// Stores `bytes` durably (write, fsync, rename) and returns their hash.
    pub fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.path(&sha);
        if !path.exists() {
            write_durably(&path, bytes)?;
        }
        Ok(sha)
    }

    pub fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        Ok(std::fs::read(self.path(sha256))?)
    }

    /// Removes a photo for good ([`crate::photo::wipe_file`]).
    pub fn remove(&self, sha256: &str) -> Result<bool> {
        Ok(crate::photo::wipe_file(&self.path(sha256))?)
    }
}

fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// One photo waiting for upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub sha256: String,
    pub media_type: String,
    pub size: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

pub fn enqueue(
    conn: &Connection,
    sha256: &str,
    media_type: &str,
    size: u64,
    now: i64,
) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO photo_queue (sha256, media_type, size, queued_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![sha256, media_type, size, now],
    )?;
    Ok(())
}

pub fn queued(conn: &Connection) -> Result<Vec<Queued>> {
    let mut stmt = conn.prepare(
        "SELECT sha256, media_type, size, attempts, last_error FROM photo_queue ORDER BY queued_at",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Queued {
                sha256: r.get(0)?,
                media_type: r.get(1)?,
                size: r.get(2)?,
                attempts: r.get(3)?,
                last_error: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn done(conn: &Connection, sha256: &str) -> Result<()> {
    conn.execute("DELETE FROM photo_queue WHERE sha256 = ?1", [sha256])?;
    Ok(())
}

pub fn failed(conn: &Connection, sha256: &str, error: &str) -> Result<()> {
    conn.execute(
        "UPDATE photo_queue SET attempts = attempts + 1, last_error = ?2 WHERE sha256 = ?1",
        params![sha256, error],
    )?;
    Ok(())
}
