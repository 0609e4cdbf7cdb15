//! What the field app shows in its sync indicator, computed from plain facts.

use automerge::ChangeHash;
use serde::Serialize;

use crate::access::Access;

/// The connection as the user should understand it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Connection {
    /// No server reachable; edits are kept on this device.
    Offline,
    /// Connected, and some changes are not on the server yet (either way).
    Syncing,
    /// Connected, and the server has everything this device has.
    AllOnServer,
    /// Connected, the server has everything it accepts from this device, and
    /// it refuses changes this device made to documents it may only read
    /// (`refused_documents`): they stay on this device.
    Refused,
    /// The server refused this device's token; syncing has stopped.
    TokenRefused,
    /// Something on this device keeps part of its work from the server: a
    /// queued photo whose file is gone (`photos_missing`), or its own
    /// records that could not be read (`problem`).
    DeviceProblem,
}

/// The sync indicator's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    pub connection: Connection,
    /// Local documents whose changes the server does not have yet
    /// (including documents created offline and not yet registered).
    pub unsynced_documents: usize,
    /// Photos waiting for upload.
    pub photos_queued: usize,
    /// Queued photos whose file is no longer on this device: they can never
    /// reach the server.
    pub photos_missing: usize,
    /// What on this device could not be read, if anything.
    pub problem: Option<String>,
    /// Documents the server refused to register: they stay on this device.
    pub local_only_documents: usize,
    /// Documents with changes made here that the server will not take: the
    /// server lets this device only read them.
    pub refused_documents: usize,
}

impl SyncStatus {
    pub fn starting() -> Self {
        Self {
            connection: Connection::Offline,
            unsynced_documents: 0,
            photos_queued: 0,
            photos_missing: 0,
            problem: None,
            local_only_documents: 0,
            refused_documents: 0,
        }
    }
}

/// One document's state against the server connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocState {
    pub local_heads: Vec<ChangeHash>,
    /// Heads both sides are known to have, if the server has answered at all.
    pub shared_heads: Option<Vec<ChangeHash>>,
    /// This device's access as the server listed it, once it has.
    pub server_access: Option<Access>,
}

impl DocState {
    fn on_server(&self) -> bool {
        let mut local = self.local_heads.clone();
        local.sort();
        self.shared_heads.as_ref().is_some_and(|shared| {
            let mut shared = shared.clone();
            shared.sort();
            shared == local
        })
    }
}

/// Facts gathered by the client at one moment.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub connected: bool,
    pub token_refused: bool,
    pub docs: Vec<DocState>,
    pub unregistered: usize,
    pub local_only: usize,
    pub photos_queued: usize,
    pub photos_missing: usize,
    pub problem: Option<String>,
}

pub fn summarize(f: &Facts) -> SyncStatus {
    let (refused, waiting): (Vec<&DocState>, Vec<&DocState>) = f
        .docs
        .iter()
        .filter(|d| !d.on_server())
        .partition(|d| d.server_access == Some(Access::Read));
    let unsynced = waiting.len() + f.unregistered;
    let connection = if f.token_refused {
        Connection::TokenRefused
    } else if f.problem.is_some() || f.photos_missing > 0 {
        Connection::DeviceProblem
    } else if !f.connected {
        Connection::Offline
    } else if unsynced > 0 || f.photos_queued > 0 {
        Connection::Syncing
    } else if !refused.is_empty() {
        Connection::Refused
    } else {
        Connection::AllOnServer
    };
    SyncStatus {
        connection,
        unsynced_documents: unsynced,
        photos_queued: f.photos_queued,
        photos_missing: f.photos_missing,
        problem: f.problem.clone(),
        local_only_documents: f.local_only,
        refused_documents: refused.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> ChangeHash {
        ChangeHash([n; 32])
    }

    #[test]
    fn a_document_is_on_the_server_when_the_shared_heads_are_ours() {
        let synced = DocState {
            local_heads: vec![h(1), h(2)],
            shared_heads: Some(vec![h(2), h(1)]),
            server_access: Some(Access::ReadWrite),
        };
        let behind = DocState {
            local_heads: vec![h(3)],
            shared_heads: Some(vec![h(1)]),
            server_access: Some(Access::ReadWrite),
        };
        let unanswered = DocState {
            local_heads: vec![h(3)],
            shared_heads: None,
            server_access: None,
        };
        let mut f = Facts {
            connected: true,
            docs: vec![synced.clone()],
            ..Facts::default()
        };
        assert_eq!(summarize(&f).connection, Connection::AllOnServer);
        f.docs = vec![synced, behind, unanswered];
        f.unregistered = 1;
        let s = summarize(&f);
        assert_eq!(s.connection, Connection::Syncing);
        assert_eq!(s.unsynced_documents, 3);
        f.connected = false;
        assert_eq!(summarize(&f).connection, Connection::Offline);
        f.token_refused = true;
        assert_eq!(summarize(&f).connection, Connection::TokenRefused);
    }

    #[test]
    fn changes_to_a_document_the_server_lets_us_only_read_are_refused_not_syncing() {
        let read_only_with_edits = DocState {
            local_heads: vec![h(4)],
            shared_heads: Some(vec![h(1)]),
            server_access: Some(Access::Read),
        };
        let read_only_in_step = DocState {
            local_heads: vec![h(1)],
            shared_heads: Some(vec![h(1)]),
            server_access: Some(Access::Read),
        };
        let mut f = Facts {
            connected: true,
            docs: vec![read_only_with_edits.clone(), read_only_in_step.clone()],
            ..Facts::default()
        };
        let s = summarize(&f);
        assert_eq!(s.connection, Connection::Refused);
        assert_eq!((s.refused_documents, s.unsynced_documents), (1, 0));
        // Something still on its way wins: the person waits for that first.
        f.docs.push(DocState {
            local_heads: vec![h(5)],
            shared_heads: None,
            server_access: Some(Access::ReadWrite),
        });
        let s = summarize(&f);
        assert_eq!(s.connection, Connection::Syncing);
        assert_eq!((s.refused_documents, s.unsynced_documents), (1, 1));
        // Only a read-only document without edits of ours: all on the server.
        f.docs = vec![read_only_in_step];
        assert_eq!(summarize(&f).connection, Connection::AllOnServer);
        f.docs = vec![read_only_with_edits];
        f.connected = false;
        assert_eq!(summarize(&f).connection, Connection::Offline);
    }

    #[test]
    fn queued_photos_keep_the_indicator_syncing() {
        let f = Facts {
            connected: true,
            photos_queued: 2,
            ..Facts::default()
        };
        let s = summarize(&f);
        assert_eq!(s.connection, Connection::Syncing);
        assert_eq!(s.photos_queued, 2);
    }

    #[test]
    fn a_missing_photo_or_unreadable_records_are_a_problem_never_all_on_server() {
        let mut f = Facts {
            connected: true,
            photos_missing: 1,
            ..Facts::default()
        };
        let s = summarize(&f);
        assert_eq!(
            (s.connection, s.photos_missing),
            (Connection::DeviceProblem, 1)
        );
        f.connected = false;
        assert_eq!(
            summarize(&f).connection,
            Connection::DeviceProblem,
            "offline too: the person must know"
        );
        f.photos_missing = 0;
        f.problem = Some("the photo queue could not be read: disk I/O error".into());
        let s = summarize(&f);
        assert_eq!(s.connection, Connection::DeviceProblem);
        assert_eq!(s.problem, f.problem);
        f.token_refused = true;
        assert_eq!(summarize(&f).connection, Connection::TokenRefused);
    }
}
