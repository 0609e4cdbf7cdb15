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

/// Why photo bytes were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("unsupported photo type {0}; use JPEG, PNG, WebP or HEIC")]
    UnsupportedType(String),
    #[error("the file is not a valid {0} image")]
    Damaged(&'static str),
}

/// Removes location and device metadata (EXIF, XMP, IPTC, text chunks) from a
/// photo before it is stored or uploaded (PRODUCT §2). JPEG and PNG are
/// rewritten without those segments; WebP and HEIC are passed through (the app
/// converts camera photos to JPEG).
pub fn strip_metadata(bytes: &[u8], media_type: &str) -> Result<Vec<u8>, PhotoError> {
    match media_type {
        "image/jpeg" => strip_jpeg(bytes),
        "image/png" => strip_png(bytes),
        "image/webp" | "image/heic" => Ok(bytes.to_vec()),
        other => Err(PhotoError::UnsupportedType(other.to_string())),
    }
}

fn strip_jpeg(b: &[u8]) -> Result<Vec<u8>, PhotoError> {
    const BAD: PhotoError = PhotoError::Damaged("JPEG");
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err(BAD);
    }
    let mut out = vec![0xFF, 0xD8];
    let mut i = 2;
    loop {
        if i + 4 > b.len() || b[i] != 0xFF {
            return Err(BAD);
        }
        let marker = b[i + 1];
        // Start of scan: the entropy-coded image follows; copy the rest as is.
        if marker == 0xDA {
            out.extend_from_slice(&b[i..]);
            return Ok(out);
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let end = i + 2 + len;
        if len < 2 || end > b.len() {
            return Err(BAD);
        }
        // APP1 (EXIF, XMP) and APP13 (IPTC) carry location and device data.
        if marker != 0xE1 && marker != 0xED {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
    }
}

fn strip_png(b: &[u8]) -> Result<Vec<u8>, PhotoError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    const BAD: PhotoError = PhotoError::Damaged("PNG");
    if !b.starts_with(SIGNATURE) {
        return Err(BAD);
    }
    let mut out = SIGNATURE.to_vec();
    let mut i = SIGNATURE.len();
    while i < b.len() {
        if i + 12 > b.len() {
            return Err(BAD);
        }
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|e| *e <= b.len())
            .ok_or(BAD)?;
        let kind = &b[i + 4..i + 8];
        if !matches!(kind, b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt") {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    #[test]
    fn jpeg_loses_exif_and_keeps_the_image() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend(segment(0xE0, b"JFIF\0keep"));
        jpeg.extend(segment(0xE1, b"Exif\0\0GPS 59.33N 18.06E"));
        jpeg.extend(segment(0xDB, b"quant"));
        jpeg.extend([0xFF, 0xDA, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9]);
        let clean = strip_metadata(&jpeg, "image/jpeg").unwrap();
        assert!(!clean.windows(3).any(|w| w == b"GPS"));
        assert!(clean.windows(4).any(|w| w == b"JFIF"));
        assert!(clean.ends_with(&[1, 2, 3, 0xFF, 0xD9]));
        assert_eq!(
            clean.len(),
            jpeg.len() - segment(0xE1, b"Exif\0\0GPS 59.33N 18.06E").len()
        );
        assert_eq!(
            strip_metadata(b"not a jpeg", "image/jpeg"),
            Err(PhotoError::Damaged("JPEG"))
        );
        assert!(strip_metadata(&jpeg, "application/pdf").is_err());
    }

    #[test]
    fn png_loses_text_chunks() {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Author\0someone"));
        png.extend(chunk(b"IDAT", b"pixels"));
        png.extend(chunk(b"IEND", b""));
        let clean = strip_metadata(&png, "image/png").unwrap();
        assert!(!clean.windows(7).any(|w| w == b"someone"));
        assert!(clean.windows(6).any(|w| w == b"pixels"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let mut jpeg = vec![0xFF, 0xD8];
            jpeg.extend_from_slice(&bytes);
            let _ = strip_metadata(&jpeg, "image/jpeg");
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend_from_slice(&bytes);
            let _ = strip_metadata(&png, "image/png");
        }
    }

    #[test]
    fn names_are_strict_hex() {
        let h = sha256_hex(b"photo");
        assert!(is_sha256_hex(&h));
        assert!(!is_sha256_hex(&h.to_uppercase()));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(!is_sha256_hex(&h[..63]));
    }
}
