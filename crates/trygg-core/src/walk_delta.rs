//! What changed in a walk since the heads a screen shows, and the changed
//! parts read one by one: a walk screen with hundreds of observations
//! refreshes in time that follows the change, not the size of the walk.
//!
//! [`since`] lists the observations and answers that the changes after those
//! heads touched: each operation's object is traced to its path from the
//! root, so the cost follows the changes (Automerge's `diff` walks the whole
//! document: [`since_by_diff`], which the tests hold `since` to).
//! [`observation`] and [`answer`] read one of each, checked by the same rules
//! as the whole walk ([`Walk::check_observation`], [`Walk::check_answer`]).
//! Anything else that changed (status, organisations, the walk's own notes)
//! is reported as `rest`: the caller then reads the walk whole, as it does
//! when the heads it holds are not in the document.

use std::collections::BTreeSet;

use automerge::{Automerge, ChangeHash, ObjType, PatchAction, Prop, ReadDoc, Value, legacy};
use autosurgeon::hydrate_prop;

use crate::document::{self, DocKind};
use crate::error::{DocError, ValidationErrors};
use crate::model::{Answer, Observation, Walk};

/// What differs in a walk between two sets of heads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// Observations added, changed or removed (by id).
    pub observations: BTreeSet<String>,
    /// Answers given, changed or cleared (by item id).
    pub answers: BTreeSet<String>,
    /// Something else changed: read the walk whole.
    pub rest: bool,
}

impl Changed {
    pub fn is_empty(&self) -> bool {
        self.observations.is_empty() && self.answers.is_empty() && !self.rest
    }
}

/// What changed in `doc` (a walk) from `before` to its current heads, or
/// `None` when `before` names a change the document does not hold (a screen
/// showing another document, or a state that was never this one's).
pub fn since(doc: &Automerge, before: &[ChangeHash]) -> Result<Option<Changed>, DocError> {
    if before
        .iter()
        .any(|h| doc.get_change_meta_by_hash(h).is_none())
    {
        return Ok(None);
    }
    let now = doc.get_heads();
    let mut changed = Changed::default();
    if now.as_slice() == before {
        return Ok(Some(changed));
    }
    for change in doc.get_changes(before) {
        for op in change.decode().operations {
            // The path from the root to the object the operation changes,
            // then the map key it sets (a text's characters need no key).
            let mut path: Vec<Prop> = match &op.obj {
                legacy::ObjectId::Root => Vec::new(),
                legacy::ObjectId::Id(id) => {
                    let (obj, _) = doc.import(&id.to_string())?;
                    doc.parents(&obj)?
                        .path()
                        .into_iter()
                        .map(|(_, p)| p)
                        .collect()
                }
            };
            if let legacy::Key::Map(key) = &op.key {
                path.push(Prop::Map(key.to_string()));
            }
            note(&mut changed, &path);
        }
    }
    Ok(Some(changed))
}

/// Files one changed path under the observation or answer it leads into,
/// or under `rest`.
fn note(changed: &mut Changed, path: &[Prop]) {
    match path {
        [Prop::Map(top), Prop::Map(id), ..] if top == "observations" => {
            changed.observations.insert(id.clone());
        }
        [Prop::Map(top), Prop::Map(item), ..] if top == "answers" => {
            changed.answers.insert(item.clone());
        }
        _ => changed.rest = true,
    }
}

/// What [`since`] finds, from Automerge's patches between the heads
/// instead: the same answer at a cost that grows with the whole document
/// (the reference the tests hold `since` to).
pub fn since_by_diff(doc: &Automerge, before: &[ChangeHash]) -> Changed {
    let mut changed = Changed::default();
    for patch in doc.diff(before, &doc.get_heads()) {
        let key = match &patch.action {
            PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                Some(Prop::Map(key.clone()))
            }
            PatchAction::Increment { prop, .. } | PatchAction::Conflict { prop } => {
                Some(prop.clone())
            }
            _ => None,
        };
        let path: Vec<Prop> = patch
            .path
            .iter()
            .map(|(_, p)| p.clone())
            .chain(key)
            .collect();
        note(&mut changed, &path);
    }
    changed
}

/// The observation `id` of a walk as it is now; `None` if it is not there.
pub fn observation(doc: &Automerge, id: &str) -> Result<Option<Observation>, DocError> {
    let Some(map) = child_map(doc, "observations")? else {
        return Ok(None);
    };
    if doc.get(&map, id)?.is_none() {
        return Ok(None);
    }
    let o: Observation = hydrate_prop(doc, &map, id).map_err(malformed)?;
    let mut e = ValidationErrors::new();
    Walk::check_observation(&mut e, id, &o);
    invalid(e)?;
    Ok(Some(o))
}

/// The answer to item `item` of a walk as it is now; `None` if unanswered.
pub fn answer(doc: &Automerge, item: &str) -> Result<Option<Answer>, DocError> {
    let Some(map) = child_map(doc, "answers")? else {
        return Ok(None);
    };
    if doc.get(&map, item)?.is_none() {
        return Ok(None);
    }
    let a: Answer = hydrate_prop(doc, &map, item).map_err(malformed)?;
    let mut e = ValidationErrors::new();
    Walk::check_answer(&mut e, item, &a);
    invalid(e)?;
    Ok(Some(a))
}

/// The map under the walk's root key `key`, after checking the document is a walk.
fn child_map(doc: &Automerge, key: &str) -> Result<Option<automerge::ObjId>, DocError> {
    let h = document::header(doc)?;
    if h.kind != DocKind::Walk {
        return Err(DocError::WrongKind {
            expected: DocKind::Walk,
            found: h.kind,
        });
    }
    match doc.get(automerge::ROOT, key)? {
        None => Ok(None),
        Some((Value::Object(ObjType::Map), id)) => Ok(Some(id)),
        Some(_) => Err(malformed(format!("{key} is not a map"))),
    }
}

fn malformed(detail: impl ToString) -> DocError {
    DocError::Malformed {
        kind: DocKind::Walk,
        detail: detail.to_string(),
    }
}

fn invalid(errors: ValidationErrors) -> Result<(), DocError> {
    errors.into_result().map_err(|errors| DocError::Invalid {
        kind: DocKind::Walk,
        errors,
    })
}
