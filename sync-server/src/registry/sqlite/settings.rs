//! Organisations' settings in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use trygg_core::Timestamp;

use super::SqliteRegistry;
use crate::registry::settings::{OrgSettings, Settings};
use crate::registry::{RegistryError, Result};

fn known_org(c: &Connection, org: &str) -> Result<()> {
    let found: Option<i64> = c
        .query_row("SELECT 1 FROM orgs WHERE id = ?1", [org], |r| r.get(0))
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(RegistryError::Unknown {
            what: "organisation",
            id: org.to_string(),
        }),
    }
}

#[async_trait]
impl Settings for SqliteRegistry {
    async fn org_settings(&self, org: &str) -> Result<OrgSettings> {
        let org = org.to_string();
        self.run(move |c| {
            known_org(c, &org)?;
            let row = c
                .query_row(
                    "SELECT export_notes, changed_by, changed_at FROM org_settings WHERE org = ?1",
                    [&org],
                    |r| {
                        Ok(OrgSettings {
                            export_notes: r.get(0)?,
                            changed: Some((r.get(1)?, Timestamp(r.get(2)?))),
                        })
                    },
                )
                .optional()?;
            Ok(row.unwrap_or_default())
        })
        .await
    }

    async fn set_export_notes(&self, org: &str, on: bool, by: &str, at: Timestamp) -> Result<()> {
        let (org, by) = (org.to_string(), by.to_string());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            known_org(&tx, &org)?;
            tx.execute(
                "INSERT INTO org_settings (org, export_notes, changed_by, changed_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (org) DO UPDATE SET export_notes = excluded.export_notes,
                   changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                params![org, on, by, at.0],
            )?;
            tx.commit()?;
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

    #[tokio::test]
    async fn notes_stay_out_of_exports_until_a_coordinator_lets_them_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.db");
        let r = SqliteRegistry::open(&path).unwrap();
        r.add_org(&Org {
            id: "district".into(),
            name: "Stadsdelen (test)".into(),
            kind: OrgKind::District,
        })
        .await
        .unwrap();
        assert_eq!(
            r.org_settings("district").await.unwrap(),
            OrgSettings::default()
        );
        assert!(!OrgSettings::default().export_notes);

        r.set_export_notes("district", true, "Samordnare", Timestamp(5_000))
            .await
            .unwrap();
        drop(r);
        let r = SqliteRegistry::open(&path).unwrap();
        assert_eq!(
            r.org_settings("district").await.unwrap(),
            OrgSettings {
                export_notes: true,
                changed: Some(("Samordnare".into(), Timestamp(5_000))),
            },
            "kept across a restart"
        );
        r.set_export_notes("district", false, "Annan", Timestamp(6_000))
            .await
            .unwrap();
        assert!(!r.org_settings("district").await.unwrap().export_notes);

        for unknown in [
            r.org_settings("nobody").await.unwrap_err(),
            r.set_export_notes("nobody", true, "x", Timestamp(1))
                .await
                .unwrap_err(),
        ] {
            assert!(
                matches!(&unknown, RegistryError::Unknown { what: "organisation", id } if id == "nobody"),
                "{unknown}"
            );
        }
    }
}
