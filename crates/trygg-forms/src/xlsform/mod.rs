//! Checklist templates as XLSForm: a workbook with a `survey` sheet (one
//! row per question or group), a `choices` sheet (the answer lists) and a
//! `settings` sheet (title, id, version). See <https://xlsform.org>.
//!
//! Reading ([`read`]) maps a form onto a template version's sections and
//! items and reports every row: what it became, or why it could not be
//! taken. Writing ([`write`]) makes the form back from a template version;
//! a written form reads back as the same sections (tested).
//!
//! | XLSForm                        | Trygg                                   |
//! |--------------------------------|-----------------------------------------|
//! | `begin_group` … `end_group`    | a section (groups do not nest)          |
//! | `select_one L`, L a vocabulary group | a choice item bound to the group  |
//! | `select_one L`, L's names yes/no(/na) | a yes/no item                    |
//! | `select_one L`, L's names 1…5  | a rating item                           |
//! | `select_multiple L`            | a yes/no item per choice of L, `NAME_CHOICE` |
//! | `integer`, `decimal`           | a number item                           |
//! | `text`, `image`, `geopoint`    | text, photo, location items             |
//! | `note`                         | help text of the question after it      |
//! | `required`                     | yes/no (an expression is not taken)     |
//! | `label::sv`, `label::en`, `hint` | wording in Swedish and English        |
//!
//! A Trygg item takes one answer, so `select_multiple` asks each choice
//! yes/no; written back, they are yes/no questions.

mod map;
mod sheet;
mod write;

pub use map::{Form, map};
pub use write::write;

use serde::Serialize;
use trygg_core::model::Vocabulary;

use crate::FileError;

/// What became of one row of the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowReport {
    /// `survey`, `choices` or `settings`.
    pub sheet: &'static str,
    /// The row's number as the spreadsheet shows it (1 is the header).
    pub line: u32,
    /// The row's `name` (or list and name, on the choices sheet).
    pub name: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Taken as `what` (a section, an item of a kind, help text).
    Taken { what: String },
    /// Taken as `what`, with something the reader should know.
    TakenWithNote { what: String, note: String },
    /// Not taken.
    NotTaken { reason: String },
}

/// Reads an .xlsx XLSForm and maps it with `vocabulary` (which names the
/// groups choice lists bind to).
pub fn read(bytes: &[u8], vocabulary: &Vocabulary) -> Result<Form, FileError> {
    let book = sheet::Book::from_xlsx(bytes)?;
    map(&book, vocabulary)
}

pub use sheet::{Book, Sheet};
