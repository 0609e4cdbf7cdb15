//! Reads a photo's container, block by block, and names every block that is
//! not needed to draw the picture: EXIF (GPS position, camera serial), XMP,
//! IPTC, comments, colour profiles (they name the device), a second picture
//! after the first (multi-picture JPEGs carry their own EXIF), text chunks.
//! Only blocks known to hold pixels or how to draw them are allowed, so a
//! block nobody has heard of is refused too.

use super::PhotoError;

/// The metadata blocks in `bytes`, each named once, in the order found; empty
/// when the photo carries nothing but its picture. A container that does not
/// parse as `media_type` is [`PhotoError::Damaged`].
pub fn metadata_found(bytes: &[u8], media_type: &str) -> Result<Vec<String>, PhotoError> {
    let mut found = Found::default();
    match media_type {
        "image/jpeg" => jpeg(bytes, &mut found)?,
        "image/png" => png(bytes, &mut found)?,
        "image/webp" => webp(bytes, &mut found)?,
        "image/heic" | "image/heif" => return Err(PhotoError::Heic),
        other => return Err(PhotoError::UnsupportedType(other.to_string())),
    }
    Ok(found.0)
}

#[derive(Default)]
struct Found(Vec<String>);

impl Found {
    fn add(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.0.contains(&what) {
            self.0.push(what);
        }
    }

    fn trailing(&mut self, rest: &[u8], after: &str) {
        if !rest.is_empty() {
            self.add(format!("{} bytes after the {after}", rest.len()));
        }
    }
}

fn jpeg(b: &[u8], found: &mut Found) -> Result<(), PhotoError> {
    const BAD: PhotoError = PhotoError::Damaged("JPEG");
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err(BAD);
    }
    let mut i = 2;
    loop {
        if b.get(i) != Some(&0xFF) {
            return Err(BAD);
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let marker = *b.get(i).ok_or(BAD)?;
        i += 1;
        match marker {
            // End of image: a multi-picture JPEG keeps its next picture here.
            0xD9 => {
                found.trailing(&b[i..], "end of the image (a second picture?)");
                return Ok(());
            }
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => return Err(BAD),
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([
            *b.get(i).ok_or(BAD)?,
            *b.get(i + 1).ok_or(BAD)?,
        ]));
        let end = i + len;
        if len < 2 || end > b.len() {
            return Err(BAD);
        }
        let payload = &b[i + 2..end];
        if let Some(what) = jpeg_segment(marker, payload) {
            found.add(what);
        }
        i = end;
        if marker == 0xDA {
            i = after_entropy_coded(b, i).ok_or(BAD)?;
        }
    }
}

/// What a JPEG segment carries, if it is not needed to draw the picture.
fn jpeg_segment(marker: u8, payload: &[u8]) -> Option<String> {
    let starts = |p: &[u8]| payload.starts_with(p);
    let what = match marker {
        0xE0 if starts(b"JFIF\0") || starts(b"JFXX\0") => return None,
        0xE1 if starts(b"Exif\0") => "EXIF (APP1)",
        0xE1 if starts(b"http://ns.adobe.com/") => "XMP (APP1)",
        0xE2 if starts(b"ICC_PROFILE\0") => "a colour profile (APP2 ICC)",
        0xE2 if starts(b"MPF\0") => "a multi-picture index (APP2 MPF)",
        0xED => "IPTC (APP13)",
        // Adobe's colour-transform flag: needed to decode CMYK and YCCK.
        0xEE if starts(b"Adobe") => return None,
        0xE0..=0xEF => return Some(format!("an APP{} segment", marker - 0xE0)),
        0xFE => "a comment (COM)",
        _ => return None,
    };
    Some(what.to_string())
}

/// Skips a scan's entropy-coded bytes: returns the index of the next marker.
/// Inside them 0xFF is followed by 0x00 (a stuffed byte) or a restart marker.
fn after_entropy_coded(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        let at = i + b.get(i..)?.iter().position(|&x| x == 0xFF)?;
        match *b.get(at + 1)? {
            0x00 | 0xD0..=0xD7 | 0xFF => i = at + 1,
            _ => return Some(at),
        }
    }
}

fn png(b: &[u8], found: &mut Found) -> Result<(), PhotoError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    const BAD: PhotoError = PhotoError::Damaged("PNG");
    // Chunks that hold the picture or how to draw it; colour profiles
    // (iCCP) name the device and are refused like everything else.
    const PICTURE: &[&[u8; 4]] = &[
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD",
        b"pHYs", b"hIST", b"acTL", b"fcTL", b"fdAT",
    ];
    if !b.starts_with(SIGNATURE) {
        return Err(BAD);
    }
    let mut i = SIGNATURE.len();
    loop {
        let len = b.get(i..i + 4).ok_or(BAD)?;
        let len = u32::from_be_bytes(len.try_into().expect("four bytes")) as usize;
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|e| *e <= b.len())
            .ok_or(BAD)?;
        let kind: &[u8; 4] = b[i + 4..i + 8].try_into().expect("four bytes");
        if !PICTURE.contains(&kind) {
            found.add(match kind {
                b"eXIf" => "EXIF (eXIf)".to_string(),
                b"tEXt" | b"iTXt" | b"zTXt" => "text (tEXt, iTXt or zTXt)".to_string(),
                b"iCCP" => "a colour profile (iCCP)".to_string(),
                b"tIME" => "a time stamp (tIME)".to_string(),
                other => format!("a {} chunk", String::from_utf8_lossy(other)),
            });
        }
        i = end;
        if kind == b"IEND" {
            found.trailing(&b[i..], "end of the image");
            return Ok(());
        }
    }
}

fn webp(b: &[u8], found: &mut Found) -> Result<(), PhotoError> {
    const BAD: PhotoError = PhotoError::Damaged("WebP");
    const PICTURE: &[&[u8; 4]] = &[b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"];
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WEBP" {
        return Err(BAD);
    }
    let riff_len = u32::from_le_bytes(b[4..8].try_into().expect("four bytes")) as usize;
    let end_of_riff = riff_len
        .checked_add(8)
        .filter(|e| *e <= b.len() && *e >= 12)
        .ok_or(BAD)?;
    let mut i = 12;
    while i < end_of_riff {
        let head = b
            .get(i..i + 8)
            .filter(|_| i + 8 <= end_of_riff)
            .ok_or(BAD)?;
        let kind: &[u8; 4] = head[..4].try_into().expect("four bytes");
        let len = u32::from_le_bytes(head[4..].try_into().expect("four bytes")) as usize;
        // Chunks are padded to an even length.
        let end = (i + 8)
            .checked_add(len)
            .and_then(|e| e.checked_add(len % 2))
            .filter(|e| *e <= end_of_riff)
            .ok_or(BAD)?;
        if !PICTURE.contains(&kind) {
            found.add(match kind {
                b"EXIF" => "EXIF (EXIF chunk)".to_string(),
                b"XMP " => "XMP (XMP chunk)".to_string(),
                b"ICCP" => "a colour profile (ICCP)".to_string(),
                other => format!("a {} chunk", String::from_utf8_lossy(other).trim_end()),
            });
        }
        i = end;
    }
    found.trailing(&b[end_of_riff..], "end of the image");
    Ok(())
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

    fn jpeg(segments: &[(u8, &[u8])], scan: &[u8], after: &[u8]) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        for (marker, payload) in segments {
            b.extend(segment(*marker, payload));
        }
        b.extend(segment(0xDA, b"scan header"));
        b.extend_from_slice(scan);
        b.extend([0xFF, 0xD9]);
        b.extend_from_slice(after);
        b
    }

    #[test]
    fn a_plain_jpeg_carries_nothing() {
        // Stuffed bytes and restart markers inside the scan are not markers.
        let b = jpeg(
            &[(0xE0, b"JFIF\0"), (0xDB, b"tables"), (0xEE, b"Adobe")],
            &[1, 0xFF, 0x00, 2, 0xFF, 0xD3, 3],
            &[],
        );
        assert_eq!(metadata_found(&b, "image/jpeg"), Ok(vec![]));
    }

    #[test]
    fn every_jpeg_metadata_block_is_named() {
        let b = jpeg(
            &[
                (0xE1, b"Exif\0\0GPS"),
                (0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
                (0xE2, b"MPF\0index"),
                (0xE2, b"ICC_PROFILE\0\x01\x01"),
                (0xED, b"Photoshop 3.0\0"),
                (0xE9, b"vendor"),
                (0xFE, b"taken by someone"),
            ],
            &[1, 2, 3],
            &[0xFF, 0xD8, 0xFF, 0xD9],
        );
        assert_eq!(
            metadata_found(&b, "image/jpeg").unwrap(),
            [
                "EXIF (APP1)",
                "XMP (APP1)",
                "a multi-picture index (APP2 MPF)",
                "a colour profile (APP2 ICC)",
                "IPTC (APP13)",
                "an APP9 segment",
                "a comment (COM)",
                "4 bytes after the end of the image (a second picture?)",
            ]
        );
    }

    #[test]
    fn metadata_after_the_first_scan_is_found() {
        // Progressive JPEGs have several scans; segments may sit between them.
        let mut b = jpeg(&[(0xE0, b"JFIF\0")], &[7, 7], &[]);
        b.truncate(b.len() - 2);
        b.extend(segment(0xFE, b"between scans"));
        b.extend(segment(0xDA, b"second scan"));
        b.extend([9, 9, 0xFF, 0xD9]);
        assert_eq!(
            metadata_found(&b, "image/jpeg").unwrap(),
            ["a comment (COM)"]
        );
    }

    #[test]
    fn broken_containers_are_damaged() {
        let ok = jpeg(&[], &[1], &[]);
        for bad in [
            &b"not a jpeg"[..],
            &ok[..ok.len() - 2],
            &ok[..5],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF][..],
        ] {
            assert_eq!(
                metadata_found(bad, "image/jpeg"),
                Err(PhotoError::Damaged("JPEG"))
            );
        }
        assert_eq!(
            metadata_found(b"\x89PNG\r\n\x1a\n\0\0", "image/png"),
            Err(PhotoError::Damaged("PNG"))
        );
        assert_eq!(
            metadata_found(b"RIFF\xff\xff\xff\xffWEBP", "image/webp"),
            Err(PhotoError::Damaged("WebP"))
        );
        assert_eq!(
            metadata_found(&ok, "application/pdf"),
            Err(PhotoError::UnsupportedType("application/pdf".into()))
        );
        assert_eq!(metadata_found(&ok, "image/heic"), Err(PhotoError::Heic));
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn png_text_exif_and_unknown_chunks_are_named() {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [
            (b"IHDR", &[0u8; 13][..]),
            (b"sRGB", &[0]),
            (b"tEXt", b"Author\0someone"),
            (b"eXIf", b"MM\0*"),
            (b"prVt", b"vendor"),
            (b"IDAT", b"pixels"),
            (b"IEND", b""),
        ] {
            b.extend(png_chunk(kind, data));
        }
        assert_eq!(
            metadata_found(&b, "image/png").unwrap(),
            ["text (tEXt, iTXt or zTXt)", "EXIF (eXIf)", "a prVt chunk"]
        );
        b.extend_from_slice(b"appended");
        assert!(
            metadata_found(&b, "image/png")
                .unwrap()
                .contains(&"8 bytes after the end of the image".to_string())
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            for (prefix, media) in [
                (&b"\xFF\xD8"[..], "image/jpeg"),
                (b"\x89PNG\r\n\x1a\n", "image/png"),
                (b"RIFF\x00\x01\x00\x00WEBP", "image/webp"),
            ] {
                let mut b = prefix.to_vec();
                b.extend_from_slice(&bytes);
                let _outcome = metadata_found(&b, media);
            }
        }
    }
}
