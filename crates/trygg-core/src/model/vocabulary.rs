//! The common terminology (gemensam terminologi) every organisation records with.
//!
//! Terms are never deleted: a term that goes out of use is marked deprecated and
//! may name its replacement. Data keeps the code it was recorded with;
//! [`Vocabulary::current_code`] maps an old code to the one in use today.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::{check_key, require_text};
use crate::document::{DocKind, DocumentSchema};
use crate::error::ValidationErrors;

/// A group of terms (physical environment, maintenance, social environment).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct TermGroup {
    pub code: String,
    pub label_sv: String,
    pub label_en: String,
    /// Display order.
    pub order: u32,
}

/// One term.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Term {
    /// Stable code, e.g. `belysning`.
    pub code: String,
    pub group: String,
    pub label_sv: String,
    pub label_en: String,
    pub definition_sv: String,
    pub definition_en: String,
    /// The vocabulary version that introduced the term.
    pub since_version: u64,
    pub deprecated: bool,
    /// The vocabulary version that deprecated it.
    pub deprecated_in: Option<u64>,
    pub replaced_by: Option<String>,
}

/// The vocabulary document.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Vocabulary {
    /// Raised by a coordinator when publishing a new set of terms.
    pub version: u64,
    pub groups: BTreeMap<String, TermGroup>,
    pub terms: BTreeMap<String, Term>,
}

impl Vocabulary {
    /// Of the vocabulary documents at hand (each organisation that set up
    /// Trygg may have made one), the one everybody counts with: the highest
    /// version; of equal versions, the one with the lowest key (document id),
    /// so that every device and the server pick the same.
    pub fn chosen<K: Ord, V: std::borrow::Borrow<Vocabulary>>(
        candidates: impl IntoIterator<Item = (K, V)>,
    ) -> Option<V> {
        candidates
            .into_iter()
            .min_by(|(ka, a), (kb, b)| {
                let version = |v: &V| v.borrow().version;
                version(b).cmp(&version(a)).then(ka.cmp(kb))
            })
            .map(|(_, v)| v)
    }

    /// The code to use today for data recorded with `code`: follows `replaced_by`
    /// links. Unknown codes map to themselves; a cycle stops where it closes.
    pub fn current_code<'a>(&'a self, code: &'a str) -> &'a str {
        let mut current = code;
        for _ in 0..self.terms.len() {
            match self
                .terms
                .get(current)
                .and_then(|t| t.replaced_by.as_deref())
            {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        current
    }

    /// The term to count data recorded with `code` under today (see
    /// [`Self::current_code`]); `None` for a code the vocabulary lacks.
    pub fn current_term(&self, code: &str) -> Option<&Term> {
        self.terms.get(self.current_code(code))
    }

    /// Terms a person may pick today, in group then label order.
    pub fn active_terms(&self) -> Vec<&Term> {
        let mut terms: Vec<&Term> = self.terms.values().filter(|t| !t.deprecated).collect();
        terms.sort_by_key(|t| {
            (
                self.groups.get(&t.group).map_or(u32::MAX, |g| g.order),
                t.label_sv.clone(),
            )
        });
        terms
    }

    /// Case-insensitive search over codes and both labels, for the category picker.
    pub fn search(&self, query: &str) -> Vec<&Term> {
        let q = query.trim().to_lowercase();
        self.active_terms()
            .into_iter()
            .filter(|t| {
                q.is_empty()
                    || t.code.contains(&q)
                    || t.label_sv.to_lowercase().contains(&q)
                    || t.label_en.to_lowercase().contains(&q)
            })
            .collect()
    }
}

impl DocumentSchema for Vocabulary {
    const KIND: DocKind = DocKind::Vocabulary;
    const SCHEMA_VERSION: u64 = 1;

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.version == 0 {
            e.push("version", "starts at 1");
        }
        for (key, g) in &self.groups {
            check_key(&mut e, &format!("groups.{key}"), key, &g.code);
            require_text(&mut e, &format!("groups.{key}.label_sv"), &g.label_sv);
        }
        for (key, t) in &self.terms {
            let path = format!("terms.{key}");
            check_key(&mut e, &path, key, &t.code);
            require_text(&mut e, &format!("{path}.label_sv"), &t.label_sv);
            require_text(&mut e, &format!("{path}.label_en"), &t.label_en);
            if !self.groups.contains_key(&t.group) {
                e.push(
                    format!("{path}.group"),
                    format!("unknown group {:?}", t.group),
                );
            }
            if t.since_version > self.version {
                e.push(
                    format!("{path}.since_version"),
                    format!(
                        "{} is newer than the vocabulary ({})",
                        t.since_version, self.version
                    ),
                );
            }
            if let Some(r) = &t.replaced_by {
                if !t.deprecated {
                    e.push(
                        format!("{path}.replaced_by"),
                        "only a deprecated term has a replacement",
                    );
                }
                if !self.terms.contains_key(r) {
                    e.push(format!("{path}.replaced_by"), format!("unknown term {r:?}"));
                }
            }
        }
        // A replacement chain must end at an active term.
        for (key, t) in &self.terms {
            if t.replaced_by.is_some() {
                let end = self.current_code(key);
                if self.terms.get(end).is_none_or(|t| t.deprecated) {
                    e.push(
                        format!("terms.{key}.replaced_by"),
                        "replacement chain does not end at an active term",
                    );
                }
            }
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(version: u64) -> Vocabulary {
        Vocabulary {
            version,
            ..crate::seed::vocabulary()
        }
    }

    #[test]
    fn the_highest_version_is_chosen_and_equal_versions_by_the_lowest_id() {
        let (v1, v2, v2b) = (at(1), at(2), at(2));
        let chosen = Vocabulary::chosen([(&"c", &v1), (&"b", &v2b), (&"a", &v2)]);
        assert!(std::ptr::eq(chosen.unwrap(), &v2));
        let chosen = Vocabulary::chosen([(&"a", &v1), (&"b", &v2b)]);
        assert!(std::ptr::eq(chosen.unwrap(), &v2b));
        assert!(Vocabulary::chosen::<&str, &Vocabulary>([]).is_none());
    }
}
