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
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize)]
pub struct TermGroup {
    pub code: String,
    pub label_sv: String,
    pub label_en: String,
    /// Display order.
    pub order: u32,
}

/// One term.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate, serde::Serialize)]
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
    /// links. Unknown codes map to themselves. In a cycle (which only a merge
    /// of concurrent edits can make) every code of it maps to the cycle's
    /// first code in code order, so counts do not depend on where one starts.
    pub fn current_code<'a>(&'a self, code: &'a str) -> &'a str {
        let mut seen: Vec<&'a str> = vec![code];
        let mut current = code;
        while let Some(next) = self
            .terms
            .get(current)
            .and_then(|t| t.replaced_by.as_deref())
        {
            if let Some(i) = seen.iter().position(|c| *c == next) {
                return seen[i..].iter().min().copied().unwrap_or(next);
            }
            seen.push(next);
            current = next;
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

/// Something in a vocabulary a coordinator should fix: what a merge of two
/// coordinators' concurrent edits can leave (edits alone never make one).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VocabularyProblem {
    /// Replacements lead back to where they started; data recorded with
    /// these codes is counted under the first of them in code order.
    ReplacementCycle { codes: Vec<String> },
    /// A replacement names a term the vocabulary lacks.
    UnknownReplacement { code: String, replaced_by: String },
    /// A term still in use names a replacement.
    ActiveWithReplacement { code: String, replaced_by: String },
    /// Following the replacements ends at a deprecated term, so data
    /// recorded with `code` is counted under a term nobody may pick.
    EndsDeprecated { code: String, end: String },
    /// Two terms in use share a Swedish label, so a person cannot tell
    /// them apart in the picker.
    SameLabel { label: String, codes: Vec<String> },
}

impl Vocabulary {
    /// What should be fixed (see [`VocabularyProblem`]), in code order.
    pub fn problems(&self) -> Vec<VocabularyProblem> {
        use std::collections::BTreeSet;
        let mut problems = Vec::new();
        let mut in_cycle = BTreeSet::new();
        for (code, t) in &self.terms {
            let Some(r) = &t.replaced_by else { continue };
            if !self.terms.contains_key(r) {
                problems.push(VocabularyProblem::UnknownReplacement {
                    code: code.clone(),
                    replaced_by: r.clone(),
                });
                continue;
            }
            if !t.deprecated {
                problems.push(VocabularyProblem::ActiveWithReplacement {
                    code: code.clone(),
                    replaced_by: r.clone(),
                });
            }
            // Follow the chain; a code seen twice closes a cycle.
            let mut seen = vec![code.as_str()];
            let mut at = r.as_str();
            loop {
                if let Some(i) = seen.iter().position(|c| *c == at) {
                    let mut cycle: Vec<String> = seen[i..].iter().map(|c| c.to_string()).collect();
                    cycle.sort();
                    if i == 0 && in_cycle.insert(cycle.clone()) {
                        problems.push(VocabularyProblem::ReplacementCycle { codes: cycle });
                    }
                    break;
                }
                seen.push(at);
                match self.terms.get(at).and_then(|t| t.replaced_by.as_deref()) {
                    Some(next) if self.terms.contains_key(next) => at = next,
                    _ => {
                        if self.terms.get(at).is_some_and(|t| t.deprecated) {
                            problems.push(VocabularyProblem::EndsDeprecated {
                                code: code.clone(),
                                end: at.to_string(),
                            });
                        }
                        break;
                    }
                }
            }
        }
        let mut by_label: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in self.terms.values().filter(|t| !t.deprecated) {
            by_label
                .entry(t.label_sv.trim().to_lowercase())
                .or_default()
                .push(t.code.clone());
        }
        for (label, codes) in by_label {
            if codes.len() > 1 {
                problems.push(VocabularyProblem::SameLabel { label, codes });
            }
        }
        problems
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
        }
        // Replacements are not checked here: two coordinators deprecating
        // concurrently can merge into a cycle or a chain that ends at a
        // deprecated term, and a merged document must stay readable. Edits
        // refuse them ([`crate::edit::vocabulary`]); [`Vocabulary::problems`]
        // names what a merge left, for a coordinator to fix.
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
