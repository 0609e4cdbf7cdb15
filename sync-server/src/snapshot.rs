//! The server's in-memory copy of the access table, kept current by polling
//! the registry's revision, and published on a `watch` channel.
//!
//! Every decision (HTTP and sync) reads the snapshot, never the database, so
//! an access check costs a hash lookup. The share policy streams and the open
//! connections subscribe to it: a revocation made by `admin` in another process
//! reaches them at the next poll (every 200 ms).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use trygg_core::{DocId, Timestamp};
use trygg_sync::access::{self, Access};

use crate::registry::{Changes, Device, DocRecord, Inactive, Org, Registry};

pub const POLL: Duration = Duration::from_millis(200);

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub revision: i64,
    pub orgs: HashMap<String, Org>,
    pub devices: HashMap<String, Device>,
    /// Device id by peer id.
    peers: HashMap<String, String>,
    /// Device id by token hash.
    tokens: HashMap<String, String>,
    pub documents: HashMap<DocId, DocRecord>,
    /// When this snapshot was taken (expiry is judged against it).
    pub taken_at: Timestamp,
}

/// A device that may act now.
pub fn active(device: &Device, now: Timestamp) -> bool {
    device.inactive(now).is_none()
}

impl Snapshot {
    fn apply(&mut self, changes: Changes, now: Timestamp) {
        self.revision = changes.revision;
        self.taken_at = now;
        for o in changes.orgs {
            self.orgs.insert(o.id.clone(), o);
        }
        for d in changes.devices {
            self.peers
                .insert(trygg_sync::api::peer_id_of(&d.id), d.id.clone());
            self.tokens.insert(d.token_hash.clone(), d.id.clone());
            self.devices.insert(d.id.clone(), d);
        }
        for r in changes.documents {
            self.documents.insert(r.access.id, r);
        }
    }

    pub fn device_by_token_hash(&self, hash: &str) -> Option<&Device> {
        self.tokens.get(hash).and_then(|id| self.devices.get(id))
    }

    /// The device behind a peer id, if it may act now.
    pub fn active_device_of_peer(&self, peer: &str) -> Option<&Device> {
        let device = self.peers.get(peer).and_then(|id| self.devices.get(id))?;
        active(device, Timestamp::now()).then_some(device)
    }

    /// Why a device may not act, if it may not.
    pub fn inactive(&self, device_id: &str) -> Option<Inactive> {
        match self.devices.get(device_id) {
            Some(d) => d.inactive(Timestamp::now()),
            None => Some(Inactive::Revoked),
        }
    }

    /// A peer's access to a document. Unknown peers and documents get none.
    pub fn access(&self, doc: &DocId, peer: &str) -> Access {
        match (self.active_device_of_peer(peer), self.documents.get(doc)) {
            (Some(device), Some(record)) => access::decide(&device.principal(), &record.access),
            _ => Access::None,
        }
    }

    /// The earliest expiry still ahead, so the refresher can republish then.
    fn next_expiry(&self, now: Timestamp) -> Option<Timestamp> {
        self.devices
            .values()
            .filter(|d| d.revoked_at.is_none())
            .filter_map(|d| d.expires_at)
            .filter(|e| *e > now)
            .min()
    }
}

/// Loads the whole table once, then follows it.
pub async fn start(
    registry: Arc<dyn Registry>,
) -> anyhow::Result<(Published, tokio::task::JoinHandle<()>)> {
    let mut snapshot = Snapshot::default();
    snapshot.apply(registry.changes_since(0).await?, Timestamp::now());
    let tx = Arc::new(watch::Sender::new(Arc::new(snapshot)));
    let task = tokio::spawn(follow(registry, tx.clone()));
    Ok((tx, task))
}

/// The published snapshot: borrow it, or subscribe to its changes.
pub type Published = Arc<watch::Sender<Arc<Snapshot>>>;

/// Publishes `changes` unless a newer snapshot is already out.
fn publish(tx: &watch::Sender<Arc<Snapshot>>, changes: Changes, now: Timestamp, force: bool) {
    tx.send_if_modified(|snap| {
        if changes.revision < snap.revision || (changes.revision == snap.revision && !force) {
            return false;
        }
        let mut next = (**snap).clone();
        next.apply(changes, now);
        *snap = Arc::new(next);
        true
    });
}

async fn follow(registry: Arc<dyn Registry>, tx: Published) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let current = tx.borrow().clone();
        let now = Timestamp::now();
        let expired = current
            .next_expiry(current.taken_at)
            .is_some_and(|e| e <= now);
        let revision = match registry.revision().await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(%e, "cannot read the access table; keeping the last snapshot");
                continue;
            }
        };
        if revision == current.revision && !expired {
            continue;
        }
        let changes = match registry.changes_since(current.revision).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(%e, "cannot read access table changes; keeping the last snapshot");
                continue;
            }
        };
        tracing::debug!(revision = changes.revision, "access table changed");
        publish(&tx, changes, now, expired);
    }
}

/// Refreshes the snapshot at once (after this instance wrote to the registry),
/// so the writer's next request sees its own write.
pub async fn refresh_now(registry: &dyn Registry, tx: &watch::Sender<Arc<Snapshot>>) {
    let current = tx.borrow().clone();
    match registry.changes_since(current.revision).await {
        Ok(changes) => publish(tx, changes, Timestamp::now(), false),
        Err(e) => tracing::error!(%e, "cannot read access table changes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::token_hash;
    use trygg_core::DocKind;
    use trygg_sync::access::{DocAccess, Role};

    fn device(id: &str, org: &str, role: Role) -> Device {
        Device {
            id: id.into(),
            org: org.into(),
            role,
            name: None,
            token_hash: token_hash(id),
            created_at: Timestamp(0),
            expires_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn access_needs_an_active_device_and_a_registered_document() {
        let id = DocId::random();
        let mut snap = Snapshot::default();
        let walk = DocRecord {
            access: DocAccess {
                id,
                kind: DocKind::Walk,
                owner_org: "district".into(),
                area: None,
                shared_with: Default::default(),
                restricted: false,
                responsible_org: None,
            },
            registered_by: "d".into(),
            registered_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        snap.apply(
            Changes {
                revision: 1,
                devices: vec![device("d", "district", Role::Field)],
                documents: vec![walk],
                ..Changes::default()
            },
            Timestamp(0),
        );
        let peer = trygg_sync::api::peer_id_of("d");
        assert_eq!(snap.access(&id, &peer), Access::ReadWrite);
        assert_eq!(snap.access(&DocId::random(), &peer), Access::None);
        assert_eq!(snap.access(&id, "someone-else"), Access::None);

        let mut revoked = device("d", "district", Role::Field);
        revoked.revoked_at = Some(Timestamp(1));
        snap.apply(
            Changes {
                revision: 2,
                devices: vec![revoked],
                ..Changes::default()
            },
            Timestamp(1),
        );
        assert_eq!(snap.access(&id, &peer), Access::None);
        assert_eq!(snap.inactive("d"), Some(Inactive::Revoked));
    }

    #[test]
    fn an_expired_device_has_no_access() {
        let mut d = device("e", "district", Role::Field);
        d.expires_at = Some(Timestamp(Timestamp::now().millis() - 1));
        let mut snap = Snapshot::default();
        snap.apply(
            Changes {
                revision: 1,
                devices: vec![d],
                ..Changes::default()
            },
            Timestamp(0),
        );
        assert_eq!(snap.inactive("e"), Some(Inactive::Expired));
        assert!(
            snap.active_device_of_peer(&trygg_sync::api::peer_id_of("e"))
                .is_none()
        );
    }
}
