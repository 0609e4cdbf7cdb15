//! The vocabulary as a CSV file, for the spreadsheets coordinators keep
//! their terms in. Written with a BOM and `;` between fields (what Excel in
//! a Swedish locale opens as columns); read with `;` or `,`, whichever the
//! header line uses. One row per term:
//!
//! `code;group;label_sv;label_en;definition_sv;definition_en;status;replaced_by`
//!
//! `status` is `in_use` (or empty) or `deprecated`. Reading turns each row
//! into a [`ReadRow`] — the row, or why it cannot be read — for
//! [`trygg_core::edit::vocabulary::import`], which decides what it does.

use trygg_core::edit::vocabulary::TermText;
use trygg_core::edit::vocabulary::import::{ReadRow, TermRow};

use crate::FileError;

/// The columns, in the order a written file has them.
pub const COLUMNS: [&str; 8] = [
    "code",
    "group",
    "label_sv",
    "label_en",
    "definition_sv",
    "definition_en",
    "status",
    "replaced_by",
];

const IN_USE: &str = "in_use";
const DEPRECATED: &str = "deprecated";

/// The rows of a CSV file, in file order. Refuses the whole file only when
/// it is not a CSV file with these columns; a bad row is a row with its
/// reason.
pub fn read(bytes: &[u8]) -> Result<Vec<ReadRow>, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.contains(&b';') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| FileError::Unreadable(format!("the header line: {e}")))?
        .clone();
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !names.iter().any(|n| n == c))
        .collect();
    if !missing.is_empty() {
        return Err(FileError::Columns(format!(
            "the header line lacks {} (a vocabulary file has the columns {})",
            missing.join(", "),
            COLUMNS.join(", ")
        )));
    }
    let at = |name: &str| names.iter().position(|n| n == name).unwrap_or_default();
    let index: Vec<usize> = COLUMNS.iter().map(|c| at(c)).collect();
    let mut rows = Vec::new();
    for record in reader.byte_records() {
        let record = record.map_err(|e| FileError::Unreadable(e.to_string()))?;
        // A record's position is where the reader began, before the empty
        // lines it skipped: the line is counted from its first character.
        let line = record.position().map_or(0, |p| {
            let mut start = usize::try_from(p.byte())
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            while bytes.get(start).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
                start += 1;
            }
            bytes[..start].iter().filter(|b| **b == b'\n').count() as u64 + 1
        });
        let cell = |i: usize| -> Result<String, String> {
            let raw = record.get(index[i]).unwrap_or_default();
            std::str::from_utf8(raw)
                .map(|s| s.trim().to_string())
                .map_err(|_| {
                    format!(
                        "the column {} is not UTF-8 text (save the file as UTF-8)",
                        COLUMNS[i]
                    )
                })
        };
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let code = cell(0).unwrap_or_default();
        let row = if record.len() < names.len() {
            Err(format!(
                "the row ends after {} of the {} columns",
                record.len(),
                names.len()
            ))
        } else {
            term_row(&cell)
        };
        rows.push(ReadRow { line, code, row });
    }
    Ok(rows)
}

fn term_row(cell: &dyn Fn(usize) -> Result<String, String>) -> Result<TermRow, String> {
    let deprecated = match cell(6)?.to_lowercase().as_str() {
        "" | IN_USE => false,
        DEPRECATED => true,
        other => {
            return Err(format!("status {other:?}: write {IN_USE} or {DEPRECATED}"));
        }
    };
    let replaced_by = Some(cell(7)?).filter(|r| !r.is_empty());
    Ok(TermRow {
        code: cell(0)?,
        text: TermText {
            group: cell(1)?,
            label_sv: cell(2)?,
            label_en: cell(3)?,
            definition_sv: cell(4)?,
            definition_en: cell(5)?,
        },
        deprecated,
        replaced_by,
    })
}

/// `rows` as a CSV file: a BOM, a header line, `;` between fields.
pub fn write(rows: &[TermRow]) -> Result<Vec<u8>, FileError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let written = |e: csv::Error| FileError::Unreadable(format!("writing CSV: {e}"));
        w.write_record(COLUMNS).map_err(written)?;
        for r in rows {
            let t = &r.text;
            w.write_record([
                r.code.as_str(),
                &t.group,
                &t.label_sv,
                &t.label_en,
                &t.definition_sv,
                &t.definition_en,
                if r.deprecated { DEPRECATED } else { IN_USE },
                r.replaced_by.as_deref().unwrap_or_default(),
            ])
            .map_err(written)?;
        }
        w.flush()
            .map_err(|e| FileError::Unreadable(format!("writing CSV: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trygg_core::edit::vocabulary::import::rows_of;

    #[test]
    fn a_written_file_reads_back_as_the_same_rows() {
        let rows = rows_of(&trygg_core::seed::vocabulary());
        let bytes = write(&rows).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFcode;group;"));
        let back = read(&bytes).unwrap();
        assert_eq!(back.len(), rows.len());
        for (r, b) in rows.iter().zip(&back) {
            assert_eq!(b.row.as_ref(), Ok(r));
            assert_eq!(b.code, r.code);
        }
        assert_eq!(back[0].line, 2, "line 1 is the header");
    }

    #[test]
    fn commas_bad_rows_and_missing_columns_are_named() {
        let file = "code,group,label_sv,label_en,definition_sv,definition_en,status,replaced_by\n\
                    klotter,underhall,Klotter,Graffiti,,,in_use,\n\
                    \n\
                    kort,underhall,Kort\n\
                    gammal,underhall,Gammal,Old,,,retired,\n";
        let rows = read(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 3, "the empty line is skipped: {rows:?}");
        assert!(rows[0].row.is_ok());
        assert_eq!(
            rows[1].row,
            Err("the row ends after 3 of the 8 columns".into())
        );
        assert_eq!((rows[1].line, rows[1].code.as_str()), (4, "kort"));
        assert!(rows[2].row.as_ref().unwrap_err().contains("retired"));
        let Err(FileError::Columns(why)) = read(b"code;label_sv\nx;y\n") else {
            panic!("a file without the columns is refused");
        };
        assert!(why.contains("group, label_en"), "{why}");
        let latin1 =
            b"code;group;label_sv;label_en;definition_sv;definition_en;status;replaced_by\n\
                       bil;underhall;\xF6vergiven bil;Car;;;;\n";
        let rows = read(latin1).unwrap();
        assert!(rows[0].row.as_ref().unwrap_err().contains("UTF-8"));
    }
}
