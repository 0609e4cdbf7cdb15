//! The server's HTTP API payloads (`/api/v1`, PRODUCT §4): one definition the
//! server serialises and the client parses, so the two cannot drift.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use trygg_core::{DocId, DocKind};

use crate::access::{Access, DocAccess, Role};

/// `GET /api/v1/me`: who the token belongs to, and the peer id it must sync as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub device_id: String,
    pub peer_id: String,
    pub organisation: String,
    pub role: Role,
    pub name: Option<String>,
}

/// One entry of `GET /api/v1/documents`: the document's access facts
/// (`id` is the automerge-repo document id, an `automerge:` URL without the
/// prefix), the caller's access, and when it last changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    #[serde(flatten)]
    pub doc: DocAccess,
    /// The caller's access.
    pub access: Access,
    /// RFC 3339: when the server last received a change, or registered it.
    pub updated_at: String,
    /// The document this one replaced: a copy of it without what the
    /// retention period purged. A device drops its copy of that document
    /// (history included) and keeps this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<DocId>,
}

/// `POST /api/v1/documents`: registers a document created on a device for the
/// caller's organisation, before it is first synced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterDocument {
    pub id: DocId,
    pub kind: DocKind,
    #[serde(default)]
    pub area: Option<String>,
    /// Other organisations (ids) sharing the document.
    #[serde(default)]
    pub shared_with: BTreeSet<String>,
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub responsible_org: Option<String>,
}

/// `PATCH /api/v1/documents/{id}`: the organisations (ids) that share the
/// document from now on, besides the owner. Removing one revokes its access,
/// on open connections too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSharing {
    pub shared_with: BTreeSet<String>,
}

impl RegisterDocument {
    /// The access facts this registration gives a document owned by
    /// `owner_org`: what the server records, and what a device checks
    /// before it creates a document (the owner never counts as a partner).
    pub fn facts(&self, owner_org: &str) -> DocAccess {
        DocAccess {
            id: self.id,
            kind: self.kind,
            owner_org: owner_org.to_string(),
            area: self.area.clone(),
            shared_with: self
                .shared_with
                .iter()
                .filter(|o| *o != owner_org)
                .cloned()
                .collect(),
            restricted: self.restricted,
            responsible_org: self.responsible_org.clone(),
        }
    }
}

impl From<&DocAccess> for RegisterDocument {
    /// The registration a device sends for a document with these facts (the
    /// server takes the owner from the token, not from the request).
    fn from(a: &DocAccess) -> Self {
        RegisterDocument {
            id: a.id,
            kind: a.kind,
            area: a.area.clone(),
            shared_with: a.shared_with.clone(),
            restricted: a.restricted,
            responsible_org: a.responsible_org.clone(),
        }
    }
}

/// `PUT /api/v1/photos/{sha256}`'s answer, and `HEAD`'s meaning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoStored {
    pub sha256: String,
    pub size: u64,
    /// False when the server already had it (the upload was a repeat).
    pub created: bool,
}

/// Every error body: `{"error": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// The peer id a device syncs as. The server binds each connection to it, so a
/// device cannot speak for another.
pub fn peer_id_of(device_id: &str) -> String {
    format!("trygg-device-{device_id}")
}

#[cfg(test)]
mod tests {
    //! The payloads are a contract outside tools use (PRODUCT §4): a change to
    //! their JSON shows up here for a human to review.
    use super::*;

    fn walk() -> DocAccess {
        DocAccess {
            id: "2NMz7vN6N1eiNjRMzLPjutCD6web".parse().unwrap(),
            kind: DocKind::Walk,
            owner_org: "demo-sdf-norr".into(),
            area: Some("jarva".into()),
            shared_with: ["demo-polis".to_string()].into(),
            restricted: false,
            responsible_org: None,
        }
    }

    #[test]
    fn payloads_keep_their_json_shape() {
        insta::assert_json_snapshot!(
            "document_info",
            DocumentInfo {
                doc: walk(),
                access: Access::ReadWrite,
                updated_at: "2026-11-25T20:42:21.095Z".into(),
                replaces: None,
            }
        );
        insta::assert_json_snapshot!(
            "document_info_replacing",
            DocumentInfo {
                doc: walk(),
                access: Access::Read,
                updated_at: "2026-11-25T20:42:21.095Z".into(),
                replaces: Some(DocId::from_bytes([7; 16])),
            }
        );
        insta::assert_json_snapshot!(
            "me",
            Me {
                device_id: "01a21471-f036-76d9-b107-bc24e03232e9".into(),
                peer_id: peer_id_of("01a21471-f036-76d9-b107-bc24e03232e9"),
                organisation: "demo-polis".into(),
                role: Role::Field,
                name: Some("Surfplatta 1 (demo)".into()),
            }
        );
        insta::assert_json_snapshot!("register", RegisterDocument::from(&walk()));
    }

    #[test]
    fn a_registration_refuses_unknown_fields() {
        let err = serde_json::from_str::<RegisterDocument>(
            r#"{"id":"2NMz7vN6N1eiNjRMzLPjutCD6web","kind":"walk","owner_org":"someone-else"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("owner_org"));
    }
}
