//! Power cuts for a server: `tests/power-cut` (an `LD_PRELOAD` shim) keeps
//! an undo log of every write its server has not fsynced; after a SIGKILL,
//! [`cut`] replays those logs so the data directory holds only what was
//! fsynced, as after a power cut.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

#[path = "../../power-cut/src/undo.rs"]
mod undo;

use super::workspace_bin;

/// The shim, built with the workspace.
pub fn shim() -> PathBuf {
    let lib = workspace_bin("trygg-power-cut", "libtrygg_power_cut.so");
    lib.canonicalize().expect("the shim's path")
}

/// Environment that makes a server's writes to `dir` undoable.
pub fn env(dir: &Path) -> Vec<(String, String)> {
    vec![
        ("LD_PRELOAD".into(), shim().display().to_string()),
        ("TRYGG_POWER_CUT_DIR".into(), dir.display().to_string()),
    ]
}

/// What a cut took back.
#[derive(Debug, Default)]
pub struct Cut {
    pub files: usize,
    /// Bytes written since the files' last fsyncs, now gone.
    pub bytes_dropped: u64,
}

/// Drops everything the (killed) server in `dir` wrote without fsyncing.
pub fn cut(dir: &Path) -> Result<Cut> {
    let logs = dir.join(undo::DIR);
    let mut out = Cut::default();
    if !logs.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(&logs)? {
        let log_path = entry?.path();
        let name = log_path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".undo"))
            .with_context(|| format!("not an undo log: {}", log_path.display()))?;
        let file = dir.join(name);
        let log = undo::parse(&std::fs::read(&log_path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", log_path.display()))?;
        std::fs::remove_file(&log_path)?;
        let Some(log) = log else {
            continue;
        };
        // Deleting a file is a directory operation, which this shim takes
        // as durable (SQLite deletes only files it no longer needs).
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let len = meta.len();
        out.bytes_dropped += len.saturating_sub(log.synced_len)
            + log
                .overwrites
                .iter()
                .map(|(_, b)| b.len() as u64)
                .sum::<u64>();
        undo::restore(&file, &log).with_context(|| format!("restoring {}", file.display()))?;
        out.files += 1;
    }
    Ok(out)
}
