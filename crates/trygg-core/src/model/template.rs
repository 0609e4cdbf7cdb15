//! Checklist templates. A template keeps all its versions; a version is
//! immutable once it is published (a walk may use only published versions).

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::{Hydrate, Reconcile};

use super::{check_key, require_text};
use crate::document::{DocKind, DocumentSchema};
use crate::error::{DocError, ValidationErrors};
use crate::time::Timestamp;

crate::code_enum! {
    /// How an item is answered.
    pub enum ItemKind {
        /// Yes, no or not applicable.
        YesNo = "yes_no",
        /// 1 (poor) to 5 (good).
        Rating = "rating",
        Number = "number",
        Text = "text",
        /// A term from one vocabulary group.
        Choice = "choice",
        Photo = "photo",
        Location = "location",
    }
}

/// One question on the checklist.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Item {
    #[key]
    pub id: String,
    pub kind: ItemKind,
    pub prompt_sv: String,
    pub prompt_en: String,
    pub help_sv: String,
    pub required: bool,
    /// For [`ItemKind::Choice`]: the vocabulary group to choose from.
    pub vocabulary_group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Section {
    #[key]
    pub id: String,
    pub title_sv: String,
    pub title_en: String,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct TemplateVersion {
    pub version: u32,
    /// Set when the version is published; from then on it never changes.
    pub published_at: Option<Timestamp>,
    pub sections: Vec<Section>,
}

impl TemplateVersion {
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.sections.iter().flat_map(|s| s.items.iter())
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items().find(|i| i.id == id)
    }

    /// Whether `other` asks the same questions: the same sections and items
    /// (ids, kinds, wording, what is required), whenever each was published.
    pub fn same_checklist(&self, other: &TemplateVersion) -> bool {
        self.version == other.version && self.sections == other.sections
    }
}

/// The template document.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct ChecklistTemplate {
    /// Stable template id, e.g. `trygghetsvandring-grund`.
    pub template_id: String,
    pub title_sv: String,
    pub title_en: String,
    /// The organisation that maintains it.
    pub owner_org: String,
    /// Versions keyed by their number written in decimal.
    pub versions: BTreeMap<String, TemplateVersion>,
}

impl ChecklistTemplate {
    pub fn version(&self, v: u32) -> Option<&TemplateVersion> {
        self.versions.get(&v.to_string())
    }

    /// The newest published version.
    pub fn latest_published(&self) -> Option<&TemplateVersion> {
        self.versions
            .values()
            .filter(|v| v.published_at.is_some())
            .max_by_key(|v| v.version)
    }

    /// Replaces a draft version's sections; refuses to touch a published one.
    pub fn set_draft(&mut self, version: u32, sections: Vec<Section>) -> Result<(), DocError> {
        let key = version.to_string();
        if let Some(existing) = self.versions.get(&key)
            && existing.published_at.is_some()
        {
            return Err(DocError::Forbidden(format!(
                "version {version} of template {} is published and cannot change; make a new version",
                self.template_id
            )));
        }
        self.versions.insert(
            key,
            TemplateVersion {
                version,
                published_at: None,
                sections,
            },
        );
        Ok(())
    }

    /// Freezes a version.
    pub fn publish(&mut self, version: u32, at: Timestamp) -> Result<(), DocError> {
        let v = self
            .versions
            .get_mut(&version.to_string())
            .ok_or_else(|| DocError::NotFound {
                what: "template version",
                id: version.to_string(),
            })?;
        if v.published_at.is_none() {
            v.published_at = Some(at);
        }
        Ok(())
    }
}

impl DocumentSchema for ChecklistTemplate {
    const KIND: DocKind = DocKind::Template;
    const SCHEMA_VERSION: u64 = 1;

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        require_text(&mut e, "template_id", &self.template_id);
        require_text(&mut e, "title_sv", &self.title_sv);
        for (key, v) in &self.versions {
            let path = format!("versions.{key}");
            check_key(&mut e, &path, key, &v.version.to_string());
            let mut ids = BTreeSet::new();
            for s in &v.sections {
                require_text(
                    &mut e,
                    &format!("{path}.sections.{}.title_sv", s.id),
                    &s.title_sv,
                );
                for item in &s.items {
                    let ipath = format!("{path}.items.{}", item.id);
                    if !ids.insert(item.id.as_str()) {
                        e.push(&ipath, "item id is used twice");
                    }
                    require_text(&mut e, &format!("{ipath}.prompt_sv"), &item.prompt_sv);
                    match (item.kind, &item.vocabulary_group) {
                        (ItemKind::Choice, None) => {
                            e.push(&ipath, "a choice item needs a vocabulary group")
                        }
                        (k, Some(_)) if k != ItemKind::Choice => {
                            e.push(&ipath, "only a choice item has a vocabulary group")
                        }
                        _ => {}
                    }
                }
            }
        }
        e.into_result()
    }
}
