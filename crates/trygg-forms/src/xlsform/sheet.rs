//! An XLSForm workbook as plain strings: the `survey`, `choices` and
//! `settings` sheets, each a header and rows. Reading the .xlsx is
//! calamine's; everything after works on these strings (and tests can
//! build them without a workbook).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::FileError;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sheet {
    /// Column names as written, trimmed.
    pub header: Vec<String>,
    /// Rows under the header that have any text, with their line number
    /// as the spreadsheet shows it.
    pub rows: Vec<(u32, Vec<String>)>,
}

impl Sheet {
    /// Builds a sheet from lines of cells; the first is the header.
    pub fn from_rows(rows: &[&[&str]]) -> Sheet {
        let mut lines = rows
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect());
        let header = lines.next().unwrap_or_default();
        Sheet {
            header,
            rows: lines
                .enumerate()
                .map(|(i, cells)| (i as u32 + 2, cells))
                .collect(),
        }
    }

    /// The index of the column named `name` (case does not matter).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// The column of `base` (`label`, `hint`) in `language` (`sv`, `en`):
    /// `label::sv`, or `label::Svenska (sv)` as ODK writes it.
    pub fn language_column(&self, base: &str, language: &str) -> Option<usize> {
        self.header.iter().position(|h| {
            let Some((b, lang)) = h.split_once("::") else {
                return false;
            };
            let lang = lang.trim();
            let code = match (lang.rfind('('), lang.ends_with(')')) {
                (Some(open), true) => &lang[open + 1..lang.len() - 1],
                _ => lang,
            };
            b.trim().eq_ignore_ascii_case(base) && code.trim().eq_ignore_ascii_case(language)
        })
    }

    /// A cell, trimmed; empty where the row is shorter.
    pub fn cell(cells: &[String], column: Option<usize>) -> &str {
        column.and_then(|c| cells.get(c)).map_or("", |s| s.trim())
    }
}

/// The sheets of an XLSForm.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Book {
    pub survey: Sheet,
    pub choices: Sheet,
    pub settings: Sheet,
}

impl Book {
    pub fn from_xlsx(bytes: &[u8]) -> Result<Book, FileError> {
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
                FileError::Unreadable(format!("not an .xlsx workbook (Excel 2007 or later): {e}"))
            })?;
        let names = book.sheet_names();
        let mut sheet = |wanted: &str| -> Result<Option<Sheet>, FileError> {
            let Some(name) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted)) else {
                return Ok(None);
            };
            let range = book.worksheet_range(name).map_err(|e| {
                FileError::Unreadable(format!("the sheet {wanted:?} cannot be read: {e}"))
            })?;
            let first_line = range.start().map_or(0, |(row, _)| row) + 1;
            let first_column = range.start().map_or(0, |(_, col)| col) as usize;
            let mut rows = range.rows().enumerate().map(|(i, cells)| {
                let mut texts = vec![String::new(); first_column];
                texts.extend(cells.iter().map(text));
                (first_line + i as u32, texts)
            });
            let header = rows
                .next()
                .map(|(_, cells)| cells.iter().map(|c| c.trim().to_string()).collect())
                .unwrap_or_default();
            Ok(Some(Sheet {
                header,
                rows: rows
                    .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
                    .collect(),
            }))
        };
        let survey = sheet("survey")?.ok_or_else(|| {
            FileError::Columns(format!(
                "no sheet named survey (the workbook has {}): an XLSForm keeps its questions there",
                names.join(", ")
            ))
        })?;
        Ok(Book {
            survey,
            choices: sheet("choices")?.unwrap_or_default(),
            settings: sheet("settings")?.unwrap_or_default(),
        })
    }
}

/// A cell as the text a person sees: whole numbers without a decimal point.
fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Bool(true) => "true".into(),
        Data::Bool(false) => "false".into(),
        other => other.to_string(),
    }
}
