//! Errors a caller can act on when reading, checking or editing a document.

use std::fmt;

use crate::document::DocKind;

/// Why a document could not be read, written or edited.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an Automerge document at all.
    #[error("not an Automerge document: {0}")]
    Decode(String),
    /// An Automerge document, but not one of ours (no Trygg header).
    #[error("not a Trygg document: the root has no `doc_kind` and `schema_version` header")]
    Foreign,
    /// A Trygg header naming a kind this build does not know.
    #[error("unknown document kind {0:?}")]
    UnknownKind(String),
    /// The caller asked for one kind and the document is another.
    #[error("expected a {expected} document, found a {found} document")]
    WrongKind { expected: DocKind, found: DocKind },
    /// Written by a newer version of Trygg.
    #[error(
        "this {kind} document has schema version {found}, and this build reads up to {supported}: update Trygg"
    )]
    UnsupportedVersion {
        kind: DocKind,
        found: u64,
        supported: u64,
    },
    /// The header is fine but the body does not have the expected shape.
    #[error("malformed {kind} document: {detail}")]
    Malformed { kind: DocKind, detail: String },
    /// The body has the right shape but breaks a domain rule.
    #[error("invalid {kind} document: {errors}")]
    Invalid {
        kind: DocKind,
        errors: ValidationErrors,
    },
    /// An edit addressed something the document does not hold.
    #[error("{what} {id:?} is not in this document")]
    NotFound { what: &'static str, id: String },
    /// An edit the domain rules forbid (e.g. changing a published template version).
    #[error("{0}")]
    Forbidden(String),
    /// Automerge refused an operation.
    #[error("automerge: {0}")]
    Automerge(Box<automerge::AutomergeError>),
    /// Writing a value into the document failed.
    #[error("could not write to the document: {0}")]
    Reconcile(Box<autosurgeon::ReconcileError>),
}

// Boxed so that `Result<_, DocError>` stays small on the hot edit path.
impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Automerge(Box::new(e))
    }
}

impl From<autosurgeon::ReconcileError> for DocError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        DocError::Reconcile(Box::new(e))
    }
}

/// One broken rule, with where in the document it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A dotted path such as `observations.01HX….severity`.
    pub path: String,
    pub message: String,
}

/// Every broken rule in a value, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<Problem>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Runs a nested check and prefixes its problems with `prefix.`.
    pub fn nest(&mut self, prefix: &str, inner: ValidationErrors) {
        for p in inner.0 {
            let path = if p.path.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{}", p.path)
            };
            self.0.push(Problem { path, ..p });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", p.path, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
