//! A power cut for tests, as an `LD_PRELOAD` shim.
//!
//! SIGKILL leaves the kernel's page cache alone, so a server that never
//! fsyncs passes a kill test. A power cut loses everything written since the
//! last fsync. This shim, preloaded into `trygg-server` with
//! `TRYGG_POWER_CUT_DIR=<data dir>`, watches the files directly in that
//! directory (SQLite's databases and WAL files; not `-shm`, which SQLite
//! rebuilds after a crash): before each write it saves what the write
//! overwrites below the file's last fsynced length into an undo log
//! ([`undo`]), and every successful fsync starts that log over. After
//! killing the server, the test replays the logs backwards: the files are
//! then exactly as the last fsyncs left them.
//!
//! SQLite (as rusqlite bundles it) writes with `lseek` + `write`, truncates
//! with `ftruncate` and syncs with `fsync`; `pwrite`, `pwrite64` and
//! `fdatasync` are covered too. The shim's own IO goes to the real
//! functions, found with `dlsym(RTLD_NEXT)`.

#![allow(unsafe_code)]

pub mod undo;

use std::collections::HashMap;
use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use libc::{c_char, c_int, c_void, off_t, size_t, ssize_t};

type WriteFn = unsafe extern "C" fn(c_int, *const c_void, size_t) -> ssize_t;
type PwriteFn = unsafe extern "C" fn(c_int, *const c_void, size_t, off_t) -> ssize_t;
type TruncateFn = unsafe extern "C" fn(c_int, off_t) -> c_int;
type SyncFn = unsafe extern "C" fn(c_int) -> c_int;

struct Real {
    write: WriteFn,
    pwrite: PwriteFn,
    pwrite64: PwriteFn,
    ftruncate: TruncateFn,
    ftruncate64: TruncateFn,
    fsync: SyncFn,
    fdatasync: SyncFn,
}

fn real() -> &'static Real {
    static REAL: OnceLock<Real> = OnceLock::new();
    REAL.get_or_init(|| unsafe {
        fn find(name: &CStr) -> *mut c_void {
            let f = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
            assert!(!f.is_null(), "power-cut shim: no {name:?} in libc");
            f
        }
        Real {
            write: std::mem::transmute::<*mut c_void, WriteFn>(find(c"write")),
            pwrite: std::mem::transmute::<*mut c_void, PwriteFn>(find(c"pwrite")),
            pwrite64: std::mem::transmute::<*mut c_void, PwriteFn>(find(c"pwrite64")),
            ftruncate: std::mem::transmute::<*mut c_void, TruncateFn>(find(c"ftruncate")),
            ftruncate64: std::mem::transmute::<*mut c_void, TruncateFn>(find(c"ftruncate64")),
            fsync: std::mem::transmute::<*mut c_void, SyncFn>(find(c"fsync")),
            fdatasync: std::mem::transmute::<*mut c_void, SyncFn>(find(c"fdatasync")),
        }
    })
}

/// The watched directory, if the shim is switched on.
fn watched() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("TRYGG_POWER_CUT_DIR")?;
        std::fs::canonicalize(dir).ok()
    })
    .as_deref()
}

/// The undo state of one watched file.
struct Watch {
    /// Its length at the last fsync (or when first seen).
    synced_len: u64,
    /// Its undo log, opened with the real functions' libc.
    log: c_int,
}

static FILES: Mutex<Option<HashMap<PathBuf, Watch>>> = Mutex::new(None);

/// The watched file `fd` refers to, if any.
fn path_of(fd: c_int) -> Option<PathBuf> {
    let dir = watched()?;
    let link = format!("/proc/self/fd/{fd}\0");
    let mut buf = [0u8; 4096];
    let n = unsafe {
        libc::readlink(
            link.as_ptr() as *const c_char,
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
        )
    };
    if n <= 0 {
        return None;
    }
    let path = PathBuf::from(OsStr::from_bytes(&buf[..n as usize]));
    let name = path.file_name()?.to_str()?;
    (path.parent() == Some(dir) && !name.ends_with("-shm")).then_some(path)
}

fn file_len(fd: c_int) -> u64 {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        die("fstat of a watched file failed");
    }
    st.st_size as u64
}

/// The shim must not lose a record silently: that would make a test pass
/// that should fail.
fn die(what: &str) -> ! {
    let msg = format!(
        "power-cut shim: {what}: {}\n",
        std::io::Error::last_os_error()
    );
    unsafe { (real().write)(2, msg.as_ptr() as *const c_void, msg.len()) };
    std::process::abort()
}

fn append(log: c_int, bytes: &[u8]) {
    let mut done = 0;
    while done < bytes.len() {
        let n = unsafe {
            (real().write)(
                log,
                bytes[done..].as_ptr() as *const c_void,
                bytes.len() - done,
            )
        };
        if n <= 0 {
            die("writing an undo log failed");
        }
        done += n as usize;
    }
}

/// Starts a file's undo log over at `len` bytes.
fn reset(w: &mut Watch, len: u64) {
    if unsafe { (real().ftruncate)(w.log, 0) } != 0
        || unsafe { libc::lseek(w.log, 0, libc::SEEK_SET) } != 0
    {
        die("resetting an undo log failed");
    }
    w.synced_len = len;
    append(w.log, &undo::synced(len));
}

/// Runs `f` on the watch of `fd`'s file, first seeing it if needed.
fn with_watch(fd: c_int, f: impl FnOnce(&mut Watch)) {
    let Some(path) = path_of(fd) else { return };
    let mut files = FILES.lock().unwrap_or_else(|p| p.into_inner());
    let files = files.get_or_insert_with(HashMap::new);
    let w = files.entry(path.clone()).or_insert_with(|| {
        let dir = path
            .parent()
            .expect("watched files are in a directory")
            .join(undo::DIR);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            die(&format!("creating {}: {e}", dir.display()));
        }
        let mut name = path.file_name().expect("a file name").to_os_string();
        name.push(".undo\0");
        let log_path = dir.join(name);
        let log = unsafe {
            libc::open(
                log_path.as_os_str().as_bytes().as_ptr() as *const c_char,
                libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
                0o600,
            )
        };
        if log < 0 {
            die("opening an undo log failed");
        }
        let mut w = Watch { synced_len: 0, log };
        reset(&mut w, file_len(fd));
        w
    });
    f(w);
}

/// Saves what a write of `len` bytes at `offset` overwrites below the synced length.
fn before_write(fd: c_int, offset: u64, len: usize) {
    with_watch(fd, |w| {
        let end = (offset + len as u64).min(w.synced_len);
        if end <= offset {
            return;
        }
        let mut old = vec![0u8; (end - offset) as usize];
        let n = unsafe {
            libc::pread(
                fd,
                old.as_mut_ptr() as *mut c_void,
                old.len(),
                offset as off_t,
            )
        };
        if n < 0 {
            die("reading what a write overwrites failed");
        }
        old.truncate(n as usize);
        append(w.log, &undo::overwrite(offset, &old));
    });
}

fn before_truncate(fd: c_int, len: off_t) {
    let len = len.max(0) as u64;
    with_watch(fd, |w| {
        if len >= w.synced_len {
            return;
        }
        let mut old = vec![0u8; (w.synced_len - len) as usize];
        let n =
            unsafe { libc::pread(fd, old.as_mut_ptr() as *mut c_void, old.len(), len as off_t) };
        if n < 0 {
            die("reading what a truncation cuts off failed");
        }
        old.truncate(n as usize);
        append(w.log, &undo::overwrite(len, &old));
    });
}

fn after_sync(fd: c_int, rc: c_int) {
    if rc == 0 {
        with_watch(fd, |w| reset(w, file_len(fd)));
    }
}

/// # Safety
/// Same contract as libc's `write`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, count: size_t) -> ssize_t {
    if watched().is_some() && fd > 2 {
        let pos = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
        if pos >= 0 {
            before_write(fd, pos as u64, count);
        }
    }
    unsafe { (real().write)(fd, buf, count) }
}

/// `pwrite` and `pwrite64` (one function on 64-bit glibc, two symbols).
unsafe fn positioned_write(
    real: PwriteFn,
    fd: c_int,
    buf: *const c_void,
    count: size_t,
    offset: off_t,
) -> ssize_t {
    before_write(fd, offset.max(0) as u64, count);
    unsafe { real(fd, buf, count, offset) }
}

/// # Safety
/// Same contract as libc's `pwrite`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite(fd: c_int, buf: *const c_void, n: size_t, at: off_t) -> ssize_t {
    unsafe { positioned_write(real().pwrite, fd, buf, n, at) }
}

/// # Safety
/// Same contract as libc's `pwrite64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite64(fd: c_int, buf: *const c_void, n: size_t, at: off_t) -> ssize_t {
    unsafe { positioned_write(real().pwrite64, fd, buf, n, at) }
}

/// # Safety
/// Same contract as libc's `ftruncate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftruncate(fd: c_int, len: off_t) -> c_int {
    before_truncate(fd, len);
    unsafe { (real().ftruncate)(fd, len) }
}

/// # Safety
/// Same contract as libc's `ftruncate64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftruncate64(fd: c_int, len: off_t) -> c_int {
    before_truncate(fd, len);
    unsafe { (real().ftruncate64)(fd, len) }
}

/// # Safety
/// Same contract as libc's `fsync`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fsync(fd: c_int) -> c_int {
    let rc = unsafe { (real().fsync)(fd) };
    after_sync(fd, rc);
    rc
}

/// # Safety
/// Same contract as libc's `fdatasync`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdatasync(fd: c_int) -> c_int {
    let rc = unsafe { (real().fdatasync)(fd) };
    after_sync(fd, rc);
    rc
}

#[cfg(test)]
mod tests {
    // Here, not in `undo.rs`, which the e2e tests include as a module.
    use crate::undo::*;

    #[test]
    fn a_restored_file_is_as_its_last_sync_left_it() {
        let dir = std::env::temp_dir().join(format!("undo-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, b"synced!!").unwrap();
        // Since the sync: bytes 2..4 overwritten, then the file grew.
        let mut log = synced(8);
        log.extend(overwrite(2, b"nc"));
        log.extend(overwrite(3, b"c"));
        std::fs::write(&file, b"syXXed!! and more").unwrap();
        let parsed = parse(&log).unwrap().unwrap();
        assert_eq!(parsed.synced_len, 8);
        restore(&file, &parsed).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"synced!!");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_sync_starts_the_log_over_and_damage_is_an_error() {
        let mut log = synced(8);
        log.extend(overwrite(0, b"x"));
        log.extend(synced(20));
        assert_eq!(
            parse(&log).unwrap(),
            Some(Log {
                synced_len: 20,
                overwrites: vec![]
            })
        );
        assert!(parse(&log[..log.len() - 3]).is_err());
        assert!(parse(&overwrite(0, b"x")).is_err());
        assert!(parse(&[b'S', 1, 2]).is_err());
    }

    #[test]
    fn a_last_overwrite_cut_short_was_never_let_through() {
        let mut log = synced(8);
        log.extend(overwrite(0, b"xy"));
        let whole = log.len();
        log.extend(overwrite(4, b"abcd"));
        let kept = Some(Log {
            synced_len: 8,
            overwrites: vec![(0, b"xy".to_vec())],
        });
        // Cut inside the old bytes, inside the length, just after the tag.
        for cut in [log.len() - 1, whole + 12, whole + 1] {
            assert_eq!(parse(&log[..cut]), Ok(kept.clone()), "cut at {cut}");
        }
        assert_eq!(parse(&log).unwrap().unwrap().overwrites.len(), 2);
    }

    #[test]
    fn an_empty_log_leaves_nothing_to_undo() {
        // A kill between emptying a log and writing its first record.
        assert_eq!(parse(b""), Ok(None));
    }
}
