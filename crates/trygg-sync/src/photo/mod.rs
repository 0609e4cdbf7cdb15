//! Photos travel beside the documents, over HTTP, named by the SHA-256 of their
//! bytes: an upload is idempotent, and a document only holds the hash.
//!
//! * [`clean`]: on the device, a photo is decoded, turned upright and encoded
//!   again, so nothing but its pixels is kept (PRODUCT §2).
//! * [`metadata_found`]: reads a photo's container and names every block that
//!   could carry location or device data; the server refuses an upload that
//!   has any, and the device checks its own output with it.

mod clean;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
mod metadata;

use sha2::{Digest, Sha256};

pub use clean::{CleanPhoto, MAX_PHOTO_SIDE, clean};
pub use metadata::metadata_found;

/// The largest photo the server takes by default (a phone photo is 2–8 MB).
pub const DEFAULT_MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

/// Media types a stored photo may have. The device takes these and turns
/// WebP into JPEG; HEIC is refused with [`PhotoError::Heic`].
pub const MEDIA_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp"];

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A photo name must be 64 lowercase hex digits: anything else is refused
/// before it can become a path.
/// Removes a photo file for good (retention): its bytes are overwritten
/// with zeros and synced before it is unlinked. `false` when there was none.
pub fn wipe_file(path: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut f = match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    std::io::copy(&mut std::io::repeat(0).take(len), &mut f)?;
    f.sync_all()?;
    std::fs::remove_file(path)?;
    Ok(true)
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why photo bytes were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("unsupported photo type {0}; use JPEG, PNG or WebP")]
    UnsupportedType(String),
    #[error(
        "HEIC photos cannot be read here; set the camera to JPEG (\"Most compatible\") or export the photo as JPEG"
    )]
    Heic,
    #[error("the file is not a valid {0} image")]
    Damaged(&'static str),
    #[error("the file is not a readable {kind} image: {reason}")]
    Unreadable { kind: &'static str, reason: String },
    #[error("the photo is {width} × {height} pixels; the largest side may be {MAX_PHOTO_SIDE}")]
    TooManyPixels { width: u32, height: u32 },
    #[error(
        "the photo carries {}: location and device metadata are refused (Trygg's app removes them before upload)",
        .0.join(", ")
    )]
    Metadata(Vec<String>),
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
