//! `admin backup` and `admin restore` for a SQLite deployment: one file
//! (a tar archive) with a consistent copy of each database, made with
//! SQLite's online backup API while the server keeps running, and the photo
//! files; a restore unpacks it into an empty data directory and checks
//! every database before a server may start on it.
//!
//! Each database is copied whole in one step (`sqlite3_backup_step(-1)`),
//! which in WAL mode holds a read snapshot without stopping writers, so no
//! copy restarts under load. The three databases are copied one after the
//! other: a change between two copies can be in one and not the other (a
//! document registered after `registry.db` was copied but stored before
//! `documents.db` was); the server takes such a document as unregistered
//! and the device that made it registers it again on its next sync.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use trygg_core::Timestamp;

use crate::serve::{documents_path, photos_path, registry_path};

/// The databases a backup holds, by file name in the data directory.
const DATABASES: [&str; 3] = ["registry.db", "documents.db", "audit.db"];
const MANIFEST: &str = "trygg-backup.json";
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// Milliseconds.
    made_at: i64,
    server_version: String,
    databases: Vec<String>,
    photos: usize,
}

/// What a backup or restore did, for the operator.
#[derive(Debug)]
pub struct Summary {
    pub databases: Vec<String>,
    pub photos: usize,
    pub bytes: u64,
}

/// Writes a backup of `data_dir` to `out` (which must not exist). The file
/// appears only once it is whole: it is written beside `out` and renamed.
pub fn backup(data_dir: &Path, out: &Path) -> Result<Summary> {
    ensure!(
        registry_path(data_dir).exists() && documents_path(data_dir).exists(),
        "{} holds no Trygg server data (registry.db and documents.db)",
        data_dir.display()
    );
    ensure!(
        !out.exists(),
        "{} exists; a backup never overwrites a file",
        out.display()
    );
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".trygg-backup-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    let mut databases = Vec::new();
    for name in DATABASES {
        let from = data_dir.join(name);
        if !from.exists() {
            continue;
        }
        copy_database(&from, &work.path().join(name))?;
        databases.push(name.to_string());
    }
    let photos = photo_files(&photos_path(data_dir))?;
    let manifest = Manifest {
        format: FORMAT,
        made_at: Timestamp::now().millis(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        databases: databases.clone(),
        photos: photos.len(),
    };
    let partial = work.path().join("backup.tar");
    let file = File::create(&partial).context("creating the backup file")?;
    let mut tar = tar::Builder::new(BufWriter::new(file));
    let json = serde_json::to_vec_pretty(&manifest)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(manifest.made_at / 1000).unwrap_or(0));
    header.set_cksum();
    tar.append_data(&mut header, MANIFEST, json.as_slice())?;
    for name in &databases {
        tar.append_path_with_name(work.path().join(name), name)?;
    }
    for (path, name) in &photos {
        // A photo deleted (retention) since it was listed is simply not in the backup.
        match File::open(path) {
            Ok(mut f) => tar.append_file(Path::new("photos").join(name), &mut f)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    let file = tar.into_inner()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all().context("writing the backup file to disk")?;
    let bytes = file.metadata()?.len();
    drop(file);
    std::fs::rename(&partial, out)
        .with_context(|| format!("moving the backup to {}", out.display()))?;
    File::open(&parent)?.sync_all()?;
    Ok(Summary {
        databases,
        photos: photos.len(),
        bytes,
    })
}

/// A consistent copy of the database at `from` (read-only; writers go on).
fn copy_database(from: &Path, to: &Path) -> Result<()> {
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", from.display()))?;
    source.busy_timeout(Duration::from_secs(10))?;
    let mut copy = Connection::open(to)?;
    {
        let backup = Backup::new(&source, &mut copy)?;
        loop {
            match backup
                .step(-1)
                .with_context(|| format!("copying {}", from.display()))?
            {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                other => bail!("copying {}: {other:?}", from.display()),
            }
        }
    }
    // The copy is a plain file: no WAL beside it.
    let mode: String =
        copy.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    ensure!(
        mode == "delete",
        "{}: the copy stays in {mode} mode",
        to.display()
    );
    check(&copy, from)?;
    Ok(())
}

fn check(db: &Connection, what: &Path) -> Result<()> {
    let verdict: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    ensure!(
        verdict == "ok",
        "{}: the integrity check says {verdict}",
        what.display()
    );
    Ok(())
}

/// The photo files as (path, name in the archive under `photos/`): stored
/// as `XX/SHA256` (`photos.rs`); files still being written (`.partial`)
/// are not photos yet.
fn photo_files(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for shard in list(dir)? {
        if !shard.file_type()?.is_dir() {
            continue;
        }
        let prefix = name_of(&shard)?;
        for file in list(&shard.path())? {
            let name = name_of(&file)?;
            if file.file_type()?.is_file() && !name.ends_with(".partial") {
                out.push((file.path(), format!("{prefix}/{name}")));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn list(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .collect::<std::io::Result<Vec<_>>>()
            .with_context(|| format!("listing {}", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("listing {}", dir.display())),
    }
}

fn name_of(entry: &std::fs::DirEntry) -> Result<String> {
    entry
        .file_name()
        .into_string()
        .map_err(|n| anyhow::anyhow!("a file named {n:?} among the photos"))
}

/// Unpacks the backup `from` into `data_dir`, which must be empty or
/// missing; every database is checked before this returns.
pub fn restore(from: &Path, data_dir: &Path) -> Result<Summary> {
    if data_dir.exists() {
        let mut entries = std::fs::read_dir(data_dir)
            .with_context(|| format!("reading {}", data_dir.display()))?;
        ensure!(
            entries.next().is_none(),
            "{} is not empty: restore into a new, empty data directory",
            data_dir.display()
        );
    }
    let file = File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let bytes = file.metadata()?.len();
    // Unpacked beside the data directory, then moved into place whole.
    let parent = match data_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let work = tempfile::Builder::new()
        .prefix(".trygg-restore-")
        .tempdir_in(&parent)?;
    let mut archive = tar::Archive::new(file);
    let mut manifest = None;
    for entry in archive
        .entries()
        .with_context(|| format!("{} is not a Trygg backup", from.display()))?
    {
        let mut entry = entry.with_context(|| format!("{} is damaged", from.display()))?;
        let path = entry.path()?.into_owned();
        let name = path.to_string_lossy().into_owned();
        let allowed = name == MANIFEST
            || DATABASES.contains(&name.as_str())
            || (path.starts_with("photos")
                && path.components().count() == 3
                && entry.header().entry_type().is_file());
        ensure!(
            allowed,
            "{} holds {name:?}, which no Trygg backup holds",
            from.display()
        );
        if name == MANIFEST {
            let mut json = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut json)?;
            manifest = Some(
                serde_json::from_slice::<Manifest>(&json)
                    .with_context(|| format!("{}: its manifest is unreadable", from.display()))?,
            );
            continue;
        }
        ensure!(
            entry.unpack_in(work.path())?,
            "{} holds {name:?} outside its folder",
            from.display()
        );
    }
    let manifest = manifest
        .with_context(|| format!("{} is not a Trygg backup (no manifest)", from.display()))?;
    ensure!(
        manifest.format == FORMAT,
        "{} is a backup of format {}; this server reads format {FORMAT}",
        from.display(),
        manifest.format
    );
    for name in &manifest.databases {
        let path = work.path().join(name);
        ensure!(path.exists(), "{}: {name} is missing", from.display());
        check(&Connection::open(&path)?, &path)?;
    }
    let photos = photo_files(&work.path().join("photos"))?.len();
    ensure!(
        photos == manifest.photos,
        "{}: {photos} photos, the manifest says {}",
        from.display(),
        manifest.photos
    );
    if data_dir.exists() {
        std::fs::remove_dir(data_dir)?;
    }
    let unpacked = work.keep();
    std::fs::rename(&unpacked, data_dir)
        .with_context(|| format!("moving the restored data to {}", data_dir.display()))?;
    Ok(Summary {
        databases: manifest.databases,
        photos,
        bytes,
    })
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} photos), {} bytes",
            self.databases.join(", "),
            self.photos,
            self.bytes
        )
    }
}

/// Writes a line to `out`, for the admin command.
pub fn report(out: &mut impl Write, what: &str, summary: &Summary) -> Result<()> {
    writeln!(out, "{what}: {summary}")?;
    Ok(())
}
