//! A coordinator's edits of the common vocabulary (PRODUCT §2). Each edit
//! is a new vocabulary version, which every device receives by sync. A term
//! is never deleted: one that goes out of use is deprecated, with the term
//! that replaces it, and data keeps the code it was recorded with.
//!
//! Every edit is checked on the vocabulary as it would read afterwards: it
//! must stay valid and must not add a [`VocabularyProblem`] (a replacement
//! cycle, a chain ending at a deprecated term, two terms in use with one
//! label). Only a merge of two coordinators' concurrent edits can make one,
//! and the vocabulary still reads; the dashboard shows it to fix.

use autosurgeon::{hydrate_prop, reconcile_prop};
use serde::Deserialize;

use super::{EditDoc, child, expect_kind, invalid};
use crate::document::{DocKind, DocumentSchema};
use crate::error::{DocError, ValidationErrors};
use crate::model::{Term, TermGroup, Vocabulary, VocabularyProblem};

pub mod import;

/// The longest code, label or definition taken, in characters.
pub const MAX_CODE_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 80;
pub const MAX_DEFINITION_CHARS: usize = 1_000;

/// What a person writes about a term.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermText {
    pub group: String,
    pub label_sv: String,
    pub label_en: String,
    #[serde(default)]
    pub definition_sv: String,
    #[serde(default)]
    pub definition_en: String,
}

/// Adds the term `code`; returns the new version.
pub fn add_term(doc: &mut impl EditDoc, code: &str, text: &TermText) -> Result<u64, DocError> {
    let before = read(doc)?;
    let mut after = next_version(&before);
    add(&mut after, code, text)?;
    write_term(doc, &before, &after, code)
}

/// Renames, defines or regroups the term `code`; returns the new version,
/// or the current one when nothing differs.
pub fn change_term(doc: &mut impl EditDoc, code: &str, text: &TermText) -> Result<u64, DocError> {
    let before = read(doc)?;
    let mut after = next_version(&before);
    if !change(&mut after, code, text)? {
        return Ok(before.version);
    }
    write_term(doc, &before, &after, code)
}

/// Takes the term `code` out of use, naming the term data recorded with it
/// is counted under from now on (`None`: it is counted under itself);
/// returns the new version.
pub fn deprecate_term(
    doc: &mut impl EditDoc,
    code: &str,
    replaced_by: Option<&str>,
) -> Result<u64, DocError> {
    let before = read(doc)?;
    let mut after = next_version(&before);
    deprecate(&mut after, code, replaced_by)?;
    write_term(doc, &before, &after, code)
}

/// `v` with its version raised by one: what the rules below edit, so a
/// term they add or deprecate is stamped with the version it comes in.
fn next_version(v: &Vocabulary) -> Vocabulary {
    Vocabulary {
        version: v.version + 1,
        ..v.clone()
    }
}

/// Adds the term `code` to `v` (whose version is the one being made),
/// checking the input only; [`check_after`] checks the result.
fn add(v: &mut Vocabulary, code: &str, text: &TermText) -> Result<(), DocError> {
    let mut e = ValidationErrors::new();
    check_code(&mut e, "code", code);
    if v.terms.contains_key(code) {
        e.push(
            "code",
            format!("{code:?} is taken (a term is never deleted)"),
        );
    }
    check_text(&mut e, text);
    done(e)?;
    let term = Term {
        code: code.to_string(),
        group: text.group.trim().to_string(),
        label_sv: text.label_sv.trim().to_string(),
        label_en: text.label_en.trim().to_string(),
        definition_sv: text.definition_sv.trim().to_string(),
        definition_en: text.definition_en.trim().to_string(),
        since_version: v.version,
        deprecated: false,
        deprecated_in: None,
        replaced_by: None,
    };
    v.terms.insert(code.to_string(), term);
    Ok(())
}

/// Changes the words and group of the term `code` in `v`; whether anything
/// differs.
fn change(v: &mut Vocabulary, code: &str, text: &TermText) -> Result<bool, DocError> {
    let mut term = existing(v, code)?.clone();
    let mut e = ValidationErrors::new();
    check_text(&mut e, text);
    done(e)?;
    term.group = text.group.trim().to_string();
    term.label_sv = text.label_sv.trim().to_string();
    term.label_en = text.label_en.trim().to_string();
    term.definition_sv = text.definition_sv.trim().to_string();
    term.definition_en = text.definition_en.trim().to_string();
    if v.terms.get(code) == Some(&term) {
        return Ok(false);
    }
    v.terms.insert(code.to_string(), term);
    Ok(true)
}

/// Deprecates the term `code` in `v` (whose version is the one being made).
fn deprecate(v: &mut Vocabulary, code: &str, replaced_by: Option<&str>) -> Result<(), DocError> {
    let mut term = existing(v, code)?.clone();
    let mut e = ValidationErrors::new();
    if term.deprecated {
        e.push("code", format!("{code:?} is deprecated already"));
    }
    if let Some(r) = replaced_by {
        match v.terms.get(r) {
            None => e.push("replaced_by", format!("no term {r:?}")),
            Some(_) if r == code => e.push("replaced_by", "a term cannot replace itself"),
            Some(t) if t.deprecated => e.push(
                "replaced_by",
                format!("{r:?} is deprecated: pick a term in use"),
            ),
            Some(_) => {}
        }
    }
    done(e)?;
    term.deprecated = true;
    term.deprecated_in = Some(v.version);
    term.replaced_by = replaced_by.map(str::to_string);
    v.terms.insert(code.to_string(), term);
    Ok(())
}

/// Adds the group `code`, last in display order; returns the new version.
pub fn add_group(
    doc: &mut impl EditDoc,
    code: &str,
    label_sv: &str,
    label_en: &str,
) -> Result<u64, DocError> {
    let mut v = read(doc)?;
    let mut e = ValidationErrors::new();
    check_code(&mut e, "code", code);
    if v.groups.contains_key(code) {
        e.push("code", format!("{code:?} is taken"));
    }
    check_label(&mut e, "label_sv", label_sv);
    check_label(&mut e, "label_en", label_en);
    done(e)?;
    let before = v.problems();
    let group = TermGroup {
        code: code.to_string(),
        label_sv: label_sv.trim().to_string(),
        label_en: label_en.trim().to_string(),
        order: v.groups.values().map(|g| g.order + 1).max().unwrap_or(0),
    };
    v.version += 1;
    v.groups.insert(code.to_string(), group.clone());
    check_after(&v, &before)?;
    let groups = child(
        doc,
        DocKind::Vocabulary,
        &automerge::ROOT,
        "groups",
        automerge::ObjType::Map,
    )?;
    reconcile_prop(doc, &groups, code, &group)?;
    doc.put(automerge::ROOT, "version", v.version)?;
    Ok(v.version)
}

fn read(doc: &impl EditDoc) -> Result<Vocabulary, DocError> {
    expect_kind(doc, &[DocKind::Vocabulary])?;
    let malformed = |e: autosurgeon::HydrateError| DocError::Malformed {
        kind: DocKind::Vocabulary,
        detail: e.to_string(),
    };
    Ok(Vocabulary {
        version: hydrate_prop(doc, automerge::ROOT, "version").map_err(malformed)?,
        groups: hydrate_prop(doc, automerge::ROOT, "groups").map_err(malformed)?,
        terms: hydrate_prop(doc, automerge::ROOT, "terms").map_err(malformed)?,
    })
}

fn existing<'a>(v: &'a Vocabulary, code: &str) -> Result<&'a Term, DocError> {
    v.terms.get(code).ok_or_else(|| DocError::NotFound {
        what: "term",
        id: code.to_string(),
    })
}

/// Writes the terms `codes` as `after` holds them, and its version, once
/// `after` passes [`check_after`] against `before`.
fn write_terms<'a>(
    doc: &mut impl EditDoc,
    before: &Vocabulary,
    after: &Vocabulary,
    codes: impl IntoIterator<Item = &'a str>,
) -> Result<u64, DocError> {
    check_after(after, &before.problems())?;
    let terms = child(
        doc,
        DocKind::Vocabulary,
        &automerge::ROOT,
        "terms",
        automerge::ObjType::Map,
    )?;
    for code in codes {
        let term = existing(after, code)?;
        reconcile_prop(doc, &terms, code, term)?;
    }
    doc.put(automerge::ROOT, "version", after.version)?;
    Ok(after.version)
}

fn write_term(
    doc: &mut impl EditDoc,
    before: &Vocabulary,
    after: &Vocabulary,
    code: &str,
) -> Result<u64, DocError> {
    write_terms(doc, before, after, [code])
}

/// The vocabulary after an edit must be valid and have no problem that
/// was not there before.
fn check_after(after: &Vocabulary, before: &[VocabularyProblem]) -> Result<(), DocError> {
    after
        .validate()
        .map_err(|errors| invalid(DocKind::Vocabulary, errors))?;
    let mut e = ValidationErrors::new();
    for p in after.problems().into_iter().filter(|p| !before.contains(p)) {
        e.push("terms", describe(&p));
    }
    done(e)
}

/// A problem in words, for a refusal.
pub fn describe(p: &VocabularyProblem) -> String {
    match p {
        VocabularyProblem::ReplacementCycle { codes } => {
            format!("the replacements of {} lead in a circle", codes.join(", "))
        }
        VocabularyProblem::UnknownReplacement { code, replaced_by } => {
            format!("{code:?} is replaced by {replaced_by:?}, which is no term")
        }
        VocabularyProblem::ActiveWithReplacement { code, replaced_by } => {
            format!("{code:?} is in use but names {replaced_by:?} as its replacement")
        }
        VocabularyProblem::EndsDeprecated { code, end } => {
            format!("{code:?} is counted under {end:?}, which is deprecated")
        }
        VocabularyProblem::SameLabel { label, codes } => {
            format!("{} in use share the label {label:?}", codes.join(" and "))
        }
    }
}

fn check_code(e: &mut ValidationErrors, path: &str, code: &str) {
    let ok = (2..=MAX_CODE_CHARS).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && code.as_bytes()[0].is_ascii_lowercase();
    if !ok {
        e.push(
            path,
            format!(
                "{code:?}: a code is 2 to {MAX_CODE_CHARS} of a-z, 0-9 and _, starting with a letter"
            ),
        );
    }
}

fn check_label(e: &mut ValidationErrors, path: &str, label: &str) {
    let n = label.trim().chars().count();
    if n == 0 {
        e.push(path, "must not be empty");
    } else if n > MAX_LABEL_CHARS {
        e.push(path, format!("at most {MAX_LABEL_CHARS} characters"));
    }
}

fn check_text(e: &mut ValidationErrors, t: &TermText) {
    check_label(e, "label_sv", &t.label_sv);
    check_label(e, "label_en", &t.label_en);
    for (path, text) in [
        ("definition_sv", &t.definition_sv),
        ("definition_en", &t.definition_en),
    ] {
        if text.trim().chars().count() > MAX_DEFINITION_CHARS {
            e.push(path, format!("at most {MAX_DEFINITION_CHARS} characters"));
        }
    }
}

fn done(e: ValidationErrors) -> Result<(), DocError> {
    e.into_result()
        .map_err(|errors| invalid(DocKind::Vocabulary, errors))
}
