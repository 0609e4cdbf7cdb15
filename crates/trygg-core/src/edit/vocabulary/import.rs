//! A vocabulary taken from a file (the dashboard's CSV import): each row
//! names a term as it should be, and is applied in file order by the same
//! rules as a coordinator's edit in the page. A row that would break a rule
//! is refused with the reason and leaves nothing behind; the others make
//! one new version together. A term is never deleted, and one out of use
//! is not taken back into use by a file: rows can only add, change and
//! deprecate.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{TermText, add, change, check_after, deprecate, next_version, read, write_terms};
use crate::edit::EditDoc;
use crate::error::DocError;
use crate::model::Vocabulary;

/// A term as a file row says it should be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermRow {
    pub code: String,
    pub text: TermText,
    pub deprecated: bool,
    /// For a deprecated term: what data recorded with it is counted under.
    pub replaced_by: Option<String>,
}

/// One row of a file: its line (1 is the header), the code it names (as
/// far as it could be read) and the row, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRow {
    pub line: u64,
    pub code: String,
    pub row: Result<TermRow, String>,
}

/// What became of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RowOutcome {
    Added,
    Changed,
    Deprecated,
    /// Added and deprecated at once (a file from a system that keeps old
    /// terms too).
    AddedDeprecated,
    Unchanged,
    Refused {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowReport {
    pub line: u64,
    pub code: String,
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

/// What an import did, or would do (a dry run), row by row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub version_before: u64,
    /// The version the import makes, or `version_before` when no row
    /// changes anything.
    pub version: u64,
    pub rows: Vec<RowReport>,
}

impl ImportReport {
    pub fn refused(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, RowOutcome::Refused { .. }))
            .count()
    }

    /// Codes of the rows that change the vocabulary, in file order.
    pub fn changed_codes(&self) -> impl Iterator<Item = &str> {
        self.rows
            .iter()
            .filter(|r| {
                !matches!(
                    r.outcome,
                    RowOutcome::Refused { .. } | RowOutcome::Unchanged
                )
            })
            .map(|r| r.code.as_str())
    }
}

/// The vocabulary after taking every row of `rows` it can, and the report.
/// Pure: a dry run is this alone.
pub fn plan(v: &Vocabulary, rows: &[ReadRow]) -> (Vocabulary, ImportReport) {
    let mut after = next_version(v);
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    let mut report = Vec::with_capacity(rows.len());
    for r in rows {
        let outcome = match (&r.row, seen.get(r.code.as_str())) {
            (Err(why), _) => RowOutcome::Refused {
                reason: why.clone(),
            },
            (Ok(_), Some(line)) => RowOutcome::Refused {
                reason: format!("{:?} is on line {line} already", r.code),
            },
            (Ok(row), None) => {
                seen.insert(&r.code, r.line);
                let mut trial = after.clone();
                match apply(&mut trial, row).and_then(|outcome| {
                    check_after(&trial, &after.problems())?;
                    Ok(outcome)
                }) {
                    Ok(outcome) => {
                        after = trial;
                        outcome
                    }
                    Err(e) => RowOutcome::Refused { reason: reason(e) },
                }
            }
        };
        report.push(RowReport {
            line: r.line,
            code: r.code.clone(),
            outcome,
        });
    }
    let mut report = ImportReport {
        version_before: v.version,
        version: after.version,
        rows: report,
    };
    if report.changed_codes().next().is_none() {
        after.version = v.version;
        report.version = v.version;
    }
    (after, report)
}

/// Takes what it can of `rows` into the vocabulary document as one new
/// version (none when no row changes anything).
pub fn import(doc: &mut impl EditDoc, rows: &[ReadRow]) -> Result<ImportReport, DocError> {
    let before = read(doc)?;
    let (after, report) = plan(&before, rows);
    if report.version != before.version {
        write_terms(doc, &before, &after, report.changed_codes())?;
    }
    Ok(report)
}

/// Every term as a row, in group then code order: what an export writes,
/// and what an import of it takes back as unchanged.
pub fn rows_of(v: &Vocabulary) -> Vec<TermRow> {
    let order = |group: &str| v.groups.get(group).map_or(u32::MAX, |g| g.order);
    let mut terms: Vec<_> = v.terms.values().collect();
    terms.sort_by(|a, b| (order(&a.group), &a.code).cmp(&(order(&b.group), &b.code)));
    terms
        .into_iter()
        .map(|t| TermRow {
            code: t.code.clone(),
            text: TermText {
                group: t.group.clone(),
                label_sv: t.label_sv.clone(),
                label_en: t.label_en.clone(),
                definition_sv: t.definition_sv.clone(),
                definition_en: t.definition_en.clone(),
            },
            deprecated: t.deprecated,
            replaced_by: t.replaced_by.clone(),
        })
        .collect()
}

fn apply(v: &mut Vocabulary, row: &TermRow) -> Result<RowOutcome, DocError> {
    let code = row.code.as_str();
    let Some(term) = v.terms.get(code).cloned() else {
        add(v, code, &row.text)?;
        if !row.deprecated {
            return match &row.replaced_by {
                Some(r) => Err(refusal(format!(
                    "a term in use has no replacement (remove {r:?} or mark the term deprecated)"
                ))),
                None => Ok(RowOutcome::Added),
            };
        }
        deprecate(v, code, row.replaced_by.as_deref())?;
        return Ok(RowOutcome::AddedDeprecated);
    };
    let changed = change(v, code, &row.text)?;
    match (term.deprecated, row.deprecated) {
        (false, false) => match &row.replaced_by {
            Some(r) => Err(refusal(format!(
                "a term in use has no replacement (remove {r:?} or mark the term deprecated)"
            ))),
            None if changed => Ok(RowOutcome::Changed),
            None => Ok(RowOutcome::Unchanged),
        },
        (false, true) => {
            deprecate(v, code, row.replaced_by.as_deref())?;
            Ok(RowOutcome::Deprecated)
        }
        (true, false) => Err(refusal(format!(
            "{code:?} is out of use since version {}; a file does not take a term back into use",
            term.deprecated_in.unwrap_or(term.since_version)
        ))),
        (true, true) if row.replaced_by != term.replaced_by => Err(refusal(format!(
            "{code:?} is counted under {} already; a file does not change that",
            term.replaced_by.as_deref().unwrap_or("itself")
        ))),
        (true, true) if changed => Ok(RowOutcome::Changed),
        (true, true) => Ok(RowOutcome::Unchanged),
    }
}

fn refusal(message: String) -> DocError {
    DocError::Forbidden(message)
}

/// A refusal in words for the report: the broken rules, without the
/// document's name around them.
fn reason(e: DocError) -> String {
    match e {
        DocError::Invalid { errors, .. } => errors.to_string(),
        other => other.to_string(),
    }
}
