//! A coordinator's edits of a checklist template (PRODUCT §2): a new
//! version is a draft until it is published; a published version never
//! changes (walks started on it keep reading the questions they answered),
//! so a change to the checklist is a new version.

use std::collections::BTreeMap;

use autosurgeon::{hydrate_prop, reconcile_prop};

use super::{EditDoc, child, expect_kind, invalid};
use crate::document::{DocKind, DocumentSchema};
use crate::error::{DocError, ValidationErrors};
use crate::model::{ChecklistTemplate, ItemKind, Section, TemplateVersion, Vocabulary};
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

/// What in `sections` the vocabulary cannot answer: a choice question
/// bound to a group the vocabulary lacks, or one with no term in use.
pub fn check_groups(sections: &[Section], vocabulary: &Vocabulary) -> ValidationErrors {
    let mut e = ValidationErrors::new();
    for s in sections {
        for item in &s.items {
            let (ItemKind::Choice, Some(group)) = (item.kind, &item.vocabulary_group) else {
                continue;
            };
            let path = format!("sections.{}.items.{}", s.id, item.id);
            if !vocabulary.groups.contains_key(group) {
                e.push(path, format!("the vocabulary has no group {group:?}"));
            } else if !vocabulary.active_terms().iter().any(|t| &t.group == group) {
                e.push(path, format!("the group {group:?} has no term in use"));
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
