//! Stored bytes are loaded only when they are whole Automerge chunks.
//!
//! `Automerge::load_incremental` treats a damaged chunk that follows a good
//! one (in the same bytes, or in a document that already holds changes) as
//! a partial load: it keeps what it could read and drops the rest with only
//! a log line. A store that promises never to drop part of a document
//! silently checks every chunk's frame and checksum first, and reports the
//! damage instead.
//!
//! A chunk (Automerge's binary format) is four magic bytes, a four-byte
//! checksum, a type byte, the length of its contents (unsigned LEB128) and
//! the contents; the checksum is the first four bytes of the SHA-256 of
//! type, length and contents. Stored bytes may hold several chunks back to
//! back.

use automerge::{AutoCommit, Automerge};
use sha2::{Digest, Sha256};

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Document, change, compressed change, bundle.
const KNOWN_TYPES: std::ops::RangeInclusive<u8> = 0..=3;

/// Why stored bytes are not whole Automerge chunks. The offset is where the
/// damaged chunk starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("no Automerge chunk starts at byte {0}")]
    NotAChunk(usize),
    #[error("the chunk at byte {0} has an unknown type {1}")]
    UnknownType(usize, u8),
    #[error("the chunk at byte {0} is cut short")]
    CutShort(usize),
    #[error("the chunk at byte {0} fails its checksum")]
    Checksum(usize),
    #[error("Automerge cannot read it: {0}")]
    Unreadable(String),
}

/// Splits `data` into its chunks by their frames (magic bytes, a known
/// type, a length that fits), without checking checksums: Automerge checks
/// those when it parses a chunk. Empty bytes hold no chunk.
pub fn split(data: &[u8]) -> Result<Vec<&[u8]>, ChunkError> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = start + frame(&data[start..]).map_err(|e| e.at(start))?.end;
        out.push(&data[start..end]);
        start = end;
    }
    Ok(out)
}

/// Checks that `data` is a sequence of whole chunks, each with its checksum
/// intact. Empty bytes hold no chunk and pass.
pub fn check(data: &[u8]) -> Result<(), ChunkError> {
    let mut start = 0;
    while start < data.len() {
        let frame = frame(&data[start..]).map_err(|e| e.at(start))?;
        let chunk = &data[start..start + frame.end];
        // The checksum covers type, length and contents: the bytes after it.
        let hash = Sha256::digest(&chunk[8..]);
        if hash[..4] != chunk[4..8] {
            return Err(ChunkError::Checksum(start));
        }
        start += frame.end;
    }
    Ok(())
}

struct Frame {
    /// Where the chunk ends, from its start.
    end: usize,
}

/// Reads the frame of the chunk at the start of `rest`; errors carry offset 0.
fn frame(rest: &[u8]) -> Result<Frame, ChunkError> {
    if rest.len() < 9 || rest[..4] != MAGIC {
        return Err(ChunkError::NotAChunk(0));
    }
    let kind = rest[8];
    if !KNOWN_TYPES.contains(&kind) {
        return Err(ChunkError::UnknownType(0, kind));
    }
    let (len, len_bytes) = uleb128(&rest[9..]).ok_or(ChunkError::CutShort(0))?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| (9 + len_bytes).checked_add(len))
        .filter(|end| *end <= rest.len())
        .ok_or(ChunkError::CutShort(0))?;
    Ok(Frame { end })
}

impl ChunkError {
    /// The same error for a chunk that starts at `start`.
    fn at(self, start: usize) -> Self {
        match self {
            Self::NotAChunk(o) => Self::NotAChunk(o + start),
            Self::UnknownType(o, kind) => Self::UnknownType(o + start, kind),
            Self::CutShort(o) => Self::CutShort(o + start),
            Self::Checksum(o) => Self::Checksum(o + start),
            Self::Unreadable(reason) => Self::Unreadable(reason),
        }
    }
}

/// An unsigned LEB128 number and how many bytes it took; `None` when the
/// bytes end first or it does not fit in 64 bits.
fn uleb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        let part = u64::from(byte & 0x7f);
        let shift = 7 * i as u32;
        if shift == 63 && part > 1 {
            return None;
        }
        value |= part << shift;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Checks `data`, then loads it into `doc`.
pub fn load_into(doc: &mut Automerge, data: &[u8]) -> Result<(), ChunkError> {
    check(data)?;
    doc.load_incremental(data)
        .map(drop)
        .map_err(|e| ChunkError::Unreadable(e.to_string()))
}

/// [`load_into`] for an [`AutoCommit`].
pub fn load_into_autocommit(doc: &mut AutoCommit, data: &[u8]) -> Result<(), ChunkError> {
    check(data)?;
    doc.load_incremental(data)
        .map(drop)
        .map_err(|e| ChunkError::Unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn two_changes() -> (Vec<u8>, Vec<u8>) {
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let first = doc.save_incremental();
        doc.put(automerge::ROOT, "b", "two").unwrap();
        let second = doc.save_incremental();
        (first, second)
    }

    #[test]
    fn whole_chunks_pass_singly_and_back_to_back() {
        let (first, second) = two_changes();
        check(&first).unwrap();
        check(&second).unwrap();
        let both = [first.as_slice(), second.as_slice()].concat();
        check(&both).unwrap();
        assert_eq!(split(&both).unwrap(), vec![&first[..], &second[..]]);
        check(&[]).unwrap();
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "c", 3).unwrap();
        check(&doc.save()).unwrap();
    }

    #[test]
    fn damage_is_named_with_where_it_starts() {
        let (first, second) = two_changes();
        assert_eq!(check(b"not automerge"), Err(ChunkError::NotAChunk(0)));
        let garbage_after = [first.as_slice(), b"xyz"].concat();
        assert_eq!(
            check(&garbage_after),
            Err(ChunkError::NotAChunk(first.len()))
        );
        let cut = &second[..second.len() - 1];
        assert_eq!(check(cut), Err(ChunkError::CutShort(0)));
        let mut flipped = second.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(check(&flipped), Err(ChunkError::Checksum(0)));
        let mut typed = second.clone();
        typed[8] = 9;
        assert_eq!(check(&typed), Err(ChunkError::UnknownType(0, 9)));
    }

    /// The reason for this module: Automerge itself drops a damaged chunk
    /// that follows a good one.
    #[test]
    fn automerge_alone_would_drop_a_damaged_later_chunk() {
        let (first, second) = two_changes();
        let mut flipped = second.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;

        let mut plain = Automerge::new();
        plain.load_incremental(&first).unwrap();
        plain
            .load_incremental(&flipped)
            .expect("automerge reads this as a partial load");

        let mut checked = Automerge::new();
        load_into(&mut checked, &first).unwrap();
        assert_eq!(
            load_into(&mut checked, &flipped),
            Err(ChunkError::Checksum(0))
        );
        load_into(&mut checked, &second).unwrap();
        assert_eq!(checked.get_heads().len(), 1);
    }

    #[test]
    fn long_lengths_do_not_overflow() {
        assert_eq!(uleb128(&[0x80; 10]), None);
        assert_eq!(uleb128(&[0xff, 0x01]), Some((255, 2)));
        let mut huge = MAGIC.to_vec();
        huge.extend([0, 0, 0, 0, 1]);
        huge.extend([0xff; 9]);
        huge.push(0x01);
        assert_eq!(check(&huge), Err(ChunkError::CutShort(0)));
    }
}
