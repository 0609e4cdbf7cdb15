//! A template version as an XLSForm workbook (rust_xlsxwriter), in the
//! form ODK writes: labels as `label::Svenska (sv)` and
//! `label::English (en)`. A choice question's list is named after its
//! vocabulary group and holds the group's terms in use; yes/no and rating
//! questions share the lists `yes_no` and `rating`.

use std::collections::BTreeSet;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use trygg_core::model::{ChecklistTemplate, Item, ItemKind, TemplateVersion, Vocabulary};

use crate::FileError;

const SV: &str = "Svenska (sv)";
const EN: &str = "English (en)";

/// The version `version` of `template` as .xlsx bytes.
pub fn write(
    template: &ChecklistTemplate,
    version: &TemplateVersion,
    vocabulary: &Vocabulary,
) -> Result<Vec<u8>, FileError> {
    build(template, version, vocabulary)
        .map_err(|e| FileError::Unreadable(format!("writing the workbook: {e}")))
}

fn build(
    template: &ChecklistTemplate,
    version: &TemplateVersion,
    vocabulary: &Vocabulary,
) -> Result<Vec<u8>, XlsxError> {
    let bold = Format::new().set_bold();
    let mut book = Workbook::new();

    let survey = book.add_worksheet().set_name("survey")?;
    let mut rows = Rows::new(
        survey,
        &[
            "type",
            &format!("label::{SV}"),
            &format!("label::{EN}"),
            "name",
            &format!("hint::{SV}"),
            "required",
        ],
        &bold,
    )?;
    let mut groups = BTreeSet::new();
    for s in &version.sections {
        rows.write(&["begin_group", &s.title_sv, &s.title_en, &s.id, "", ""])?;
        for item in &s.items {
            let kind = survey_type(item);
            if let Some(g) = &item.vocabulary_group {
                groups.insert(g.clone());
            }
            let required = if item.required { "yes" } else { "" };
            rows.write(&[
                &kind,
                &item.prompt_sv,
                &item.prompt_en,
                &item.id,
                &item.help_sv,
                required,
            ])?;
        }
        rows.write(&["end_group", "", "", "", "", ""])?;
    }
    rows.widen(&[18.0, 48.0, 40.0, 24.0, 40.0, 10.0])?;

    let choices = book.add_worksheet().set_name("choices")?;
    let mut rows = Rows::new(
        choices,
        &[
            "list_name",
            "name",
            &format!("label::{SV}"),
            &format!("label::{EN}"),
        ],
        &bold,
    )?;
    let uses = |kind| version.items().any(|i| i.kind == kind);
    if uses(ItemKind::YesNo) {
        for (name, sv, en) in [
            ("yes", "Ja", "Yes"),
            ("no", "Nej", "No"),
            ("na", "Ej aktuellt", "Not applicable"),
        ] {
            rows.write(&["yes_no", name, sv, en])?;
        }
    }
    if uses(ItemKind::Rating) {
        for step in 1..=5 {
            let step = step.to_string();
            rows.write(&["rating", &step, &step, &step])?;
        }
    }
    for group in &groups {
        for term in vocabulary
            .active_terms()
            .into_iter()
            .filter(|t| &t.group == group)
        {
            rows.write(&[group, &term.code, &term.label_sv, &term.label_en])?;
        }
    }
    rows.widen(&[18.0, 24.0, 32.0, 32.0])?;

    let settings = book.add_worksheet().set_name("settings")?;
    let mut rows = Rows::new(
        settings,
        &[
            "form_title",
            &format!("form_title::{EN}"),
            "form_id",
            "version",
            "default_language",
        ],
        &bold,
    )?;
    rows.write(&[
        &template.title_sv,
        &template.title_en,
        &template.template_id,
        &version.version.to_string(),
        SV,
    ])?;
    book.save_to_buffer()
}

/// The survey type of an item.
fn survey_type(item: &Item) -> String {
    match item.kind {
        ItemKind::YesNo => "select_one yes_no".into(),
        ItemKind::Rating => "select_one rating".into(),
        ItemKind::Number => "decimal".into(),
        ItemKind::Text => "text".into(),
        ItemKind::Photo => "image".into(),
        ItemKind::Location => "geopoint".into(),
        ItemKind::Choice => format!(
            "select_one {}",
            item.vocabulary_group.as_deref().unwrap_or_default()
        ),
    }
}

/// Writes rows one after another under a bold header.
struct Rows<'a> {
    sheet: &'a mut Worksheet,
    next: u32,
}

impl<'a> Rows<'a> {
    fn new(sheet: &'a mut Worksheet, header: &[&str], bold: &Format) -> Result<Self, XlsxError> {
        for (col, text) in header.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *text, bold)?;
        }
        Ok(Rows { sheet, next: 1 })
    }

    fn write(&mut self, cells: &[&str]) -> Result<(), XlsxError> {
        for (col, text) in cells.iter().enumerate() {
            if !text.is_empty() {
                self.sheet.write_string(self.next, col as u16, *text)?;
            }
        }
        self.next += 1;
        Ok(())
    }

    fn widen(&mut self, widths: &[f64]) -> Result<(), XlsxError> {
        for (col, w) in widths.iter().enumerate() {
            self.sheet.set_column_width(col as u16, *w)?;
        }
        Ok(())
    }
}
