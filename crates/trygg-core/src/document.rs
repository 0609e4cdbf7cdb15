//! Reading and writing whole Trygg documents.
//!
//! Every document carries a two-field header at its root, beside the body:
//! `doc_kind` (what it is) and `schema_version` (which shape it has). Reading a
//! document checks the header first, then the body's shape (autosurgeon's
//! `Hydrate`), then the domain rules ([`DocumentSchema::validate`]). Each step
//! fails with its own [`DocError`], never a panic, so a malformed or foreign
//! document arriving from the network is reported and left alone.
//!
//! We use autosurgeon's derives for the body: the mapping is mechanical, keyed
//! maps merge well, and hand-written reconcile code would be the same code with
//! more places for mistakes. Where merging needs care (free text, set-like maps)
//! the model picks the type: [`autosurgeon::Text`] for notes, maps keyed by id
//! for collections.

use automerge::{AutoCommit, ReadDoc, ScalarValue, Value};
use autosurgeon::{Hydrate, Reconcile};

use crate::error::{DocError, ValidationErrors};

crate::code_enum! {
    /// What a document holds.
    pub enum DocKind {
        /// Organisations, areas and named places.
        Directory = "directory",
        /// The common terminology (gemensam terminologi).
        Vocabulary = "vocabulary",
        /// A checklist template with its versions.
        Template = "template",
        /// One safety walk (trygghetsvandring) with its answers and shared observations.
        Walk = "walk",
        /// Observations outside a walk's shared document: EST reports, restricted notes.
        Report = "report",
        /// One follow-up action (åtgärd).
        Action = "action",
    }
}

/// The header every Trygg document has at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: DocKind,
    pub schema_version: u64,
}

pub const KIND_KEY: &str = "doc_kind";
pub const VERSION_KEY: &str = "schema_version";

/// A Rust type that is the body of one kind of document.
pub trait DocumentSchema: Reconcile + Hydrate + Sized {
    const KIND: DocKind;
    /// The newest schema version this build writes and reads.
    const SCHEMA_VERSION: u64;

    /// Domain rules the shape alone does not express.
    fn validate(&self) -> Result<(), ValidationErrors>;
}

/// Reads the header, telling a foreign document from a malformed one.
pub fn header(doc: &impl ReadDoc) -> Result<Header, DocError> {
    let kind = match doc.get(automerge::ROOT, KIND_KEY)? {
        None => return Err(DocError::Foreign),
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => s
                .parse::<DocKind>()
                .map_err(|_| DocError::UnknownKind(s.to_string()))?,
            other => return Err(DocError::UnknownKind(format!("{other}"))),
        },
        Some((Value::Object(_), _)) => return Err(DocError::UnknownKind("an object".into())),
    };
    let schema_version = match doc.get(automerge::ROOT, VERSION_KEY)? {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(v) => *v,
            ScalarValue::Int(v) if *v >= 0 => *v as u64,
            other => {
                return Err(DocError::Malformed {
                    kind,
                    detail: format!("schema_version is {other}, expected a whole number"),
                });
            }
        },
        _ => {
            return Err(DocError::Malformed {
                kind,
                detail: "schema_version is missing".into(),
            });
        }
    };
    Ok(Header {
        kind,
        schema_version,
    })
}

/// Reads and checks a document of kind `T`.
pub fn read<T: DocumentSchema, D: ReadDoc + autosurgeon::ReadDoc>(doc: &D) -> Result<T, DocError> {
    let h = header(doc)?;
    if h.kind != T::KIND {
        return Err(DocError::WrongKind {
            expected: T::KIND,
            found: h.kind,
        });
    }
    read_body(doc, h)
}

fn read_body<T: DocumentSchema, D: ReadDoc + autosurgeon::ReadDoc>(
    doc: &D,
    h: Header,
) -> Result<T, DocError> {
    if h.schema_version > T::SCHEMA_VERSION || h.schema_version == 0 {
        return Err(DocError::UnsupportedVersion {
            kind: T::KIND,
            found: h.schema_version,
            supported: T::SCHEMA_VERSION,
        });
    }
    let value: T = autosurgeon::hydrate(doc).map_err(|e| DocError::Malformed {
        kind: T::KIND,
        detail: e.to_string(),
    })?;
    value.validate().map_err(|errors| DocError::Invalid {
        kind: T::KIND,
        errors,
    })?;
    Ok(value)
}

/// Writes `value` into `doc` as the whole body, after checking it.
///
/// autosurgeon diffs against what is there, so writing a value that differs in
/// one field produces a change to that field only. Pass a value obtained from
/// [`read`] on this document: a [`autosurgeon::Text`] built from scratch has no
/// history and replaces the whole text, losing concurrent edits to it.
///
/// `doc` is an `AutoCommit` or an open transaction (the server writes a new
/// document's first change in one).
pub fn write<T, D>(doc: &mut D, value: &T) -> Result<(), DocError>
where
    T: DocumentSchema,
    D: automerge::transaction::Transactable + autosurgeon::ReadDoc,
{
    value.validate().map_err(|errors| DocError::Invalid {
        kind: T::KIND,
        errors,
    })?;
    match header(doc) {
        Ok(h) if h.kind == T::KIND => {}
        Ok(h) => {
            return Err(DocError::WrongKind {
                expected: T::KIND,
                found: h.kind,
            });
        }
        Err(DocError::Foreign) if automerge::ReadDoc::length(doc, automerge::ROOT) == 0 => {}
        Err(e) => return Err(e),
    }
    put_header(doc, T::KIND, T::SCHEMA_VERSION)?;
    autosurgeon::reconcile(doc, value)?;
    Ok(())
}

fn put_header(
    doc: &mut impl automerge::transaction::Transactable,
    kind: DocKind,
    version: u64,
) -> Result<(), DocError> {
    let current = header(doc).ok();
    if current.map(|h| h.kind) != Some(kind) {
        doc.put(automerge::ROOT, KIND_KEY, kind.as_str())?;
    }
    if current.map(|h| h.schema_version) != Some(version) {
        doc.put(automerge::ROOT, VERSION_KEY, version)?;
    }
    Ok(())
}

/// A new document holding `value`, with the given actor.
pub fn create<T: DocumentSchema>(value: &T) -> Result<AutoCommit, DocError> {
    let mut doc = AutoCommit::new();
    write(&mut doc, value)?;
    Ok(doc)
}

/// Loads Automerge bytes (a saved document or concatenated chunks).
pub fn load_bytes(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    AutoCommit::load(bytes).map_err(|e| DocError::Decode(e.to_string()))
}

/// Any Trygg document, read and checked according to its header.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyDocument {
    Directory(crate::model::Directory),
    Vocabulary(crate::model::Vocabulary),
    Template(crate::model::ChecklistTemplate),
    Walk(crate::model::Walk),
    Report(crate::model::Report),
    Action(crate::model::Action),
}

impl AnyDocument {
    pub fn kind(&self) -> DocKind {
        match self {
            AnyDocument::Directory(_) => DocKind::Directory,
            AnyDocument::Vocabulary(_) => DocKind::Vocabulary,
            AnyDocument::Template(_) => DocKind::Template,
            AnyDocument::Walk(_) => DocKind::Walk,
            AnyDocument::Report(_) => DocKind::Report,
            AnyDocument::Action(_) => DocKind::Action,
        }
    }
}

/// The newest schema version this build reads for documents of `kind`.
pub fn schema_version(kind: DocKind) -> u64 {
    use crate::model::*;
    match kind {
        DocKind::Directory => Directory::SCHEMA_VERSION,
        DocKind::Vocabulary => Vocabulary::SCHEMA_VERSION,
        DocKind::Template => ChecklistTemplate::SCHEMA_VERSION,
        DocKind::Walk => Walk::SCHEMA_VERSION,
        DocKind::Report => Report::SCHEMA_VERSION,
        DocKind::Action => Action::SCHEMA_VERSION,
    }
}

/// Reads whatever Trygg document `doc` is.
pub fn read_any<D: ReadDoc + autosurgeon::ReadDoc>(doc: &D) -> Result<AnyDocument, DocError> {
    let h = header(doc)?;
    Ok(match h.kind {
        DocKind::Directory => AnyDocument::Directory(read_body(doc, h)?),
        DocKind::Vocabulary => AnyDocument::Vocabulary(read_body(doc, h)?),
        DocKind::Template => AnyDocument::Template(read_body(doc, h)?),
        DocKind::Walk => AnyDocument::Walk(read_body(doc, h)?),
        DocKind::Report => AnyDocument::Report(read_body(doc, h)?),
        DocKind::Action => AnyDocument::Action(read_body(doc, h)?),
    })
}
