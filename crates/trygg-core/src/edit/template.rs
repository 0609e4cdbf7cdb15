//! A coordinator's edits of a checklist template (PRODUCT §2): a new
//! version is a draft until it is published; a published version never
//! changes (walks started on it keep reading the questions they answered),
//! so a change to the checklist is a new version.

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{hydrate_prop, reconcile_prop};

use super::{EditDoc, child, expect_kind, invalid};
use crate::document::{DocKind, DocumentSchema};
use crate::error::{DocError, ValidationErrors};
use crate::model::{ChecklistTemplate, Item, ItemKind, Section, TemplateVersion, Vocabulary};
use crate::time::Timestamp;

/// Adds a draft version with `sections`, numbered one above the highest
/// version there is; returns its number.
pub fn add_draft(doc: &mut impl EditDoc, sections: Vec<Section>) -> Result<u32, DocError> {
    let mut t = read(doc)?;
    let version = t.versions.values().map(|v| v.version).max().unwrap_or(0) + 1;
    t.set_draft(version, sections)?;
    write_version(doc, &t, version)?;
    Ok(version)
}

/// Replaces the sections of draft `version`; a published version is
/// refused ([`DocError::Forbidden`]).
pub fn replace_draft(
    doc: &mut impl EditDoc,
    version: u32,
    sections: Vec<Section>,
) -> Result<(), DocError> {
    let mut t = read(doc)?;
    if t.version(version).is_none() {
        return Err(DocError::NotFound {
            what: "template version",
            id: version.to_string(),
        });
    }
    t.set_draft(version, sections)?;
    write_version(doc, &t, version)
}

/// Publishes draft `version` at `at`: from now on it never changes, and
/// devices may start walks on it. Publishing a published version is
/// refused, so two coordinators cannot both believe they published it.
pub fn publish(doc: &mut impl EditDoc, version: u32, at: Timestamp) -> Result<(), DocError> {
    let mut t = read(doc)?;
    match t.version(version) {
        None => {
            return Err(DocError::NotFound {
                what: "template version",
                id: version.to_string(),
            });
        }
        Some(v) if v.published_at.is_some() => {
            return Err(DocError::Forbidden(format!(
                "version {version} of template {} is published already",
                t.template_id
            )));
        }
        Some(v) if v.sections.iter().all(|s| s.items.is_empty()) => {
            return Err(DocError::Forbidden(format!(
                "version {version} has no questions to publish"
            )));
        }
        Some(_) => {}
    }
    t.publish(version, at)?;
    let versions = versions_obj(doc)?;
    let key = version.to_string();
    let obj = child(
        doc,
        DocKind::Template,
        &versions,
        &key,
        automerge::ObjType::Map,
    )?;
    reconcile_prop(doc, &obj, "published_at", t.versions[&key].published_at)?;
    Ok(())
}

/// The most sections one version has.
pub const MAX_SECTIONS: usize = 30;
/// The most questions one version asks.
pub const MAX_ITEMS: usize = 200;
/// The longest title, prompt or template id taken.
pub const MAX_TITLE_CHARS: usize = 300;
/// The longest help text taken.
pub const MAX_HELP_CHARS: usize = 1_000;
/// The longest section or item id taken.
pub const MAX_ID_CHARS: usize = 40;

/// A new template with no version yet, kept by `owner_org`; its id is
/// lower-case letters, digits and `-` (it names exported files and walks'
/// references), its Swedish title is required.
pub fn new_template(
    template_id: &str,
    title_sv: &str,
    title_en: &str,
    owner_org: &str,
) -> Result<ChecklistTemplate, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let template_id = template_id.trim();
    if template_id.is_empty() {
        e.push("template_id", "must not be empty");
    } else if template_id.chars().count() > MAX_ID_CHARS
        || !template_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        e.push(
            "template_id",
            format!("use at most {MAX_ID_CHARS} of a-z, 0-9 and -"),
        );
    }
    limited(&mut e, "title_sv", title_sv.trim(), MAX_TITLE_CHARS, true);
    limited(&mut e, "title_en", title_en.trim(), MAX_TITLE_CHARS, false);
    e.into_result()?;
    Ok(ChecklistTemplate {
        template_id: template_id.to_string(),
        title_sv: title_sv.trim().to_string(),
        title_en: title_en.trim().to_string(),
        owner_org: owner_org.to_string(),
        versions: BTreeMap::new(),
    })
}

/// The sections a coordinator wrote in the editor, made ready to be a
/// draft of `t`: texts trimmed; a section or question without an id gets
/// the next id no version of `t` has used (`s3`, `q12`), so an id keeps
/// one meaning for good; and every problem named under its place in the
/// form (`sections.0.items.2.prompt_sv`): empty or too long texts, ids
/// used twice or not of a-z, 0-9, `_` and `-`, a choice without a
/// vocabulary group (or another kind with one), a question whose id an
/// earlier version used for another kind of answer, too many of either.
pub fn edited_sections(
    t: &ChecklistTemplate,
    sections: Vec<Section>,
) -> Result<Vec<Section>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    if sections.len() > MAX_SECTIONS {
        e.push("sections", format!("at most {MAX_SECTIONS} sections"));
    }
    let items: usize = sections.iter().map(|s| s.items.len()).sum();
    if items == 0 {
        e.push("sections", "ask at least one question");
    } else if items > MAX_ITEMS {
        e.push("sections", format!("at most {MAX_ITEMS} questions"));
    }
    let earlier: BTreeMap<&str, ItemKind> = t
        .versions
        .values()
        .flat_map(|v| v.items())
        .map(|i| (i.id.as_str(), i.kind))
        .collect();
    let mut fresh = FreshIds::new(t, &sections);
    let mut section_ids = BTreeSet::new();
    let mut item_ids = BTreeSet::new();
    let mut out = Vec::with_capacity(sections.len());
    for (n, s) in sections.into_iter().enumerate() {
        let path = format!("sections.{n}");
        let id = fresh.or_new(&s.id, 's');
        check_id(&mut e, &format!("{path}.id"), &id, &mut section_ids);
        limited(
            &mut e,
            &format!("{path}.title_sv"),
            s.title_sv.trim(),
            MAX_TITLE_CHARS,
            true,
        );
        limited(
            &mut e,
            &format!("{path}.title_en"),
            s.title_en.trim(),
            MAX_TITLE_CHARS,
            false,
        );
        let mut items = Vec::with_capacity(s.items.len());
        for (m, item) in s.items.into_iter().enumerate() {
            let ipath = format!("{path}.items.{m}");
            let item_id = fresh.or_new(&item.id, 'q');
            check_id(&mut e, &format!("{ipath}.id"), &item_id, &mut item_ids);
            if let Some(kind) = earlier.get(item_id.as_str())
                && *kind != item.kind
            {
                e.push(
                    format!("{ipath}.kind"),
                    format!(
                        "`{item_id}` was asked as {} in an earlier version; a new kind of answer needs a new question",
                        kind.as_str()
                    ),
                );
            }
            limited(
                &mut e,
                &format!("{ipath}.prompt_sv"),
                item.prompt_sv.trim(),
                MAX_TITLE_CHARS,
                true,
            );
            limited(
                &mut e,
                &format!("{ipath}.prompt_en"),
                item.prompt_en.trim(),
                MAX_TITLE_CHARS,
                false,
            );
            limited(
                &mut e,
                &format!("{ipath}.help_sv"),
                item.help_sv.trim(),
                MAX_HELP_CHARS,
                false,
            );
            let group = item
                .vocabulary_group
                .map(|g| g.trim().to_string())
                .filter(|g| !g.is_empty());
            match (item.kind, &group) {
                (ItemKind::Choice, None) => e.push(
                    format!("{ipath}.vocabulary_group"),
                    "a choice question needs a vocabulary group",
                ),
                (k, Some(_)) if k != ItemKind::Choice => e.push(
                    format!("{ipath}.vocabulary_group"),
                    "only a choice question has a vocabulary group",
                ),
                _ => {}
            }
            items.push(Item {
                id: item_id,
                kind: item.kind,
                prompt_sv: item.prompt_sv.trim().to_string(),
                prompt_en: item.prompt_en.trim().to_string(),
                help_sv: item.help_sv.trim().to_string(),
                required: item.required,
                vocabulary_group: group,
            });
        }
        out.push(Section {
            id,
            title_sv: s.title_sv.trim().to_string(),
            title_en: s.title_en.trim().to_string(),
            items,
        });
    }
    e.into_result().map(|()| out)
}

/// Saves `sections` as the template's draft: the newest version when that
/// is a draft (an editor saving again), otherwise a new draft above the
/// newest version. Returns the draft's number.
pub fn save_draft(doc: &mut impl EditDoc, sections: Vec<Section>) -> Result<u32, DocError> {
    let t = read(doc)?;
    match t.versions.values().max_by_key(|v| v.version) {
        Some(newest) if newest.published_at.is_none() => {
            let version = newest.version;
            replace_draft(doc, version, sections)?;
            Ok(version)
        }
        _ => add_draft(doc, sections),
    }
}

/// Ids for sections and questions left without one: `s`/`q` and the
/// lowest number above every such id the template or the form has used.
struct FreshIds {
    next: BTreeMap<char, u32>,
}

impl FreshIds {
    fn new(t: &ChecklistTemplate, form: &[Section]) -> FreshIds {
        let versions = t.versions.values().flat_map(|v| v.sections.iter());
        let sections = versions.clone().chain(form.iter()).map(|s| s.id.as_str());
        let items = versions
            .flat_map(|s| s.items.iter())
            .chain(form.iter().flat_map(|s| s.items.iter()))
            .map(|i| i.id.as_str());
        let above = |prefix: char, ids: &mut dyn Iterator<Item = &str>| {
            ids.filter_map(|id| id.strip_prefix(prefix)?.parse::<u32>().ok())
                .max()
                .map_or(1, |n| n.saturating_add(1))
        };
        FreshIds {
            next: BTreeMap::from([
                ('s', above('s', &mut sections.into_iter())),
                ('q', above('q', &mut items.into_iter())),
            ]),
        }
    }

    fn or_new(&mut self, id: &str, prefix: char) -> String {
        let id = id.trim();
        if !id.is_empty() {
            return id.to_string();
        }
        let n = self.next.entry(prefix).or_insert(1);
        let made = format!("{prefix}{n}");
        *n = n.saturating_add(1);
        made
    }
}

fn check_id(e: &mut ValidationErrors, path: &str, id: &str, seen: &mut BTreeSet<String>) {
    let well_formed = id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        e.push(
            path,
            format!("use at most {MAX_ID_CHARS} of a-z, 0-9, _ and -"),
        );
    } else if !seen.insert(id.to_string()) {
        e.push(path, format!("`{id}` is used twice"));
    }
}

fn limited(e: &mut ValidationErrors, path: &str, text: &str, max: usize, required: bool) {
    if required && text.is_empty() {
        e.push(path, "must not be empty");
    } else if text.chars().count() > max {
        e.push(path, format!("at most {max} characters"));
    }
}

/// What in `sections` the vocabulary cannot answer: a choice question
/// bound to a group the vocabulary lacks, or one with no term in use. Each
/// problem is named at the question's place (`sections.0.items.2.
/// vocabulary_group`, as the editor's form has it) and by its id.
pub fn check_groups(sections: &[Section], vocabulary: &Vocabulary) -> ValidationErrors {
    let mut e = ValidationErrors::new();
    for (n, s) in sections.iter().enumerate() {
        for (m, item) in s.items.iter().enumerate() {
            let (ItemKind::Choice, Some(group)) = (item.kind, &item.vocabulary_group) else {
                continue;
            };
            let path = format!("sections.{n}.items.{m}.vocabulary_group");
            let id = &item.id;
            if !vocabulary.groups.contains_key(group) {
                e.push(
                    path,
                    format!("`{id}`: the vocabulary has no group {group:?}"),
                );
            } else if !vocabulary.active_terms().iter().any(|t| &t.group == group) {
                e.push(
                    path,
                    format!("`{id}`: the group {group:?} has no term in use"),
                );
            }
        }
    }
    e
}

fn read(doc: &impl EditDoc) -> Result<ChecklistTemplate, DocError> {
    expect_kind(doc, &[DocKind::Template])?;
    let malformed = |e: autosurgeon::HydrateError| DocError::Malformed {
        kind: DocKind::Template,
        detail: e.to_string(),
    };
    let versions: BTreeMap<String, TemplateVersion> =
        hydrate_prop(doc, automerge::ROOT, "versions").map_err(malformed)?;
    Ok(ChecklistTemplate {
        template_id: hydrate_prop(doc, automerge::ROOT, "template_id").map_err(malformed)?,
        title_sv: hydrate_prop(doc, automerge::ROOT, "title_sv").map_err(malformed)?,
        title_en: hydrate_prop(doc, automerge::ROOT, "title_en").map_err(malformed)?,
        owner_org: hydrate_prop(doc, automerge::ROOT, "owner_org").map_err(malformed)?,
        versions,
    })
}

/// Writes version `version` of `t`, once `t` passes the template's rules.
fn write_version(
    doc: &mut impl EditDoc,
    t: &ChecklistTemplate,
    version: u32,
) -> Result<(), DocError> {
    t.validate()
        .map_err(|errors| invalid(DocKind::Template, errors))?;
    let versions = versions_obj(doc)?;
    let key = version.to_string();
    reconcile_prop(doc, &versions, key.as_str(), &t.versions[&key])?;
    Ok(())
}

/// The template's map of versions.
fn versions_obj(doc: &impl EditDoc) -> Result<automerge::ObjId, DocError> {
    child(
        doc,
        DocKind::Template,
        &automerge::ROOT,
        "versions",
        automerge::ObjType::Map,
    )
}
