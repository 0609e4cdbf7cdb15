//! The database schema as numbered migrations, and the connection settings.
//!
//! Two kinds of tables live here. `chunks` is the truth: Automerge bytes under
//! samod's storage keys (`<doc>/incremental/<change hash>`,
//! `<doc>/snapshot/<hash of heads>`), so the same file serves our own saves and
//! samod's. Everything else is the derived index, which can always be rebuilt
//! from `chunks` alone (see `Store::rebuild_index`).

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite_migration::{M, Migrations};

/// The SQL function searches fold text with: lower case by Unicode's rules
/// (SQLite's own `lower` and `LIKE` fold only ASCII, so "ö" would not find
/// "Östra").
pub const FOLD: &str = "trygg_fold";

/// Text as searches compare it ([`FOLD`]).
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
CREATE TABLE chunks (
    key     TEXT PRIMARY KEY NOT NULL,
    -- first key part when the key belongs to a document, else NULL
    doc_id  TEXT,
    data    BLOB NOT NULL
);
CREATE INDEX chunks_by_doc ON chunks (doc_id);

-- Documents whose index rows may be stale: written by samod, not yet indexed.
CREATE TABLE index_dirty (doc_id TEXT PRIMARY KEY NOT NULL);

CREATE TABLE documents (
    doc_id          TEXT PRIMARY KEY NOT NULL,
    kind            TEXT,
    schema_version  INTEGER,
    updated_at      INTEGER NOT NULL,
    heads           TEXT NOT NULL,
    error           TEXT
);
CREATE INDEX documents_by_kind ON documents (kind, updated_at);

CREATE TABLE walks (
    doc_id            TEXT PRIMARY KEY NOT NULL,
    area              TEXT NOT NULL,
    route_name        TEXT NOT NULL,
    status            TEXT NOT NULL,
    light             TEXT NOT NULL,
    owner_org         TEXT NOT NULL,
    template_id       TEXT NOT NULL,
    template_version  INTEGER NOT NULL,
    planned_at        INTEGER,
    started_at        INTEGER,
    ended_at          INTEGER,
    created_at        INTEGER NOT NULL,
    answer_count      INTEGER NOT NULL,
    observation_count INTEGER NOT NULL
);
CREATE INDEX walks_by_area ON walks (area, status, created_at);
CREATE INDEX walks_by_status ON walks (status, created_at);

CREATE TABLE observations (
    doc_id        TEXT NOT NULL,
    obs_id        TEXT NOT NULL,
    doc_kind      TEXT NOT NULL,
    walk_doc_id   TEXT,
    area          TEXT NOT NULL,
    category      TEXT NOT NULL,
    severity      INTEGER NOT NULL,
    sensitivity   TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    observed_at   INTEGER NOT NULL,
    lat           REAL,
    lon           REAL,
    place_id      TEXT,
    photo_count   INTEGER NOT NULL,
    PRIMARY KEY (doc_id, obs_id)
);
CREATE INDEX observations_by_area ON observations (area, observed_at);
CREATE INDEX observations_by_category ON observations (category, observed_at);
CREATE INDEX observations_by_time ON observations (observed_at);

CREATE TABLE actions (
    doc_id           TEXT PRIMARY KEY NOT NULL,
    responsible_org  TEXT NOT NULL,
    proposed_by_org  TEXT NOT NULL,
    area             TEXT NOT NULL,
    status           TEXT NOT NULL,
    is_open          INTEGER NOT NULL,
    due_date         TEXT,
    created_at       INTEGER NOT NULL
);
CREATE INDEX actions_by_owner ON actions (responsible_org, is_open, due_date);
CREATE INDEX actions_by_area ON actions (area, is_open);
"#,
    ),
    M::up(
        r#"
-- A device's sync bookkeeping. Not derived from the documents, so a rebuild
-- of the index leaves it alone.

-- Documents created here and not yet registered with the server (offline).
CREATE TABLE sync_outbox (
    doc_id        TEXT PRIMARY KEY NOT NULL,
    registration  TEXT NOT NULL,   -- the JSON body of POST /api/v1/documents
    queued_at     INTEGER NOT NULL,
    -- set when the server refused the registration: the document stays here only
    refused       TEXT
);

-- Photos taken here and not yet uploaded; the bytes are files named by hash.
CREATE TABLE photo_queue (
    sha256      TEXT PRIMARY KEY NOT NULL,
    media_type  TEXT NOT NULL,
    size        INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    queued_at   INTEGER NOT NULL
);
"#,
    ),
    M::up(
        r#"
-- Which documents reference which photo (derived index): the server lets a
-- device download a photo only if it may read one of them.
CREATE TABLE photo_refs (
    sha256  TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    PRIMARY KEY (sha256, doc_id)
);
CREATE INDEX photo_refs_by_doc ON photo_refs (doc_id);
-- Documents stored before this table existed are indexed again to fill it.
INSERT OR IGNORE INTO index_dirty (doc_id)
    SELECT DISTINCT doc_id FROM chunks WHERE doc_id IS NOT NULL;
"#,
    ),
    M::up(
        r#"
-- Every stale mark counts up, so an indexer that read a document outside the
-- write lock clears the mark only if nothing was stored since it read.
ALTER TABLE index_dirty ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
"#,
    ),
    M::up(
        r#"
-- What an action asks for and where it came from, for lists that show it.
ALTER TABLE actions ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE actions ADD COLUMN source_doc TEXT;
INSERT OR IGNORE INTO index_dirty (doc_id) SELECT doc_id FROM actions;
"#,
    ),
    M::up(
        r#"
-- Observation notes, for exports an organisation's coordinator allows to
-- carry them. Documents with observations are indexed again to fill it.
ALTER TABLE observations ADD COLUMN note TEXT NOT NULL DEFAULT '';
INSERT OR IGNORE INTO index_dirty (doc_id) SELECT DISTINCT doc_id FROM observations;
"#,
    ),
    M::up(
        r#"
-- Each photo reference names the part of its document that holds it
-- (`observation/<id>`, `answer/<item>`), so an update that reads only a
-- walk's changed parts can replace their references. References from before
-- keep an empty part, which makes their document's next update read it whole.
CREATE TABLE photo_refs_by_part (
    sha256  TEXT NOT NULL,
    doc_id  TEXT NOT NULL,
    part    TEXT NOT NULL,
    PRIMARY KEY (sha256, doc_id, part)
);
INSERT INTO photo_refs_by_part (sha256, doc_id, part) SELECT sha256, doc_id, '' FROM photo_refs;
DROP TABLE photo_refs;
ALTER TABLE photo_refs_by_part RENAME TO photo_refs;
CREATE INDEX photo_refs_by_doc ON photo_refs (doc_id, part);
-- A stale mark with `whole` set makes its document's next update read it
-- whole: the marks earlier migrations set to fill new columns (and any set
-- before this one) are such; a store's own writes set marks without it.
ALTER TABLE index_dirty ADD COLUMN whole INTEGER NOT NULL DEFAULT 1;
"#,
    ),
    M::up(
        r#"
-- Exercises (*övning*): walks and reports marked as one, and their
-- observations, which statistics and exports leave out unless asked. Walks
-- and reports are read whole again, for any marked by a newer device.
ALTER TABLE walks ADD COLUMN exercise INTEGER NOT NULL DEFAULT 0;
ALTER TABLE observations ADD COLUMN exercise INTEGER NOT NULL DEFAULT 0;
INSERT INTO index_dirty (doc_id, whole)
  SELECT doc_id, 1 FROM documents WHERE kind IN ('walk', 'report')
  ON CONFLICT (doc_id) DO UPDATE SET whole = 1;
"#,
    ),
];

/// Applies connection settings. `synchronous=FULL` in WAL mode makes every
/// commit durable before it returns: a save that returned is on disk.
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted content is overwritten, not left in free pages: a compaction
    // replacing changes by a snapshot, or a purge (`Store::forget`), leaves
    // no readable copy of what it removed in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.create_scalar_function(
        FOLD,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(fold(&ctx.get::<String>(0)?)),
    )?;
    Ok(())
}

/// Brings the schema up to the newest version.
pub fn migrate(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    Migrations::from_slice(MIGRATIONS).to_latest(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS).validate().unwrap();
    }
}
