//! The undo log of one file: what a power cut would take back.
//!
//! Written by the shim (`lib.rs`) before every write to a watched file,
//! read by the fault test (which includes this file) to undo the writes
//! that were never fsynced. Records, in order:
//! * `S len` — the file was `len` bytes at its last fsync (the log starts
//!   over at every fsync);
//! * `W offset n bytes` — `n` bytes at `offset`, all below that length,
//!   were about to be overwritten; `bytes` is what they held.
//!
//! Numbers are little-endian `u64`.
//!
//! A last `W` record cut short is not damage either: the shim writes a
//! record before it lets the write through, so that write never happened.
//!
//! An empty log is not damage: the shim empties a log and then writes its
//! `S` record in two steps, and a kill can fall between them. Both places
//! that do it (a file first seen, and a file just fsynced) leave nothing to
//! undo: no write to the file has been let through since, because the shim
//! logs before it lets a write through and holds its lock across both steps.

use std::path::Path;

/// Directory (inside the watched one) that holds the undo logs.
pub const DIR: &str = "power-cut";

pub fn synced(len: u64) -> Vec<u8> {
    let mut r = vec![b'S'];
    r.extend_from_slice(&len.to_le_bytes());
    r
}

pub fn overwrite(offset: u64, old: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(17 + old.len());
    r.push(b'W');
    r.extend_from_slice(&offset.to_le_bytes());
    r.extend_from_slice(&(old.len() as u64).to_le_bytes());
    r.extend_from_slice(old);
    r
}

/// What a log says: the file's length at its last fsync and the old bytes
/// of every overwrite since, in the order they happened. `None` from
/// [`parse`]: the log is empty, nothing to undo (see the module's notes).
#[derive(Clone, Debug, PartialEq)]
pub struct Log {
    pub synced_len: u64,
    pub overwrites: Vec<(u64, Vec<u8>)>,
}

pub fn parse(mut b: &[u8]) -> Result<Option<Log>, String> {
    if b.is_empty() {
        return Ok(None);
    }
    fn u64_at(b: &[u8]) -> Result<u64, String> {
        let a: [u8; 8] = b
            .get(..8)
            .and_then(|s| s.try_into().ok())
            .ok_or("an undo log ends inside a number")?;
        Ok(u64::from_le_bytes(a))
    }
    let mut log = Log {
        synced_len: 0,
        overwrites: Vec::new(),
    };
    let mut started = false;
    while let Some((&tag, rest)) = b.split_first() {
        match tag {
            b'S' => {
                log.synced_len = u64_at(rest)?;
                log.overwrites.clear();
                started = true;
                b = &rest[8..];
            }
            b'W' if started => {
                // A record cut short can only be the last: the process was
                // killed while the shim wrote it (a write of several pages
                // stops early on SIGKILL), before it let the write the
                // record describes through. Nothing of it is to be undone.
                let Some((offset, old, after)) = whole_overwrite(rest) else {
                    break;
                };
                log.overwrites.push((offset, old.to_vec()));
                b = after;
            }
            _ => return Err(format!("an undo log holds an unknown record {tag}")),
        }
    }
    if !started {
        return Err("an undo log has no synced length".into());
    }
    Ok(Some(log))
}

/// A `W` record's offset and old bytes and what follows it, or `None` when
/// the record is cut short.
fn whole_overwrite(rest: &[u8]) -> Option<(u64, &[u8], &[u8])> {
    let number = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(rest.get(at..at + 8)?.try_into().ok()?))
    };
    let offset = number(0)?;
    let n = usize::try_from(number(8)?).ok()?;
    let end = 16usize.checked_add(n)?;
    Some((offset, rest.get(16..end)?, &rest[end..]))
}

/// Puts `file` back as it was at its last fsync: undoes the overwrites,
/// newest first, and cuts off what was appended.
pub fn restore(file: &Path, log: &Log) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(file)?;
    for (offset, old) in log.overwrites.iter().rev() {
        f.write_all_at(old, *offset)?;
    }
    f.set_len(log.synced_len)?;
    f.sync_all()
}
