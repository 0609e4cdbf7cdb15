//! Documents created on the device and not yet registered with the server.
//!
//! A document is registered before samod may offer it to the server (the
//! client's share policy withholds it until then), so a device that created a
//! walk offline never has it refused as unknown. A registration the server
//! refuses (say, a field device's local vocabulary) stays in the table with the
//! reason: the document is kept on this device only and no longer retried.

use rusqlite::{Connection, params};
use trygg_core::DocId;

use crate::api::RegisterDocument;
use crate::error::Result;

pub fn enqueue(conn: &Connection, reg: &RegisterDocument, now: i64) -> Result<()> {
    let body = serde_json::to_string(reg).expect("a registration serialises");
    conn.execute(
        "INSERT OR REPLACE INTO sync_outbox (doc_id, registration, queued_at, refused)
         VALUES (?1, ?2, ?3, NULL)",
        params![reg.id.to_string(), body, now],
    )?;
    Ok(())
}

/// Registrations still to send.
pub fn pending(conn: &Connection) -> Result<Vec<RegisterDocument>> {
    let mut stmt = conn
        .prepare("SELECT registration FROM sync_outbox WHERE refused IS NULL ORDER BY queued_at")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .iter()
        .filter_map(|json| match serde_json::from_str(json) {
            Ok(reg) => Some(reg),
            Err(e) => {
                tracing::error!(%e, "unreadable queued registration left in the outbox");
                None
            }
        })
        .collect())
}

/// Documents the server refused to register, with its reason.
pub fn refused(conn: &Connection) -> Result<Vec<(DocId, String)>> {
    let mut stmt =
        conn.prepare("SELECT doc_id, refused FROM sync_outbox WHERE refused IS NOT NULL")?;
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, why)| Some((id.parse().ok()?, why)))
        .collect())
}

pub fn refuse(conn: &Connection, id: &DocId, reason: &str) -> Result<()> {
    conn.execute(
        "UPDATE sync_outbox SET refused = ?2 WHERE doc_id = ?1",
        params![id.to_string(), reason],
    )?;
    Ok(())
}

pub fn done(conn: &Connection, id: &DocId) -> Result<()> {
    conn.execute(
        "DELETE FROM sync_outbox WHERE doc_id = ?1",
        params![id.to_string()],
    )?;
    Ok(())
}
