//! Photos travel beside the documents, over HTTP, named by the SHA-256 of their
//! bytes: an upload is idempotent, and a document only holds the hash.

use sha2::{Digest, Sha256};

/// The largest photo the server takes by default (a phone photo is 2–8 MB).
pub const DEFAULT_MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

/// Media types a photo may have.
pub const MEDIA_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/heic"];

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A photo name must be 64 lowercase hex digits: anything else is refused
/// before it can become a path.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_strict_hex() {
        let h = sha256_hex(b"photo");
        assert!(is_sha256_hex(&h));
        assert!(!is_sha256_hex(&h.to_uppercase()));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(!is_sha256_hex(&h[..63]));
    }
}
