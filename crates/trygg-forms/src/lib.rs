//! Files coordinators bring from the tools they already use, and take back
//! (PRODUCT §2): the common vocabulary as CSV ([`vocabulary_csv`]) and
//! checklist templates as XLSForm ([`xlsform`]), the spreadsheet format of
//! ODK, KoboToolbox and Survey123. Bytes in, bytes out: the dashboard
//! decides who may import and stores what an import makes.
//!
//! A file that is not of its kind at all is refused whole ([`FileError`]);
//! otherwise every row that could not be taken is listed with the reason,
//! and the rest is taken.

pub mod vocabulary_csv;
pub mod xlsform;

/// Why a file was refused whole.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    /// Not a file of the expected format (not CSV, not an .xlsx workbook).
    #[error("{0}")]
    Unreadable(String),
    /// The format, but without the sheets or columns it needs.
    #[error("{0}")]
    Columns(String),
}
