//! The documents every organisation shares: the directory (areas, places,
//! organisations), the vocabulary and the checklist templates.

use super::*;

impl Field {
    fn shared_documents(&self, kind: DocKind) -> Result<Vec<(DocId, Arc<AnyDocument>)>> {
        let store = lock(&self.store);
        let mut out = Vec::new();
        for row in store.documents_of_kind(kind)? {
            if row.error.is_some() {
                continue;
            }
            let Ok(id) = row.doc_id.parse::<DocId>() else {
                continue;
            };
            let cached = lock(&self.cache)
                .get(&id)
                .filter(|(heads, _)| *heads == row.heads)
                .map(|(_, d)| d.clone());
            let doc = match cached {
                Some(d) => d,
                None => {
                    let d = Arc::new(store.load(id)?.read_any()?);
                    lock(&self.cache).insert(id, (row.heads.clone(), d.clone()));
                    d
                }
            };
            out.push((id, doc));
        }
        Ok(out)
    }

    /// Every directory this device has, merged: areas, places, organisations.
    pub fn directory(&self) -> Result<Directory> {
        let mut merged = Directory::default();
        for (_, d) in self.shared_documents(DocKind::Directory)? {
            if let AnyDocument::Directory(d) = &*d {
                merged.organisations.extend(d.organisations.clone());
                for (code, area) in &d.areas {
                    merged
                        .areas
                        .entry(code.clone())
                        .and_modify(|a| a.places.extend(area.places.clone()))
                        .or_insert_with(|| area.clone());
                }
            }
        }
        Ok(merged)
    }

    pub fn directory_view(&self) -> Result<DirectoryView> {
        Ok(DirectoryView::of(&self.directory()?))
    }

    /// The vocabulary this device counts with ([`Vocabulary::chosen`], as
    /// the server's dashboard picks it).
    pub fn vocabulary(&self) -> Result<Option<Vocabulary>> {
        let documents = self.shared_documents(DocKind::Vocabulary)?;
        let vocabularies = documents.iter().filter_map(|(id, d)| match &**d {
            AnyDocument::Vocabulary(v) => Some((id, v)),
            _ => None,
        });
        Ok(Vocabulary::chosen(vocabularies).cloned())
    }

    pub fn vocabulary_view(&self) -> Result<VocabularyView> {
        let Some(v) = self.vocabulary()? else {
            return Ok(VocabularyView {
                version: 0,
                groups: vec![],
                terms: vec![],
            });
        };
        let mut groups: Vec<GroupView> = v
            .groups
            .values()
            .map(|g| GroupView {
                code: g.code.clone(),
                label_sv: g.label_sv.clone(),
                label_en: g.label_en.clone(),
                order: g.order,
            })
            .collect();
        groups.sort_by_key(|g| g.order);
        Ok(VocabularyView {
            version: v.version,
            groups,
            terms: v
                .active_terms()
                .into_iter()
                .map(|t| TermView {
                    code: t.code.clone(),
                    group: t.group.clone(),
                    label_sv: t.label_sv.clone(),
                    label_en: t.label_en.clone(),
                    definition_sv: t.definition_sv.clone(),
                    definition_en: t.definition_en.clone(),
                })
                .collect(),
        })
    }

    pub(super) fn template(&self, id: DocId) -> Result<ChecklistTemplate> {
        self.templates_here()?
            .into_iter()
            .find(|(d, _)| *d == id)
            .map(|(_, t)| t)
            .ok_or_else(|| AppError::NotFound(format!("template {id}")))
    }

    /// The templates a walk can be started from. A template the server does
    /// not share (the device's own copy of the built-in one) is left out
    /// once the server shares one with the same id: a walk started from it
    /// would have a checklist nobody else can read.
    pub async fn templates(&self) -> Result<Vec<TemplateChoice>> {
        let client = self.client().await.ok();
        let templates = self.templates_here()?;
        let shared = |id: &DocId| {
            client
                .as_ref()
                .is_some_and(|c| c.server_access(id).is_some())
        };
        Ok(templates
            .iter()
            .filter(|(id, t)| {
                shared(id)
                    || !templates
                        .iter()
                        .any(|(other, o)| shared(other) && o.template_id == t.template_id)
            })
            .filter_map(|(id, t)| {
                t.latest_published().map(|v| TemplateChoice {
                    doc_id: id.to_string(),
                    title_sv: t.title_sv.clone(),
                    title_en: t.title_en.clone(),
                    version: v.version,
                })
            })
            .collect())
    }

    /// Every template document on this device that reads.
    pub(super) fn templates_here(&self) -> Result<Vec<(DocId, ChecklistTemplate)>> {
        Ok(self
            .shared_documents(DocKind::Template)?
            .into_iter()
            .filter_map(|(id, d)| match &*d {
                AnyDocument::Template(t) => Some((id, t.clone())),
                _ => None,
            })
            .collect())
    }
}
