//! The access table in SQLite (the default, one server instance).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use trygg_core::{DocId, Timestamp};
use trygg_sync::access::DocAccess;

use super::{Changes, Device, DocRecord, Org, Registry, RegistryError, Result};

mod settings;
mod users;

const MIGRATIONS: &[M<'static>] = &[
    M::up(
        r#"
CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE orgs (
    id        TEXT PRIMARY KEY NOT NULL,
    name      TEXT NOT NULL UNIQUE,
    kind      TEXT NOT NULL,
    rev       INTEGER NOT NULL
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY NOT NULL,
    org         TEXT NOT NULL REFERENCES orgs (id),
    role        TEXT NOT NULL,
    name        TEXT,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER,
    rev         INTEGER NOT NULL
);
CREATE INDEX devices_by_rev ON devices (rev);

CREATE TABLE documents (
    id               TEXT PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL,
    owner_org        TEXT NOT NULL REFERENCES orgs (id),
    area             TEXT,
    shared_with      TEXT NOT NULL,  -- JSON array of organisation ids
    restricted       INTEGER NOT NULL,
    responsible_org  TEXT,
    registered_by    TEXT NOT NULL,
    registered_at    INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    rev              INTEGER NOT NULL
);
CREATE INDEX documents_by_rev ON documents (rev);
"#,
    ),
    // Retention: a purged document is replaced by a fresh one.
    M::up(
        r#"
ALTER TABLE documents ADD COLUMN replaces TEXT;
ALTER TABLE documents ADD COLUMN replaced_by TEXT;
"#,
    ),
    // People who use the dashboard (`users`).
    M::up(
        r#"
CREATE TABLE users (
    id          TEXT PRIMARY KEY NOT NULL,
    org         TEXT NOT NULL REFERENCES orgs (id),
    role        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE TABLE login_links (
    hash        TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE TABLE sessions (
    hash        TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
"#,
    ),
    // What an organisation's coordinators decide for it (`settings`).
    M::up(
        r#"
CREATE TABLE org_settings (
    org           TEXT PRIMARY KEY NOT NULL REFERENCES orgs (id),
    export_notes  INTEGER NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_at    INTEGER NOT NULL
);
"#,
    ),
];

#[derive(Clone, Debug)]
pub struct SqliteRegistry {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteRegistry {
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut conn)
            .map_err(|e| RegistryError::Database(e.to_string()))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection off the async executor.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| RegistryError::Database(format!("registry task failed: {e}")))?
    }
}

/// Raises the revision inside the caller's transaction and returns it.
fn bump(tx: &Connection) -> Result<i64> {
    Ok(tx.query_row(
        "UPDATE revision SET value = value + 1 WHERE id = 1 RETURNING value",
        [],
        |r| r.get(0),
    )?)
}

/// Maps a uniqueness violation to `Conflict(what)`.
fn conflict_as(what: String) -> impl FnOnce(rusqlite::Error) -> RegistryError {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            RegistryError::Conflict(what)
        }
        _ => e.into(),
    }
}

fn parse<T: std::str::FromStr>(idx: usize, s: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            e.to_string().into(),
        )
    })
}

fn org_from(r: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: parse(2, r.get(2)?)?,
    })
}

const DEVICE_COLUMNS: &str = "id, org, role, name, token_hash, created_at, expires_at, revoked_at";

fn device_from(r: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: r.get(0)?,
        org: r.get(1)?,
        role: parse(2, r.get(2)?)?,
        name: r.get(3)?,
        token_hash: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
        expires_at: r.get::<_, Option<i64>>(6)?.map(Timestamp),
        revoked_at: r.get::<_, Option<i64>>(7)?.map(Timestamp),
    })
}

const DOC_COLUMNS: &str = "id, kind, owner_org, area, shared_with, restricted, responsible_org, registered_by, registered_at, updated_at, replaces, replaced_by";

fn doc_from(r: &Row<'_>) -> rusqlite::Result<DocRecord> {
    let shared: String = r.get(4)?;
    let shared_with: BTreeSet<String> = serde_json::from_str(&shared).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(DocRecord {
        access: DocAccess {
            id: parse(0, r.get(0)?)?,
            kind: parse(1, r.get(1)?)?,
            owner_org: r.get(2)?,
            area: r.get(3)?,
            shared_with,
            restricted: r.get(5)?,
            responsible_org: r.get(6)?,
        },
        registered_by: r.get(7)?,
        registered_at: Timestamp(r.get(8)?),
        updated_at: Timestamp(r.get(9)?),
        replaces: r
            .get::<_, Option<String>>(10)?
            .map(|s| parse(10, s))
            .transpose()?,
        replaced_by: r
            .get::<_, Option<String>>(11)?
            .map(|s| parse(11, s))
            .transpose()?,
    })
}

/// Inserts a document row (a new registration, or a replacement).
fn insert_document(tx: &Connection, r: &DocRecord, rev: i64) -> Result<()> {
    let a = &r.access;
    let shared = serde_json::to_string(&a.shared_with).expect("a set of strings serialises");
    tx.execute(
        "INSERT INTO documents (id, kind, owner_org, area, shared_with, restricted, responsible_org,
                                registered_by, registered_at, updated_at, rev, replaces)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            a.id.to_string(),
            a.kind.as_str(),
            a.owner_org,
            a.area,
            shared,
            a.restricted,
            a.responsible_org,
            r.registered_by,
            r.registered_at.0,
            r.updated_at.0,
            rev,
            r.replaces.map(|id| id.to_string()),
        ],
    )
    .map_err(conflict_as(format!("document {}", a.id)))?;
    Ok(())
}

#[async_trait]
impl Registry for SqliteRegistry {
    async fn add_org(&self, org: &Org) -> Result<()> {
        let org = org.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rev = bump(&tx)?;
            tx.execute(
                "INSERT INTO orgs (id, name, kind, rev) VALUES (?1, ?2, ?3, ?4)",
                params![org.id, org.name, org.kind.as_str(), rev],
            )
            .map_err(conflict_as(format!("organisation {}", org.name)))?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn find_org(&self, id_or_name: &str) -> Result<Option<Org>> {
        let key = id_or_name.to_string();
        self.run(move |c| {
            Ok(c.query_row(
                "SELECT id, name, kind FROM orgs WHERE id = ?1 OR name = ?1",
                [key],
                org_from,
            )
            .optional()?)
        })
        .await
    }

    async fn add_device(&self, device: &Device) -> Result<()> {
        let d = device.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rev = bump(&tx)?;
            tx.execute(
                "INSERT INTO devices (id, org, role, name, token_hash, created_at, expires_at, revoked_at, rev)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
                params![
                    d.id,
                    d.org,
                    d.role.as_str(),
                    d.name,
                    d.token_hash,
                    d.created_at.0,
                    d.expires_at.map(|t| t.0),
                    rev
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        self.run(|c| {
            let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY created_at");
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map([], device_from)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn device_by_token_hash(&self, hash: &str) -> Result<Option<Device>> {
        let hash = hash.to_string();
        self.run(move |c| {
            let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE token_hash = ?1");
            Ok(c.query_row(&sql, [hash], device_from).optional()?)
        })
        .await
    }

    async fn revoke_device(&self, id: &str, at: Timestamp) -> Result<bool> {
        let id = id.to_string();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: Option<Option<i64>> = tx
                .query_row("SELECT revoked_at FROM devices WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()?;
            match exists {
                None => Err(RegistryError::Unknown { what: "device", id }),
                Some(Some(_)) => Ok(false),
                Some(None) => {
                    let rev = bump(&tx)?;
                    tx.execute(
                        "UPDATE devices SET revoked_at = ?2, rev = ?3 WHERE id = ?1",
                        params![id, at.0, rev],
                    )?;
                    tx.commit()?;
                    Ok(true)
                }
            }
        })
        .await
    }

    async fn register_document(&self, record: &DocRecord) -> Result<()> {
        let r = record.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rev = bump(&tx)?;
            insert_document(&tx, &r, rev)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn retire_document(&self, id: &DocId, replaced_by: &DocId) -> Result<()> {
        let (id, replaced_by) = (id.to_string(), replaced_by.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rev = bump(&tx)?;
            let n = tx.execute(
                "UPDATE documents SET replaced_by = ?2, rev = ?3
                 WHERE id = ?1 AND replaced_by IS NULL",
                params![id, replaced_by, rev],
            )?;
            if n == 0 {
                return Err(RegistryError::Unknown {
                    what: "current document",
                    id,
                });
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn set_sharing(&self, id: &DocId, shared_with: &BTreeSet<String>) -> Result<()> {
        let id = id.to_string();
        let shared = serde_json::to_string(shared_with).expect("a set of strings serialises");
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rev = bump(&tx)?;
            let n = tx.execute(
                "UPDATE documents SET shared_with = ?2, rev = ?3, updated_at = max(updated_at, ?4)
                 WHERE id = ?1",
                params![id, shared, rev, Timestamp::now().0],
            )?;
            if n == 0 {
                return Err(RegistryError::Unknown {
                    what: "document",
                    id,
                });
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn touch_documents(&self, ids: &BTreeSet<DocId>, at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rev = bump(&tx)?;
            {
                let mut stmt = tx.prepare(
                    "UPDATE documents SET updated_at = max(updated_at, ?2), rev = ?3 WHERE id = ?1",
                )?;
                for id in &ids {
                    stmt.execute(params![id, at.0, rev])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn revision(&self) -> Result<i64> {
        self.run(|c| Ok(c.query_row("SELECT value FROM revision", [], |r| r.get(0))?))
            .await
    }

    async fn changes_since(&self, revision: i64) -> Result<Changes> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let current: i64 = tx.query_row("SELECT value FROM revision", [], |r| r.get(0))?;
            let orgs = tx
                .prepare("SELECT id, name, kind FROM orgs WHERE rev > ?1")?
                .query_map([revision], org_from)?
                .collect::<rusqlite::Result<_>>()?;
            let devices = tx
                .prepare(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE rev > ?1"
                ))?
                .query_map([revision], device_from)?
                .collect::<rusqlite::Result<_>>()?;
            let documents = tx
                .prepare(&format!(
                    "SELECT {DOC_COLUMNS} FROM documents WHERE rev > ?1"
                ))?
                .query_map([revision], doc_from)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Changes {
                revision: current,
                orgs,
                devices,
                documents,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::token_hash;
    use trygg_core::DocKind;
    use trygg_core::model::OrgKind;
    use trygg_sync::access::Role;

    fn org(id: &str) -> Org {
        Org {
            id: id.into(),
            name: format!("{id} (test)"),
            kind: OrgKind::Police,
        }
    }

    fn device(id: &str, org: &str) -> Device {
        Device {
            id: id.into(),
            org: org.into(),
            role: Role::Field,
            name: None,
            token_hash: token_hash(id),
            created_at: Timestamp(1),
            expires_at: None,
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn changes_follow_the_revision() {
        let dir = tempfile::tempdir().unwrap();
        let reg = SqliteRegistry::open(&dir.path().join("r.db")).unwrap();
        reg.add_org(&org("p")).await.unwrap();
        assert!(matches!(
            reg.add_org(&org("p")).await,
            Err(RegistryError::Conflict(_))
        ));
        reg.add_device(&device("d1", "p")).await.unwrap();
        let all = reg.changes_since(0).await.unwrap();
        assert_eq!((all.orgs.len(), all.devices.len()), (1, 1));
        let rev = all.revision;
        assert!(reg.revoke_device("d1", Timestamp(5)).await.unwrap());
        assert!(!reg.revoke_device("d1", Timestamp(6)).await.unwrap());
        assert!(matches!(
            reg.revoke_device("nope", Timestamp(6)).await,
            Err(RegistryError::Unknown { .. })
        ));
        let after = reg.changes_since(rev).await.unwrap();
        assert!(after.orgs.is_empty());
        assert_eq!(after.devices[0].revoked_at, Some(Timestamp(5)));

        let id = DocId::random();
        let record = DocRecord {
            access: DocAccess {
                id,
                kind: DocKind::Walk,
                owner_org: "p".into(),
                area: Some("jarva".into()),
                shared_with: ["q".to_string()].into(),
                restricted: false,
                responsible_org: None,
            },
            registered_by: "d1".into(),
            registered_at: Timestamp(10),
            updated_at: Timestamp(10),
            replaces: None,
            replaced_by: None,
        };
        reg.register_document(&record).await.unwrap();
        assert!(matches!(
            reg.register_document(&record).await,
            Err(RegistryError::Conflict(_))
        ));
        reg.touch_documents(&[id].into(), Timestamp(20))
            .await
            .unwrap();
        let docs = reg.changes_since(0).await.unwrap().documents;
        assert_eq!(docs[0].access, record.access);
        assert_eq!(docs[0].updated_at, Timestamp(20));
    }
}
