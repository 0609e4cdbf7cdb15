//! The server's in-memory copy of the access table, kept current by polling
//! the registry's revision, and published on a `watch` channel.
//!
//! Every decision (HTTP and sync) reads the snapshot, never the database, so
//! an access check costs a hash lookup. The maps are persistent (`imbl`): a
//! new revision shares every unchanged entry with the last one instead of
//! copying the table. Each publication tells the [`Listener`] exactly which
//! documents' access facts changed and which devices lost access, so the
//! sync engine re-decides those and nothing else; a revocation made by
//! `admin` in another process arrives at the next poll (every 200 ms). A
//! document's "last updated" time changing is not an access change.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use imbl::HashMap;

use tokio::sync::watch;
use trygg_core::{DocId, Timestamp};
use trygg_sync::access::{self, Access, Principal};

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

    /// The device behind a peer id, active or not.
    pub fn device_of_peer(&self, peer: &str) -> Option<&Device> {
        self.peers.get(peer).and_then(|id| self.devices.get(id))
    }

    /// Why a device may not act, if it may not.
    pub fn inactive(&self, device_id: &str) -> Option<Inactive> {
        match self.devices.get(device_id) {
            Some(d) => d.inactive(Timestamp::now()),
            None => Some(Inactive::Revoked),
        }
    }

    /// A peer's access to a document. Unknown peers and documents, and
    /// documents a purged copy replaced, get none.
    pub fn access(&self, doc: &DocId, peer: &str) -> Access {
        match self.active_device_of_peer(peer) {
            Some(device) => self.decide(&device.principal(), doc),
            None => Access::None,
        }
    }

    /// `who`'s access to a document: the access rule on its registered
    /// facts; none for unknown documents and documents a purged copy replaced.
    pub fn decide(&self, who: &Principal, doc: &DocId) -> Access {
        self.current(doc)
            .map_or(Access::None, |record| access::decide(who, &record.access))
    }

    /// A registered document that has not been replaced.
    pub fn current(&self, doc: &DocId) -> Option<&DocRecord> {
        self.documents.get(doc).filter(|r| r.replaced_by.is_none())
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
    let published = Arc::new(Publisher {
        tx: watch::Sender::new(Arc::new(snapshot)),
        listener: OnceLock::new(),
    });
    let task = tokio::spawn(follow(registry, published.clone()));
    Ok((published, task))
}

/// Who hears of access changes as they are published (the sync engine).
pub trait Listener: Send + Sync + std::fmt::Debug {
    /// These documents' access facts changed.
    fn documents_changed(&self, docs: Vec<DocId>);
    /// This device may no longer act.
    fn device_lost(&self, device_id: &str, why: Inactive);
}

/// The published snapshot: borrow it, or subscribe to its changes.
#[derive(Debug)]
pub struct Publisher {
    tx: watch::Sender<Arc<Snapshot>>,
    listener: OnceLock<Arc<dyn Listener>>,
}

pub type Published = Arc<Publisher>;

impl Publisher {
    pub fn borrow(&self) -> watch::Ref<'_, Arc<Snapshot>> {
        self.tx.borrow()
    }

    /// Sets who hears of changes; only the first call counts.
    pub fn listen(&self, listener: Arc<dyn Listener>) {
        if self.listener.set(listener).is_err() {
            tracing::warn!("a second access listener was ignored");
        }
    }

    /// Publishes `changes` unless a newer snapshot is already out, then tells
    /// the listener what changed.
    fn publish(&self, changes: Changes, now: Timestamp, force: bool) {
        let mut docs = Vec::new();
        let mut lost = Vec::new();
        self.tx.send_if_modified(|snap| {
            if changes.revision < snap.revision || (changes.revision == snap.revision && !force) {
                return false;
            }
            let before = snap.clone();
            let mut next = (**snap).clone();
            docs = changes
                .documents
                .iter()
                .filter(|r| {
                    before
                        .documents
                        .get(&r.access.id)
                        .map(|o| (&o.access, o.replaced_by))
                        != Some((&r.access, r.replaced_by))
                })
                .map(|r| r.access.id)
                .collect();
            let changed_devices: Vec<String> =
                changes.devices.iter().map(|d| d.id.clone()).collect();
            next.apply(changes, now);
            // Devices that changed, and (when an expiry came due) every
            // device whose expiry lies between the two snapshots.
            let due = before.taken_at;
            let candidates = changed_devices.into_iter().chain(
                next.devices
                    .values()
                    .filter(|d| d.expires_at.is_some_and(|e| e > due && e <= now))
                    .map(|d| d.id.clone()),
            );
            for id in candidates {
                let was_active = before
                    .devices
                    .get(&id)
                    .is_some_and(|d| d.inactive(due).is_none());
                if let Some(why) = next.devices.get(&id).and_then(|d| d.inactive(now))
                    && was_active
                {
                    lost.push((id, why));
                }
            }
            *snap = Arc::new(next);
            true
        });
        if let Some(listener) = self.listener.get() {
            if !docs.is_empty() {
                listener.documents_changed(docs);
            }
            for (id, why) in lost {
                listener.device_lost(&id, why);
            }
        }
    }
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
        tx.publish(changes, now, expired);
    }
}

/// Refreshes the snapshot at once (after this instance wrote to the registry),
/// so the writer's next request sees its own write.
pub async fn refresh_now(registry: &dyn Registry, tx: &Publisher) {
    let current = tx.borrow().clone();
    match registry.changes_since(current.revision).await {
        Ok(changes) => tx.publish(changes, Timestamp::now(), false),
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
            replaces: None,
            replaced_by: None,
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
