//! Edits a device makes to a document, each touching only what it changes.
//!
//! Rewriting a whole document from a hydrated copy would also work (autosurgeon
//! diffs), but addressing the one field keeps changes small and makes intent
//! explicit: a new observation is a new map key, a note edit is a text splice.
//! Each edit checks its input first and leaves the document untouched on error.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ReadDoc, Value};
use autosurgeon::{hydrate_prop, reconcile_prop};

use crate::document::{DocKind, header};
use crate::error::{DocError, ValidationErrors};
use crate::model::{
    ActionStatus, Answer, AnswerText, AnswerValue, Observation, Sensitivity, Severity, TemplateRef,
    WalkStatus,
};
use crate::time::Timestamp;

pub mod directory;
pub mod plan;
pub mod template;
pub mod vocabulary;

/// A document an edit can be applied to: an `AutoCommit`, or an open
/// transaction on an `Automerge` (as a samod document handle provides).
pub trait EditDoc: Transactable + autosurgeon::ReadDoc {}
impl<T: Transactable + autosurgeon::ReadDoc> EditDoc for T {}

fn invalid(kind: DocKind, errors: ValidationErrors) -> DocError {
    DocError::Invalid { kind, errors }
}

fn expect_kind(doc: &impl EditDoc, kinds: &[DocKind]) -> Result<DocKind, DocError> {
    let h = header(doc)?;
    if kinds.contains(&h.kind) {
        Ok(h.kind)
    } else {
        Err(DocError::WrongKind {
            expected: kinds[0],
            found: h.kind,
        })
    }
}

/// The object at `obj[key]`, which must be of type `ty`.
fn child(
    doc: &impl EditDoc,
    kind: DocKind,
    obj: &ObjId,
    key: &str,
    ty: ObjType,
) -> Result<ObjId, DocError> {
    match ReadDoc::get(doc, obj, key)? {
        Some((Value::Object(t), id)) if t == ty => Ok(id),
        _ => Err(DocError::Malformed {
            kind,
            detail: format!("`{key}` is not a {ty:?}"),
        }),
    }
}

fn observation_obj(doc: &impl EditDoc, kind: DocKind, id: &str) -> Result<ObjId, DocError> {
    let map = child(doc, kind, &automerge::ROOT, "observations", ObjType::Map)?;
    match ReadDoc::get(doc, &map, id)? {
        Some((Value::Object(ObjType::Map), o)) => Ok(o),
        _ => Err(DocError::NotFound {
            what: "observation",
            id: id.to_string(),
        }),
    }
}

/// Records or replaces the answer to one checklist item of a walk.
pub fn set_answer(doc: &mut impl EditDoc, item_id: &str, answer: &Answer) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk])?;
    if item_id.trim().is_empty() {
        let mut e = ValidationErrors::new();
        e.push("answers", "item id must not be empty");
        return Err(invalid(kind, e));
    }
    answer.value.validate().map_err(|e| {
        let mut nested = ValidationErrors::new();
        nested.nest(&format!("answers.{item_id}"), e);
        invalid(kind, nested)
    })?;
    let answers = child(doc, kind, &automerge::ROOT, "answers", ObjType::Map)?;
    reconcile_prop(doc, &answers, item_id, answer)?;
    Ok(())
}

/// Removes the answer to an item (the person un-ticked it).
pub fn clear_answer(doc: &mut impl EditDoc, item_id: &str) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk])?;
    let answers = child(doc, kind, &automerge::ROOT, "answers", ObjType::Map)?;
    doc.delete(&answers, item_id)?;
    Ok(())
}

/// Adds an observation to a walk or a report, or replaces one with the same id.
///
/// A walk takes only shared observations; a report only observations of its own
/// organisation and sensitivity.
pub fn put_observation(doc: &mut impl EditDoc, obs: &Observation) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk, DocKind::Report])?;
    let mut e = ValidationErrors::new();
    if let Err(inner) = obs.validate() {
        e.nest(&format!("observations.{}", obs.id), inner);
    }
    match kind {
        DocKind::Walk if obs.sensitivity != Sensitivity::Shared => e.push(
            format!("observations.{}.sensitivity", obs.id),
            "a restricted observation belongs in the organisation's report, not in the shared walk",
        ),
        DocKind::Report => {
            let sensitivity: Sensitivity = hydrate_prop(&*doc, automerge::ROOT, "sensitivity")
                .map_err(|err| DocError::Malformed {
                    kind,
                    detail: err.to_string(),
                })?;
            let org: String =
                hydrate_prop(&*doc, automerge::ROOT, "organisation").map_err(|err| {
                    DocError::Malformed {
                        kind,
                        detail: err.to_string(),
                    }
                })?;
            if obs.sensitivity != sensitivity {
                e.push(
                    format!("observations.{}.sensitivity", obs.id),
                    format!("this report is {sensitivity}"),
                );
            }
            if obs.organisation != org {
                e.push(
                    format!("observations.{}.organisation", obs.id),
                    format!("this report belongs to {org}"),
                );
            }
        }
        _ => {}
    }
    e.into_result().map_err(|e| invalid(kind, e))?;
    let map = child(doc, kind, &automerge::ROOT, "observations", ObjType::Map)?;
    reconcile_prop(doc, &map, obs.id.as_str(), obs)?;
    Ok(())
}

/// Removes an observation (recorded by mistake).
pub fn remove_observation(doc: &mut impl EditDoc, id: &str) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk, DocKind::Report])?;
    observation_obj(doc, kind, id)?;
    let map = child(doc, kind, &automerge::ROOT, "observations", ObjType::Map)?;
    doc.delete(&map, id)?;
    Ok(())
}

/// Inserts and deletes characters in an observation's note. `pos` and `delete`
/// count Unicode scalar values; a position past the end is an error.
pub fn splice_note(
    doc: &mut impl EditDoc,
    obs_id: &str,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk, DocKind::Report])?;
    let obs = observation_obj(doc, kind, obs_id)?;
    let note = child(doc, kind, &obs, "note", ObjType::Text)?;
    let len = ReadDoc::length(doc, &note);
    if pos > len || pos + delete > len {
        return Err(DocError::Forbidden(format!(
            "note edit at {pos}..{} is outside the note (length {len})",
            pos + delete
        )));
    }
    doc.splice_text(&note, pos, delete as isize, insert)?;
    Ok(())
}

/// Replaces an observation's note with `text`, as the smallest splice that gets there,
/// so a concurrent edit elsewhere in the note survives.
pub fn set_note(doc: &mut impl EditDoc, obs_id: &str, text: &str) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk, DocKind::Report])?;
    let obs = observation_obj(doc, kind, obs_id)?;
    let note = child(doc, kind, &obs, "note", ObjType::Text)?;
    doc.update_text(&note, text)?;
    Ok(())
}

pub fn set_severity(
    doc: &mut impl EditDoc,
    obs_id: &str,
    severity: Severity,
) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk, DocKind::Report])?;
    let obs = observation_obj(doc, kind, obs_id)?;
    reconcile_prop(doc, &obs, "severity", severity)?;
    Ok(())
}

/// Moves a walk to `next`, stamping start and end times.
pub fn set_walk_status(
    doc: &mut impl EditDoc,
    next: WalkStatus,
    at: Timestamp,
) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk])?;
    let current: WalkStatus =
        hydrate_prop(&*doc, automerge::ROOT, "status").map_err(|e| DocError::Malformed {
            kind,
            detail: e.to_string(),
        })?;
    if !current.may_become(next) {
        return Err(DocError::Forbidden(format!(
            "a walk that is {current} cannot become {next}"
        )));
    }
    reconcile_prop(doc, automerge::ROOT, "status", next)?;
    let started: Option<Timestamp> = hydrate_prop(&*doc, automerge::ROOT, "started_at")
        .ok()
        .flatten();
    match next {
        WalkStatus::InProgress if started.is_none() => {
            reconcile_prop(doc, automerge::ROOT, "started_at", Some(at))?;
        }
        WalkStatus::Completed => {
            if started.is_none() {
                reconcile_prop(doc, automerge::ROOT, "started_at", Some(at))?;
            }
            reconcile_prop(doc, automerge::ROOT, "ended_at", Some(at))?;
        }
        _ => {}
    }
    Ok(())
}

/// Points a walk at another document holding its checklist: the same
/// template id and version, in a copy every participant can read. A walk
/// started offline follows the device's own copy of the built-in template,
/// which the server never takes; once paired it moves to the server's.
pub fn move_walk_template(doc: &mut impl EditDoc, to: &TemplateRef) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk])?;
    let current: TemplateRef =
        hydrate_prop(&*doc, automerge::ROOT, "template").map_err(|e| DocError::Malformed {
            kind,
            detail: e.to_string(),
        })?;
    if current.template_id != to.template_id || current.version != to.version {
        return Err(DocError::Forbidden(format!(
            "the walk follows {} version {}, not {} version {}",
            current.template_id, current.version, to.template_id, to.version
        )));
    }
    if current.doc_id != to.doc_id {
        let template = child(doc, kind, &automerge::ROOT, "template", ObjType::Map)?;
        reconcile_prop(doc, &template, "doc_id", to.doc_id.as_str())?;
    }
    Ok(())
}

/// Adds a participating organisation to a walk.
pub fn add_walk_organisation(
    doc: &mut impl EditDoc,
    org_id: &str,
    at: Timestamp,
) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk])?;
    let orgs = child(doc, kind, &automerge::ROOT, "organisations", ObjType::Map)?;
    if ReadDoc::get(doc, &orgs, org_id)?.is_none() {
        reconcile_prop(doc, &orgs, org_id, at)?;
    }
    Ok(())
}

/// Sets an action's status (*åtgärdsstatus*). Any status may follow any other:
/// a rejected action can be reopened, a done one found not done after all.
pub fn set_action_status(doc: &mut impl EditDoc, next: ActionStatus) -> Result<(), DocError> {
    expect_kind(doc, &[DocKind::Action])?;
    reconcile_prop(doc, automerge::ROOT, "status", next)?;
    Ok(())
}

/// A splice in characters: at `pos`, remove `delete`, then put `insert`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splice {
    pub pos: usize,
    pub delete: usize,
    pub insert: String,
}

/// The smallest splice that turns `before` into `after` (common prefix and
/// suffix kept), in Unicode scalar values.
pub fn diff_text(before: &str, after: &str) -> Splice {
    let b: Vec<char> = before.chars().collect();
    let a: Vec<char> = after.chars().collect();
    let prefix = b.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let max_suffix = b.len().min(a.len()) - prefix;
    let suffix = b
        .iter()
        .rev()
        .zip(a.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    Splice {
        pos: prefix,
        delete: b.len() - prefix - suffix,
        insert: a[prefix..a.len() - suffix].iter().collect(),
    }
}

/// Where position `p` of `base` is in `current`, when `current` is `base` with
/// one region changed (by someone else): before the region it stays, after it
/// it shifts by the region's growth, inside it it moves to the region's end.
fn map_position(p: usize, base_len: usize, remote: &Splice) -> usize {
    let grown = remote.insert.chars().count();
    if p <= remote.pos {
        p
    } else if p >= remote.pos + remote.delete {
        p - remote.delete + grown
    } else {
        remote.pos + grown
    }
    .min(base_len - remote.delete + grown)
}

/// Where what a person typed into a field (`before` → `after`) goes in the
/// text as it is now (`current`), which may already hold someone else's
/// edit that the field has not shown yet: the range of `current` to replace
/// (in characters) and what to put there; `None` when nothing was typed.
/// Diffing the whole field against the document would delete that other
/// edit; this keeps both.
fn rebased(current: &str, before: &str, after: &str) -> Option<(usize, usize, String)> {
    let local = diff_text(before, after);
    if local.delete == 0 && local.insert.is_empty() {
        return None;
    }
    let (pos, end) = if current == before {
        (local.pos, local.pos + local.delete)
    } else {
        let remote = diff_text(before, current);
        let len = before.chars().count();
        (
            map_position(local.pos, len, &remote),
            map_position(local.pos + local.delete, len, &remote),
        )
    };
    Some((pos, end.max(pos), local.insert))
}

/// Applies what a person typed into a note field (`before` → `after`) on top
/// of the note as it is now (see [`rebased`]).
pub fn rebase_note(
    doc: &mut impl EditDoc,
    obs_id: &str,
    before: &str,
    after: &str,
) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk, DocKind::Report])?;
    let obs = observation_obj(doc, kind, obs_id)?;
    let note = child(doc, kind, &obs, "note", ObjType::Text)?;
    let current = ReadDoc::text(doc, &note)?;
    if let Some((pos, end, insert)) = rebased(&current, before, after) {
        doc.splice_text(&note, pos, (end - pos) as isize, &insert)?;
    }
    Ok(())
}

/// Applies what a person typed into a walk's text item (`before` → `after`)
/// on top of the answer as it is now, as [`rebase_note`] does for notes, and
/// records who answered and when. An answer that is not yet Automerge text
/// (none, or a plain string written before text answers were text) becomes
/// text holding the rebased value; an answer typed empty is removed.
pub fn rebase_text_answer(
    doc: &mut impl EditDoc,
    item_id: &str,
    before: &str,
    after: &str,
    answered_by: &str,
    at: Timestamp,
) -> Result<(), DocError> {
    let kind = expect_kind(doc, &[DocKind::Walk])?;
    if item_id.trim().is_empty() {
        let mut e = ValidationErrors::new();
        e.push("answers", "item id must not be empty");
        return Err(invalid(kind, e));
    }
    let answers = child(doc, kind, &automerge::ROOT, "answers", ObjType::Map)?;
    let answer = match ReadDoc::get(doc, &answers, item_id)? {
        Some((Value::Object(ObjType::Map), obj)) => Some(obj),
        _ => None,
    };
    let text = answer
        .as_ref()
        .map(|a| text_answer_obj(doc, a))
        .transpose()?
        .flatten();
    let (Some(answer), Some(text)) = (answer, text) else {
        // Not text yet: write the whole answer.
        let existing: Option<Answer> =
            match ReadDoc::get(doc, &answers, item_id)? {
                None => None,
                Some(_) => Some(hydrate_prop(&*doc, &answers, item_id).map_err(|e| {
                    DocError::Malformed {
                        kind,
                        detail: format!("answers.{item_id}: {e}"),
                    }
                })?),
            };
        let current = match existing.as_ref().map(|a| &a.value) {
            Some(AnswerValue::Text(t)) => t.as_str().to_owned(),
            _ => String::new(),
        };
        let Some((pos, end, insert)) = rebased(&current, before, after) else {
            return Ok(());
        };
        let value = splice_str(&current, pos, end, &insert);
        if value.is_empty() {
            if existing.is_some() {
                doc.delete(&answers, item_id)?;
            }
            return Ok(());
        }
        let answer = Answer {
            value: AnswerValue::Text(AnswerText::new(value)),
            answered_by: answered_by.to_owned(),
            answered_at: at,
        };
        return set_answer(doc, item_id, &answer);
    };
    let current = ReadDoc::text(doc, &text)?;
    let Some((pos, end, insert)) = rebased(&current, before, after) else {
        return Ok(());
    };
    if current.chars().count() - (end - pos) + insert.chars().count() == 0 {
        doc.delete(&answers, item_id)?;
        return Ok(());
    }
    doc.splice_text(&text, pos, (end - pos) as isize, &insert)?;
    reconcile_prop(doc, &answer, "answered_by", answered_by)?;
    reconcile_prop(doc, &answer, "answered_at", at)?;
    Ok(())
}

/// The Automerge text of a text answer (`value.text`), if it is one.
fn text_answer_obj(doc: &impl EditDoc, answer: &ObjId) -> Result<Option<ObjId>, DocError> {
    let Some((Value::Object(ObjType::Map), value)) = ReadDoc::get(doc, answer, "value")? else {
        return Ok(None);
    };
    Ok(match ReadDoc::get(doc, &value, "text")? {
        Some((Value::Object(ObjType::Text), text)) => Some(text),
        _ => None,
    })
}

/// `s` with characters `pos..end` replaced by `insert`.
fn splice_str(s: &str, pos: usize, end: usize, insert: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let end = end.min(chars.len());
    let pos = pos.min(end);
    chars[..pos]
        .iter()
        .copied()
        .chain(insert.chars())
        .chain(chars[end..].iter().copied())
        .collect()
}
