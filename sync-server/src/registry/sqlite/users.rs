//! Dashboard users, login links and sessions in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use trygg_core::Timestamp;

use super::{SqliteRegistry, conflict_as, parse};
use crate::registry::users::{LinkRefusal, User, Users};
use crate::registry::{RegistryError, Result};

const USER_COLUMNS: &str = "id, org, role, name, created_at, revoked_at";

fn user_from(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        org: r.get(1)?,
        role: parse(2, r.get(2)?)?,
        name: r.get(3)?,
        created_at: Timestamp(r.get(4)?),
        revoked_at: r.get::<_, Option<i64>>(5)?.map(Timestamp),
    })
}

fn user(c: &Connection, id: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
    Ok(c.query_row(&sql, [id], user_from).optional()?)
}

#[async_trait]
impl Users for SqliteRegistry {
    async fn add_user(&self, user: &User, link_hash: &str, link_expires: Timestamp) -> Result<()> {
        let (u, link) = (user.clone(), link_hash.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO users (id, org, role, name, created_at, revoked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                params![u.id, u.org, u.role.as_str(), u.name, u.created_at.0],
            )
            .map_err(conflict_as(format!("user {}", u.id)))?;
            tx.execute(
                "INSERT INTO login_links (hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![link, u.id, link_expires.0],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn add_login_link(
        &self,
        user_id: &str,
        link_hash: &str,
        expires: Timestamp,
    ) -> Result<()> {
        let (id, link) = (user_id.to_string(), link_hash.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            match user(&tx, &id)? {
                None => return Err(RegistryError::Unknown { what: "user", id }),
                Some(u) if u.revoked_at.is_some() => {
                    return Err(RegistryError::Conflict(format!("revoked user {id}")));
                }
                Some(_) => {}
            }
            tx.execute(
                "INSERT INTO login_links (hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![link, id, expires.0],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.run(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id");
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map([], user_from)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_user(&self, id: &str, at: Timestamp) -> Result<bool> {
        let id = id.to_string();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let revoked = match user(&tx, &id)? {
                None => return Err(RegistryError::Unknown { what: "user", id }),
                Some(u) if u.revoked_at.is_some() => false,
                Some(_) => {
                    tx.execute(
                        "UPDATE users SET revoked_at = ?2 WHERE id = ?1",
                        params![id, at.0],
                    )?;
                    true
                }
            };
            // Sessions and unused links end either way.
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&id])?;
            tx.execute(
                "UPDATE login_links SET used_at = ?2 WHERE user_id = ?1 AND used_at IS NULL",
                params![id, at.0],
            )?;
            tx.commit()?;
            Ok(revoked)
        })
        .await
    }

    async fn redeem_login_link(
        &self,
        link_hash: &str,
        session_hash: &str,
        now: Timestamp,
        session_expires: Timestamp,
    ) -> Result<std::result::Result<User, LinkRefusal>> {
        let (link, session) = (link_hash.to_string(), session_hash.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found: Option<(String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM login_links WHERE hash = ?1",
                    [&link],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((user_id, expires_at, used_at)) = found else {
                return Ok(Err(LinkRefusal::Unknown));
            };
            if used_at.is_some() {
                return Ok(Err(LinkRefusal::Used));
            }
            if expires_at <= now.0 {
                return Ok(Err(LinkRefusal::Expired));
            }
            let Some(u) = user(&tx, &user_id)? else {
                return Err(RegistryError::Database(format!(
                    "login link of unknown user {user_id}"
                )));
            };
            if u.revoked_at.is_some() {
                return Ok(Err(LinkRefusal::Revoked));
            }
            tx.execute(
                "UPDATE login_links SET used_at = ?2 WHERE hash = ?1",
                params![link, now.0],
            )?;
            tx.execute(
                "INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![session, user_id, now.0, session_expires.0],
            )?;
            tx.commit()?;
            Ok(Ok(u))
        })
        .await
    }

    async fn session_user(&self, session_hash: &str, now: Timestamp) -> Result<Option<User>> {
        let hash = session_hash.to_string();
        self.run(move |c| {
            let sql = format!(
                "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.hash = ?1 AND s.expires_at > ?2 AND u.revoked_at IS NULL",
                USER_COLUMNS
                    .split(", ")
                    .map(|c| format!("u.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(c.query_row(&sql, params![hash, now.0], user_from)
                .optional()?)
        })
        .await
    }

    async fn end_session(&self, session_hash: &str) -> Result<()> {
        let hash = session_hash.to_string();
        self.run(move |c| {
            c.execute("DELETE FROM sessions WHERE hash = ?1", [hash])?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{Org, Registry};
    use trygg_core::model::OrgKind;
    use trygg_sync::access::Role;

    async fn registry() -> (tempfile::TempDir, SqliteRegistry) {
        let dir = tempfile::tempdir().unwrap();
        let r = SqliteRegistry::open(&dir.path().join("registry.db")).unwrap();
        r.add_org(&Org {
            id: "police".into(),
            name: "Polisen (test)".into(),
            kind: OrgKind::Police,
        })
        .await
        .unwrap();
        (dir, r)
    }

    fn person(id: &str) -> User {
        User {
            id: id.into(),
            org: "police".into(),
            role: Role::Viewer,
            name: "Analytiker".into(),
            created_at: Timestamp(1_000),
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn a_link_opens_one_session_once_and_revoking_ends_it() {
        let (_dir, r) = registry().await;
        r.add_user(&person("u1"), "link", Timestamp(10_000))
            .await
            .unwrap();
        let u = r
            .redeem_login_link("link", "s1", Timestamp(2_000), Timestamp(50_000))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.id, "u1");
        assert_eq!(
            r.redeem_login_link("link", "s2", Timestamp(2_001), Timestamp(50_000))
                .await
                .unwrap(),
            Err(LinkRefusal::Used)
        );
        assert_eq!(
            r.redeem_login_link("nope", "s3", Timestamp(2_001), Timestamp(50_000))
                .await
                .unwrap(),
            Err(LinkRefusal::Unknown)
        );
        assert_eq!(
            r.session_user("s1", Timestamp(3_000)).await.unwrap(),
            Some(u.clone())
        );
        assert_eq!(r.session_user("s1", Timestamp(50_000)).await.unwrap(), None);

        r.add_login_link("u1", "late", Timestamp(20_000))
            .await
            .unwrap();
        assert_eq!(
            r.redeem_login_link("late", "s4", Timestamp(20_000), Timestamp(50_000))
                .await
                .unwrap(),
            Err(LinkRefusal::Expired)
        );
        r.add_login_link("u1", "again", Timestamp(20_000))
            .await
            .unwrap();
        assert!(r.revoke_user("u1", Timestamp(4_000)).await.unwrap());
        assert!(!r.revoke_user("u1", Timestamp(4_001)).await.unwrap());
        assert_eq!(r.session_user("s1", Timestamp(4_002)).await.unwrap(), None);
        assert_eq!(
            r.redeem_login_link("again", "s5", Timestamp(4_003), Timestamp(50_000))
                .await
                .unwrap(),
            Err(LinkRefusal::Used),
            "revoking spends the person's open links"
        );
        assert!(matches!(
            r.add_login_link("u1", "more", Timestamp(20_000)).await,
            Err(RegistryError::Conflict(_))
        ));
        assert!(matches!(
            r.revoke_user("nobody", Timestamp(1)).await,
            Err(RegistryError::Unknown { .. })
        ));
        assert!(matches!(
            r.add_user(&person("u1"), "x", Timestamp(1)).await,
            Err(RegistryError::Conflict(_))
        ));
    }
}
