//! Identifiers.
//!
//! A [`DocId`] is an automerge-repo document id: 16 random bytes written in
//! base58check, exactly what follows `automerge:` in an automerge-repo URL. Using
//! the same form keeps our documents addressable by the JS automerge-repo
//! ecosystem and by samod.
//!
//! Entities inside a document (observations, items, comments) get UUIDv7 strings:
//! unique without coordination, and sortable by creation time.

use std::fmt;
use std::str::FromStr;

/// A readable id or file-name part from a name: lower-case ASCII letters and
/// digits, one `-` for each run of anything else, none at either end
/// (`"Skärholmens centrum"` → `skarholmens-centrum`).
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'å' | 'ä' => 'a',
            'ö' => 'o',
            'é' => 'e',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An automerge-repo document id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId([u8; 16]);

impl DocId {
    /// A new random id (UUIDv4 bytes, as automerge-repo makes them).
    pub fn random() -> Self {
        Self(*uuid::Uuid::new_v4().as_bytes())
    }

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL of this document.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(&self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

/// A string that is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not a document id (expected base58check of 16 bytes, optionally prefixed by `automerge:`)"
)]
pub struct BadDocId {
    pub input: String,
}

impl FromStr for DocId {
    type Err = BadDocId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bare = s.strip_prefix("automerge:").unwrap_or(s);
        let bad = || BadDocId {
            input: s.chars().take(80).collect(),
        };
        let bytes = bs58::decode(bare)
            .with_check(None)
            .into_vec()
            .map_err(|_| bad())?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for DocId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DocId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A new id for an entity inside a document (UUIDv7: time-ordered, unique).
pub fn new_entity_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_and_dashed() {
        assert_eq!(
            slug("Lokalpolisområde Exempel (demo)"),
            "lokalpolisomrade-exempel-demo"
        );
        assert_eq!(slug("  Ära & Öl  "), "ara-ol");
        assert_eq!(slug("Skärholmens centrum"), "skarholmens-centrum");
        assert_eq!(slug("–"), "");
    }

    #[test]
    fn doc_id_round_trips_through_text() {
        let id = DocId::random();
        let text = id.to_string();
        assert_eq!(text.parse::<DocId>().unwrap(), id);
        assert_eq!(id.url().parse::<DocId>().unwrap(), id);
    }

    #[test]
    fn doc_id_matches_automerge_repo_encoding() {
        // The document id automerge-repo prints for sixteen zero bytes.
        let zero = DocId::from_bytes([0; 16]);
        let text = zero.to_string();
        let decoded = bs58::decode(&text).with_check(None).into_vec().unwrap();
        assert_eq!(decoded, vec![0; 16]);
        // An id as automerge-repo writes them in its documentation.
        let id: DocId = "automerge:4NMNnkMhL8jXrdJ9jamS58PAVdXu".parse().unwrap();
        assert_eq!(id.to_string(), "4NMNnkMhL8jXrdJ9jamS58PAVdXu");
    }

    #[test]
    fn doc_id_rejects_garbage() {
        for bad in [
            "",
            "hello",
            "automerge:",
            "0OIl",
            "4NMNnkMhL8jXrdJ9jamS58PAVdXv",
        ] {
            let err = bad.parse::<DocId>().unwrap_err();
            assert!(
                err.to_string().contains("not a document id"),
                "{bad}: {err}"
            );
        }
        // A valid checksum over the wrong number of bytes.
        let eight = bs58::encode([1u8; 8]).with_check().into_string();
        assert!(eight.parse::<DocId>().is_err());
    }
}
