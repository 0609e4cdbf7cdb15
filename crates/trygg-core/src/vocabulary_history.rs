//! The vocabulary's versions, read back from its Automerge history, and
//! what changed between two of them: the diff a coordinator reads before a
//! council meeting ("what did we rename since version 3?").

use std::collections::BTreeMap;

use automerge::{Automerge, ChangeHash, ReadDoc, ScalarValue, Value};
use serde::Serialize;

use crate::document;
use crate::error::DocError;
use crate::model::Vocabulary;

/// One version as the history holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionMark {
    pub version: u64,
    /// The document as it stood when the version was last changed: the
    /// last change (in history order) after which it read this version.
    pub heads: Vec<ChangeHash>,
    /// When that change was made (seconds since 1970, as Automerge stamps).
    pub at: i64,
}

/// Every version the vocabulary went through, oldest first.
pub fn versions(doc: &Automerge) -> Vec<VersionMark> {
    let mut marks: BTreeMap<u64, VersionMark> = BTreeMap::new();
    for change in doc.get_changes(&[]) {
        let heads = vec![change.hash()];
        let version = match doc.get_at(automerge::ROOT, "version", &heads) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Uint(v) => *v,
                ScalarValue::Int(v) if *v >= 0 => *v as u64,
                _ => continue,
            },
            _ => continue,
        };
        marks.insert(
            version,
            VersionMark {
                version,
                heads,
                at: change.timestamp(),
            },
        );
    }
    marks.into_values().collect()
}

/// The vocabulary as it read at `heads`.
pub fn at(doc: &Automerge, heads: &[ChangeHash]) -> Result<Vocabulary, DocError> {
    let past = doc.fork_at(heads)?;
    document::read(&past)
}

/// What differs for one term between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TermChange {
    Added {
        code: String,
        label_sv: String,
    },
    Deprecated {
        code: String,
        replaced_by: Option<String>,
    },
    /// Back in use (only a merge or an older version compared with a newer
    /// one read backwards can show this).
    Reinstated {
        code: String,
    },
    /// A label, definition or group changed.
    Changed {
        code: String,
        field: &'static str,
        before: String,
        after: String,
    },
}

/// The term changes from `before` to `after`, in code order.
pub fn diff(before: &Vocabulary, after: &Vocabulary) -> Vec<TermChange> {
    let mut changes = Vec::new();
    for (code, now) in &after.terms {
        let Some(was) = before.terms.get(code) else {
            changes.push(TermChange::Added {
                code: code.clone(),
                label_sv: now.label_sv.clone(),
            });
            continue;
        };
        let fields: [(&'static str, &String, &String); 5] = [
            ("group", &was.group, &now.group),
            ("label_sv", &was.label_sv, &now.label_sv),
            ("label_en", &was.label_en, &now.label_en),
            ("definition_sv", &was.definition_sv, &now.definition_sv),
            ("definition_en", &was.definition_en, &now.definition_en),
        ];
        for (field, a, b) in fields {
            if a != b {
                changes.push(TermChange::Changed {
                    code: code.clone(),
                    field,
                    before: a.clone(),
                    after: b.clone(),
                });
            }
        }
        match (was.deprecated, now.deprecated) {
            (false, true) => changes.push(TermChange::Deprecated {
                code: code.clone(),
                replaced_by: now.replaced_by.clone(),
            }),
            (true, false) => changes.push(TermChange::Reinstated { code: code.clone() }),
            _ => {}
        }
    }
    changes
}
