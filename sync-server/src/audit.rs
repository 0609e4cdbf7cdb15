//! The audit trail: who read, changed, registered, shared or downloaded
//! which document, when and from where (PRODUCT §3).
//!
//! Append-only: its own SQLite file, `audit.db` in the data directory, whose
//! triggers refuse every `UPDATE` and `DELETE`. Recording only queues: one
//! writer thread commits whatever is waiting in one transaction, so the sync
//! path never waits for the audit file, and a failed commit is logged and
//! tried again with the same entries (nothing is dropped). An entry holds ids,
//! organisation ids, an address and fixed words, never a document's content.
//!
//! Repeats are folded ([`Folder`]): the same actor doing the same repeatable
//! thing (read, change, refused, photo download) to the same document from
//! the same address within [`FOLD_WINDOW`] of the entry that was kept adds
//! nothing, so a person typing a note is one entry a minute, not one per
//! keystroke.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, params_from_iter};
use rusqlite_migration::{M, Migrations};
use trygg_core::{DocId, Timestamp};

const MIGRATIONS: &[M<'static>] = &[M::up(
    r#"
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,   -- milliseconds since the Unix epoch
    actor_kind  TEXT NOT NULL,      -- 'device' (people log in with the dashboard)
    actor       TEXT NOT NULL,      -- the device's id
    org         TEXT NOT NULL,      -- its organisation's id
    action      TEXT NOT NULL,      -- see `Action`
    doc         TEXT,               -- the document's id, where there is one
    detail      TEXT,               -- ids only: organisations shared with, a photo's hash
    origin      TEXT NOT NULL       -- the client's address
);
CREATE INDEX audit_by_doc ON audit (doc, seq);
CREATE INDEX audit_by_actor ON audit (actor, seq);
CREATE INDEX audit_by_at ON audit (at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#,
)];

/// Repeats of a repeatable action within this long of the kept entry are folded.
pub const FOLD_WINDOW: Duration = Duration::from_secs(60);

/// How long the writer waits before trying a failed commit again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

pub fn audit_path(data_dir: &Path) -> PathBuf {
    data_dir.join("audit.db")
}

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Subscribed to a document over sync: its content is sent from then on.
    Read,
    /// Changed a document over sync (the change is stored).
    Change,
    /// Asked for a document it may not read, over sync or HTTP.
    Refused,
    /// Registered a new document (detail: kind, restriction, sharing).
    Register,
    /// Changed who a document is shared with (detail: the organisations).
    Share,
    /// Downloaded a photo (detail: its hash).
    PhotoRead,
    /// Uploaded a photo (detail: its hash).
    PhotoUpload,
    /// The server itself replaced the document by a copy without what the
    /// retention period purged (detail: the replacement's id and counts).
    Purge,
    /// A person logged in to the dashboard with a login link.
    Login,
    /// A person looked at a dashboard view (detail: the view and its
    /// filters), which counts every document their organisation may read.
    View,
    /// A person changed a document from the dashboard (detail: what).
    Edit,
    /// A person downloaded an export (detail: format and filters).
    Export,
    /// A coordinator changed their organisation's settings (detail: which,
    /// to what).
    Settings,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Read,
        Action::Change,
        Action::Refused,
        Action::Register,
        Action::Share,
        Action::PhotoRead,
        Action::PhotoUpload,
        Action::Purge,
        Action::Login,
        Action::View,
        Action::Edit,
        Action::Export,
        Action::Settings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Change => "change",
            Action::Refused => "refused",
            Action::Register => "register",
            Action::Share => "share",
            Action::PhotoRead => "photo-read",
            Action::PhotoUpload => "photo-upload",
            Action::Purge => "purge",
            Action::Login => "login",
            Action::View => "view",
            Action::Edit => "edit",
            Action::Export => "export",
            Action::Settings => "settings",
        }
    }

    /// Who does it: a device, a person (the dashboard's users, by user id),
    /// or (purges) the server itself, whose entries name `trygg-server` as
    /// the actor.
    fn actor_kind(self) -> &'static str {
        match self {
            Action::Purge => "server",
            Action::Login | Action::View | Action::Edit | Action::Export | Action::Settings => {
                "user"
            }
            _ => "device",
        }
    }

    /// Whether repeats are folded (see the module docs). Registering,
    /// sharing and uploading are always kept.
    fn folds(self) -> bool {
        matches!(
            self,
            Action::Read | Action::Change | Action::Refused | Action::PhotoRead | Action::View
        )
    }
}

impl std::str::FromStr for Action {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not an audit action"))
    }
}

/// One line of the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub at: Timestamp,
    /// The device's id.
    pub actor: String,
    pub org: String,
    pub action: Action,
    pub doc: Option<DocId>,
    pub detail: Option<String>,
    pub origin: String,
}

/// Folds repeats (see the module docs): remembers when each repeatable
/// (actor, action, document, origin) was last kept. Plain data, no IO.
#[derive(Debug, Default)]
pub struct Folder {
    kept: HashMap<(String, Action, Option<DocId>, String), Timestamp>,
}

impl Folder {
    /// At most this many remembered keys; older ones are forgotten first.
    const MAX_KEYS: usize = 100_000;

    /// Whether `entry` is kept (`false`: it repeats one kept less than
    /// [`FOLD_WINDOW`] ago).
    pub fn keep(&mut self, entry: &Entry) -> bool {
        if !entry.action.folds() {
            return true;
        }
        let window = FOLD_WINDOW.as_millis() as i64;
        let key = (
            entry.actor.clone(),
            entry.action,
            entry.doc,
            entry.origin.clone(),
        );
        if let Some(last) = self.kept.get(&key)
            && entry.at.millis() - last.millis() < window
        {
            return false;
        }
        if self.kept.len() >= Self::MAX_KEYS {
            let now = entry.at.millis();
            self.kept.retain(|_, at| now - at.millis() < window);
        }
        self.kept.insert(key, entry.at);
        true
    }
}

enum Message {
    Entry(Entry),
    /// Answered once everything queued before it is committed.
    Flush(mpsc::SyncSender<()>),
}

/// The trail's writing side. Cheap to clone; recording never blocks.
#[derive(Clone, Debug)]
pub struct AuditLog {
    tx: mpsc::Sender<Message>,
}

impl AuditLog {
    /// Opens (creating) the trail and starts its writer thread.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = open_for_writing(path)
            .with_context(|| format!("cannot open the audit trail {}", path.display()))?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("trygg-audit".into())
            .spawn(move || write_loop(conn, rx))
            .context("cannot start the audit writer")?;
        Ok(Self { tx })
    }

    pub fn record(&self, entry: Entry) {
        if self.tx.send(Message::Entry(entry)).is_err() {
            // The writer thread ends only with the process (it holds the
            // receiver and loops until every sender is gone).
            tracing::error!("the audit writer has stopped: an audit entry was not recorded");
        }
    }

    /// Waits up to `timeout` until everything recorded so far is committed;
    /// `false` if it was not (the writer is failing, and says so in the log).
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done, wait) = mpsc::sync_channel(1);
        self.tx.send(Message::Flush(done)).is_ok() && wait.recv_timeout(timeout).is_ok()
    }
}

fn open_for_writing(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Migrations::from_slice(MIGRATIONS).to_latest(&mut conn)?;
    Ok(conn)
}

fn write_loop(mut conn: Connection, rx: mpsc::Receiver<Message>) {
    let mut folder = Folder::default();
    let mut batch: Vec<Entry> = Vec::new();
    let mut waiting: Vec<mpsc::SyncSender<()>> = Vec::new();
    let mut failing = false;
    while let Ok(first) = rx.recv() {
        let mut take = |m: Message| match m {
            Message::Entry(e) => {
                if folder.keep(&e) {
                    batch.push(e);
                }
            }
            Message::Flush(done) => waiting.push(done),
        };
        take(first);
        while let Ok(m) = rx.try_recv() {
            take(m);
        }
        // A failed commit keeps its entries and is tried again; new ones
        // queue behind it meanwhile.
        loop {
            match insert(&mut conn, &batch) {
                Ok(()) => {
                    if failing {
                        tracing::info!(entries = batch.len(), "the audit trail is written again");
                        failing = false;
                    }
                    batch.clear();
                    break;
                }
                Err(e) => {
                    if !failing {
                        tracing::error!(error = %e, entries = batch.len(), "cannot write the audit trail; trying again every second");
                        failing = true;
                    }
                    std::thread::sleep(RETRY_AFTER);
                }
            }
        }
        for done in waiting.drain(..) {
            // The flusher may have stopped waiting; nothing to tell then.
            let _ = done.send(());
        }
    }
}

fn insert(conn: &mut Connection, batch: &[Entry]) -> rusqlite::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO audit (at, actor_kind, actor, org, action, doc, detail, origin)
             VALUES (?1, ?8, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for e in batch {
            stmt.execute(rusqlite::params![
                e.at.millis(),
                e.actor,
                e.org,
                e.action.as_str(),
                e.doc.map(|d| d.to_string()),
                e.detail,
                e.origin,
                e.action.actor_kind(),
            ])?;
        }
    }
    tx.commit()
}

/// Which entries `read` returns (all given conditions hold), oldest first.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub doc: Option<DocId>,
    pub actor: Option<String>,
    pub since: Option<Timestamp>,
    /// The newest this many of the matching entries.
    pub limit: Option<usize>,
}

/// Reads the trail (read-only: a running server keeps writing meanwhile).
/// A missing file is an empty trail.
pub fn read(path: &Path, filter: &Filter) -> Result<Vec<Entry>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open the audit trail {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mut conditions = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(doc) = filter.doc {
        args.push(doc.to_string().into());
        conditions.push(format!("doc = ?{}", args.len()));
    }
    if let Some(actor) = &filter.actor {
        args.push(actor.clone().into());
        conditions.push(format!("actor = ?{}", args.len()));
    }
    if let Some(since) = filter.since {
        args.push(since.millis().into());
        conditions.push(format!("at >= ?{}", args.len()));
    }
    let mut sql = "SELECT at, actor, org, action, doc, detail, origin FROM audit".to_string();
    if !conditions.is_empty() {
        sql += " WHERE ";
        sql += &conditions.join(" AND ");
    }
    sql += " ORDER BY seq DESC";
    if let Some(limit) = filter.limit {
        sql += &format!(" LIMIT {limit}");
    }
    let mut stmt = conn.prepare(&sql)?;
    let mut entries = stmt
        .query_map(params_from_iter(args), |r| {
            let action: String = r.get(3)?;
            let doc: Option<String> = r.get(4)?;
            Ok((
                Timestamp(r.get(0)?),
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                action,
                doc,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?
        .map(|row| {
            let (at, actor, org, action, doc, detail, origin) = row?;
            Ok(Entry {
                at,
                actor,
                org,
                action: action.parse().map_err(anyhow::Error::msg)?,
                doc: doc
                    .map(|d| {
                        d.parse().map_err(|_| {
                            anyhow::anyhow!("`{d}` in the audit trail is not a document id")
                        })
                    })
                    .transpose()?,
                detail,
                origin,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    entries.reverse();
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: i64, action: Action) -> Entry {
        Entry {
            at: Timestamp(at),
            actor: "d1".into(),
            org: "district".into(),
            action,
            doc: Some(DocId::random()),
            detail: None,
            origin: "127.0.0.1".into(),
        }
    }

    #[test]
    fn repeats_within_the_window_fold_and_others_are_kept() {
        let mut f = Folder::default();
        let read = entry(0, Action::Read);
        assert!(f.keep(&read));
        assert!(!f.keep(&Entry {
            at: Timestamp(59_999),
            ..read.clone()
        }));
        assert!(f.keep(&Entry {
            at: Timestamp(60_000),
            ..read.clone()
        }));
        // Another address, action or document is another key.
        assert!(f.keep(&Entry {
            origin: "10.0.0.2".into(),
            ..read.clone()
        }));
        assert!(f.keep(&Entry {
            action: Action::Change,
            ..read.clone()
        }));
        assert!(f.keep(&Entry {
            doc: Some(DocId::random()),
            ..read.clone()
        }));
        // Sharing is never folded.
        let share = entry(0, Action::Share);
        assert!(f.keep(&share));
        assert!(f.keep(&share));
    }

    #[test]
    fn written_entries_read_back_filtered_and_cannot_be_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = audit_path(dir.path());
        let log = AuditLog::open(&path).unwrap();
        let a = entry(1_000, Action::Register);
        let b = Entry {
            actor: "d2".into(),
            ..entry(2_000, Action::Read)
        };
        let c = Entry {
            doc: a.doc,
            ..entry(3_000, Action::Share)
        };
        for e in [&a, &b, &c] {
            log.record(e.clone());
        }
        assert!(log.flush(Duration::from_secs(10)));
        assert_eq!(
            read(&path, &Filter::default()).unwrap(),
            vec![a.clone(), b.clone(), c.clone()]
        );
        let by_doc = Filter {
            doc: a.doc,
            ..Filter::default()
        };
        assert_eq!(read(&path, &by_doc).unwrap(), vec![a.clone(), c.clone()]);
        let by_actor = Filter {
            actor: Some("d2".into()),
            ..Filter::default()
        };
        assert_eq!(read(&path, &by_actor).unwrap(), vec![b.clone()]);
        let since = Filter {
            since: Some(Timestamp(2_000)),
            limit: Some(1),
            ..Filter::default()
        };
        assert_eq!(read(&path, &since).unwrap(), vec![c]);

        let conn = Connection::open(&path).unwrap();
        for sql in [
            "UPDATE audit SET actor = 'someone else'",
            "DELETE FROM audit",
        ] {
            let err = conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(read(&path, &Filter::default()).unwrap().len(), 3);
    }

    #[test]
    fn a_missing_trail_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read(&dir.path().join("audit.db"), &Filter::default())
                .unwrap()
                .is_empty()
        );
    }
}
