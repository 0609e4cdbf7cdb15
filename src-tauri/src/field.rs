//! What the field app does, without Tauri: [`Field`] holds the device's store,
//! its sync client and its settings, and offers one method per thing a user
//! does. Tauri commands (`commands.rs`) only forward to it, so all of this is
//! tested and measured without a window.
//!
//! Reads for lists come from the store's derived index; a walk being worked on
//! is opened through the sync client, so edits are durable when a method
//! returns and changes from other devices arrive live.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use autosurgeon::Text;
use tokio::sync::RwLock;
use trygg_core::document::{self, AnyDocument};
use trygg_core::model::*;
use trygg_core::{DocId, DocKind, DocumentSchema, Timestamp, edit, new_entity_id};
use trygg_store::Store;
use trygg_store::index::{ActionFilter, ObservationFilter, WalkFilter, WalkRow};
use trygg_sync::access::{self, Access, Principal, Role};
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::{ApiClient, ClientConfig, PhotoFiles, SyncClient, SyncStatus};
use trygg_sync::tls::Trust;
use url::Url;

use crate::dto::*;
use crate::error::{AppError, FieldErrors, Result};
use crate::secret::Tokens;
use crate::settings::{self, Settings};

/// The CAs an `https://` server may use: public and system ones, plus
/// `TRYGG_CA_FILE` or the setting `ca_file` when given.
fn trust(s: &Settings) -> Result<Trust> {
    let file = std::env::var_os("TRYGG_CA_FILE")
        .map(PathBuf::from)
        .or_else(|| s.ca_file.as_ref().map(PathBuf::from));
    Ok(Trust::with_optional_ca_file(file.as_deref())?)
}

/// The device's state: see the module docs.
pub struct Field {
    dir: PathBuf,
    settings: Mutex<Settings>,
    tokens: Tokens,
    client: RwLock<Option<SyncClient>>,
    store: Mutex<Store>,
    photos: PhotoFiles,
    /// Shared documents (directory, vocabulary, templates) read once per version.
    cache: Mutex<HashMap<DocId, (String, Arc<AnyDocument>)>>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field").field("dir", &self.dir).finish()
    }
}

/// What saving an observation produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Saved {
    pub doc_id: String,
    pub id: String,
    /// From the call to the changes being committed to disk.
    pub durable_us: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn parse_id(id: &str) -> Result<DocId> {
    id.parse()
        .map_err(|_| AppError::NotFound(format!("document {id:?}")))
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    let mut e = FieldErrors::default();
    e.push(field, message);
    AppError::Invalid(e)
}

/// `2026-W48`: the ISO week an EST report covers.
pub fn iso_week(at: Timestamp) -> String {
    let ts = jiff::Timestamp::from_millisecond(at.millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let date = ts.to_zoned_datetime(jiff::tz::TimeZone::system()).date();
    let week = date.iso_week_date();
    format!("{}-W{:02}", week.year(), week.week())
}

impl Field {
    pub fn store_path(dir: &Path) -> PathBuf {
        dir.join("device.db")
    }

    /// Opens the device's data in `dir` and, if it was set up before, starts
    /// syncing (or works offline).
    pub async fn open(dir: impl Into<PathBuf>) -> Result<Field> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| AppError::Storage(format!("{}: {e}", dir.display())))?;
        let tokens = Tokens::new(&dir);
        let settings = settings::load(&dir, &tokens)
            .map_err(|e| AppError::Storage(format!("settings: {e}")))?;
        let store = Store::open(Self::store_path(&dir))?;
        let photos = PhotoFiles::open(dir.join("photos"))?;
        let field = Field {
            dir,
            settings: Mutex::new(settings.clone()),
            tokens,
            client: RwLock::new(None),
            store: Mutex::new(store),
            photos,
            cache: Mutex::new(HashMap::new()),
        };
        if settings.onboarded() {
            field.start_client(&settings).await?;
        }
        Ok(field)
    }

    async fn start_client(&self, s: &Settings) -> Result<()> {
        let config = match (&s.server, &s.token) {
            (Some(server), Some(token)) => ClientConfig::new(
                Url::parse(server).map_err(|e| AppError::BadServerAddress(e.to_string()))?,
                token.clone(),
                s.device_id.clone(),
            )
            .with_trust(trust(s)?),
            _ => ClientConfig::offline(s.device_id.clone()),
        };
        let client =
            SyncClient::start(Self::store_path(&self.dir), self.dir.join("photos"), config).await?;
        if let Some(old) = self.client.write().await.replace(client) {
            old.stop().await;
        }
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    fn update_settings(&self, f: impl FnOnce(&mut Settings)) -> Result<Settings> {
        let mut s = lock(&self.settings);
        let mut next = s.clone();
        f(&mut next);
        settings::save(&self.dir, &next).map_err(|e| AppError::Storage(e.to_string()))?;
        *s = next.clone();
        Ok(next)
    }

    fn me(&self) -> Result<(String, String)> {
        let s = lock(&self.settings);
        match (&s.organisation, s.device_id.is_empty()) {
            (Some(org), false) => Ok((org.clone(), s.device_id.clone())),
            _ => Err(AppError::NotOnboarded),
        }
    }

    pub fn info(&self) -> AppInfo {
        let s = lock(&self.settings);
        AppInfo {
            onboarded: s.onboarded(),
            paired: s.paired(),
            server: s.server.clone(),
            device_id: s.device_id.clone(),
            organisation: s.organisation.clone(),
            role: s.role.clone(),
            // The role's rule, as the server applies it; a role this version
            // does not know records nothing.
            may_record: match &s.role {
                Some(r) => r.parse::<Role>().is_ok_and(Role::records),
                None => true,
            },
            language: s.language.clone(),
        }
    }

    pub fn set_language(&self, language: &str) -> Result<()> {
        if !matches!(language, "sv" | "en") {
            return Err(invalid("language", "sv or en"));
        }
        self.update_settings(|s| s.language = language.into())?;
        Ok(())
    }

    /// Pairs the device with a server: asks the server who the token belongs
    /// to, keeps that, and syncs from now on. Documents made offline before are
    /// registered and uploaded.
    pub async fn pair(&self, server: &str, token: &str) -> Result<AppInfo> {
        let server = server.trim();
        let token = token.trim();
        let mut errors = FieldErrors::default();
        if server.is_empty() {
            errors.push("server", "required");
        }
        if token.is_empty() {
            errors.push("token", "required");
        }
        errors.into_result()?;
        let with_scheme = if server.contains("://") {
            server.to_string()
        } else {
            format!("http://{server}")
        };
        let url = Url::parse(&with_scheme)
            .map_err(|e| AppError::BadServerAddress(format!("{server}: {e}")))?;
        let trust = trust(&self.settings())?;
        let me = ApiClient::with_trust(&url, token, &trust)?.me().await?;
        self.tokens
            .save(token)
            .map_err(|e| AppError::Storage(format!("keeping the token: {e}")))?;
        let next = self.update_settings(|s| {
            s.server = Some(url.to_string());
            s.token = Some(token.to_string());
            s.device_id = me.device_id.clone();
            s.organisation = Some(me.organisation.clone());
            s.role = Some(me.role.to_string());
        })?;
        self.start_client(&next).await?;
        if let Some(c) = self.client.read().await.as_ref() {
            c.refresh_now();
        }
        Ok(self.info())
    }

    /// First run without a server: the device records for `organisation`, with
    /// the built-in directory, vocabulary and template.
    pub async fn continue_offline(&self, organisation: &str) -> Result<AppInfo> {
        if organisation.trim().is_empty() {
            return Err(invalid("organisation", "required"));
        }
        {
            let mut store = lock(&self.store);
            trygg_store::demo::seed(&mut store, organisation)?;
            store.reindex_dirty()?;
        }
        let next = self.update_settings(|s| {
            if s.device_id.is_empty() {
                s.device_id = format!("local-{}", uuid::Uuid::new_v4().simple());
            }
            s.organisation = Some(organisation.to_string());
            s.role = Some("field".into());
        })?;
        self.start_client(&next).await?;
        Ok(self.info())
    }

    /// The organisations the first-run screen offers when there is no server.
    pub fn builtin_organisations(&self) -> Vec<OrgView> {
        trygg_core::seed::demo::organisations()
            .iter()
            .map(|o| OrgView {
                id: o.id.clone(),
                name: o.name.clone(),
                kind: o.kind.as_str().to_string(),
            })
            .collect()
    }

    /// Who this device is for the access rules: its organisation and the
    /// role the server gave its token (an unpaired device records: `field`).
    fn principal(&self) -> Result<Principal> {
        let (org, device_id) = self.me()?;
        let role = match self.settings().role {
            Some(r) => r.parse::<Role>().map_err(AppError::Other)?,
            None => Role::Field,
        };
        Ok(Principal {
            device_id,
            org,
            role,
        })
    }

    /// This device's access to an open document, from the one access rule
    /// the server applies (`trygg_core::access::decide`): the server's own
    /// answer once it has listed the document, else the rule applied to the
    /// facts the document's content implies (offline, or not yet listed).
    fn access_to(&self, c: &SyncClient, id: &DocId) -> Result<Access> {
        if let Some(listed) = c.server_access(id) {
            return Ok(listed);
        }
        let who = self.principal()?;
        let doc = c.read(id, document::read_any)??;
        Ok(access::decide(
            &who,
            &access::access_of(*id, &doc, &who.org),
        ))
    }

    /// Refuses, before anything is written, an edit the server would ignore.
    fn require_write(&self, c: &SyncClient, id: &DocId) -> Result<()> {
        if self.access_to(c, id)?.can_write() {
            Ok(())
        } else {
            Err(AppError::ReadOnly(id.to_string()))
        }
    }

    /// Refuses a viewer (or admin) anything that creates a document, before
    /// any input is checked: the rule `may_register` starts with.
    fn require_records(&self) -> Result<()> {
        let who = self.principal()?;
        if who.role.records() {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                access::RegisterRefusal::RoleCannotCreate { role: who.role }.to_string(),
            ))
        }
    }

    /// Refuses, before anything is created, a document the server would not
    /// register for this device.
    fn require_register(&self, registration: &RegisterDocument) -> Result<()> {
        let who = self.principal()?;
        access::may_register(&who, &registration.facts(&who.org))
            .map_err(|e| AppError::Forbidden(e.to_string()))
    }

    async fn with_client<R>(&self, f: impl AsyncFnOnce(&SyncClient) -> Result<R>) -> Result<R> {
        let guard = self.client.read().await;
        let client = guard.as_ref().ok_or(AppError::NotOnboarded)?;
        f(client).await
    }

    /// Opens a document (from this device or the server) and edits it in one
    /// transaction, durable when this returns.
    async fn edit_document<R>(
        &self,
        id: DocId,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>) -> Result<R, trygg_core::DocError>,
    ) -> Result<R> {
        self.with_client(async |c| {
            c.open(&id).await?;
            self.require_write(c, &id)?;
            Ok(c.edit(&id, f)?)
        })
        .await
    }

    pub async fn status(&self) -> Result<SyncStatus> {
        self.with_client(async |c| Ok(c.status().borrow().clone()))
            .await
    }

    /// A receiver of the sync status of the client running now.
    pub async fn status_updates(&self) -> Option<tokio::sync::watch::Receiver<SyncStatus>> {
        self.client.read().await.as_ref().map(|c| c.status())
    }

    /// A signal per change of an open document (local or from another device).
    pub async fn changes(&self, id: &str) -> Result<tokio::sync::mpsc::UnboundedReceiver<()>> {
        let id = parse_id(id)?;
        self.with_client(async |c| {
            c.open(&id).await?;
            Ok(c.changes(&id)?)
        })
        .await
    }

    // ---- shared documents: directory, vocabulary, templates ----

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

    fn template(&self, id: DocId) -> Result<ChecklistTemplate> {
        self.shared_documents(DocKind::Template)?
            .into_iter()
            .find(|(d, _)| *d == id)
            .and_then(|(_, d)| match &*d {
                AnyDocument::Template(t) => Some(t.clone()),
                _ => None,
            })
            .ok_or_else(|| AppError::NotFound(format!("template {id}")))
    }

    pub fn templates(&self) -> Result<Vec<TemplateChoice>> {
        Ok(self
            .shared_documents(DocKind::Template)?
            .into_iter()
            .filter_map(|(id, d)| match &*d {
                AnyDocument::Template(t) => t.latest_published().map(|v| TemplateChoice {
                    doc_id: id.to_string(),
                    title_sv: t.title_sv.clone(),
                    title_en: t.title_en.clone(),
                    version: v.version,
                }),
                _ => None,
            })
            .collect())
    }

    // ---- walks ----

    pub fn walks(&self, status: Option<String>, area: Option<String>) -> Result<Vec<WalkRow>> {
        let store = lock(&self.store);
        Ok(store.walks(&WalkFilter {
            area: area.filter(|a| !a.is_empty()),
            status: status.filter(|s| !s.is_empty()),
            limit: Some(500),
        })?)
    }

    pub async fn start_walk(&self, input: StartWalk) -> Result<String> {
        let (org, device) = self.me()?;
        self.require_records()?;
        let mut errors = FieldErrors::default();
        if input.route_name.trim().is_empty() {
            errors.push("route_name", "required");
        }
        if input.area.is_empty() {
            errors.push("area", "required");
        } else if !self.directory()?.areas.contains_key(&input.area) {
            errors.push("area", "unknown area");
        }
        let light = input.light.parse::<Light>();
        if light.is_err() {
            errors.push("light", "daylight or dark");
        }
        let template_id = input.template_doc.parse::<DocId>().ok();
        if template_id.is_none() {
            errors.push("template_doc", "required");
        }
        errors.into_result()?;
        let template_doc = template_id.expect("checked above");
        let template = self.template(template_doc)?;
        let version = template
            .latest_published()
            .ok_or_else(|| invalid("template_doc", "the template has no published version"))?;
        let now = Timestamp::now();
        let organisations: BTreeMap<String, Timestamp> = input
            .organisations
            .iter()
            .cloned()
            .chain([org.clone()])
            .map(|o| (o, now))
            .collect();
        let walk = Walk {
            template: TemplateRef {
                doc_id: template_doc.to_string(),
                template_id: template.template_id.clone(),
                version: version.version,
            },
            area: input.area.clone(),
            route_name: input.route_name.trim().to_string(),
            light: light.expect("checked above"),
            status: if input.start_now {
                WalkStatus::InProgress
            } else {
                WalkStatus::Planned
            },
            planned_at: Some(now),
            started_at: input.start_now.then_some(now),
            ended_at: None,
            owner_org: org.clone(),
            organisations,
            created_by: device,
            created_at: now,
            answers: BTreeMap::new(),
            observations: BTreeMap::new(),
            notes: Text::with_value(""),
        };
        let mut doc = document::create(&walk)?;
        let id = DocId::random();
        let shared_with: BTreeSet<String> = walk
            .organisations
            .keys()
            .filter(|o| **o != org)
            .cloned()
            .collect();
        let registration = RegisterDocument {
            id,
            kind: DocKind::Walk,
            area: Some(walk.area.clone()),
            shared_with,
            restricted: false,
            responsible_org: None,
        };
        self.require_register(&registration)?;
        self.with_client(async |c| {
            c.create(&mut doc, registration).await?;
            Ok(())
        })
        .await?;
        Ok(id.to_string())
    }

    async fn read_walk(&self, id: DocId) -> Result<(Walk, Vec<String>)> {
        self.with_client(async |c| {
            c.open(&id).await?;
            let (walk, heads) = c.read(&id, |d| {
                let heads: Vec<String> = d.get_heads().iter().map(|h| h.to_string()).collect();
                (document::read::<Walk, _>(d), heads)
            })?;
            Ok((walk?, heads))
        })
        .await
    }

    pub async fn walk(&self, id: &str) -> Result<WalkView> {
        let doc_id = parse_id(id)?;
        let (walk, heads) = self.read_walk(doc_id).await?;
        let access = self
            .with_client(async |c| self.access_to(c, &doc_id))
            .await?;
        let template = self.template_of(&walk);
        let version = template
            .as_ref()
            .and_then(|t| t.version(walk.template.version));
        let mut observations: Vec<ObservationView> = walk
            .observations
            .values()
            .map(|o| ObservationView::of(id, o))
            .collect();
        observations.sort_by_key(|o| (o.observed_at, o.id.clone()));
        Ok(WalkView {
            id: id.to_string(),
            area: walk.area.clone(),
            route_name: walk.route_name.clone(),
            light: walk.light.as_str().into(),
            status: walk.status.as_str().into(),
            owner_org: walk.owner_org.clone(),
            organisations: walk.organisations.keys().cloned().collect(),
            planned_at: walk.planned_at.map(Timestamp::millis),
            started_at: walk.started_at.map(Timestamp::millis),
            ended_at: walk.ended_at.map(Timestamp::millis),
            template_title_sv: template
                .as_ref()
                .map(|t| t.title_sv.clone())
                .unwrap_or_default(),
            template_title_en: template
                .as_ref()
                .map(|t| t.title_en.clone())
                .unwrap_or_default(),
            sections: version.map(sections_of).unwrap_or_default(),
            answers: walk
                .answers
                .iter()
                .map(|(k, a)| (k.clone(), AnswerInput::from_value(&a.value)))
                .collect(),
            observations,
            heads,
            editable: access.can_write()
                && matches!(walk.status, WalkStatus::Planned | WalkStatus::InProgress),
            read_only: !access.can_write(),
        })
    }

    pub async fn answer(
        &self,
        walk: &str,
        item_id: &str,
        input: Option<AnswerInput>,
    ) -> Result<()> {
        let (_, device) = self.me()?;
        let id = parse_id(walk)?;
        let value = input.map(AnswerInput::into_value).transpose()?;
        if let Some(v) = &value {
            v.validate().map_err(|e| {
                let mut f = FieldErrors::default();
                for p in e.0 {
                    f.push(item_id, p.message);
                }
                AppError::Invalid(f)
            })?;
        }
        self.edit_document(id, |tx| match &value {
            Some(value) => {
                // Answering a planned walk starts it.
                let status: WalkStatus = autosurgeon::hydrate_prop(&*tx, automerge::ROOT, "status")
                    .map_err(|e| trygg_core::DocError::Malformed {
                        kind: DocKind::Walk,
                        detail: e.to_string(),
                    })?;
                if status == WalkStatus::Planned {
                    edit::set_walk_status(tx, WalkStatus::InProgress, Timestamp::now())?;
                }
                edit::set_answer(
                    tx,
                    item_id,
                    &Answer {
                        value: value.clone(),
                        answered_by: device.clone(),
                        answered_at: Timestamp::now(),
                    },
                )
            }
            None => edit::clear_answer(tx, item_id),
        })
        .await
    }

    /// The template a walk was started from, if this device has it.
    fn template_of(&self, walk: &Walk) -> Option<ChecklistTemplate> {
        let id = walk.template.doc_id.parse::<DocId>().ok()?;
        self.template(id).ok()
    }

    /// Required items of the walk's template that have no answer.
    fn unanswered_required(&self, walk: &Walk) -> Vec<String> {
        let Some(template) = self.template_of(walk) else {
            return vec![];
        };
        let Some(version) = template.version(walk.template.version) else {
            return vec![];
        };
        version
            .items()
            .filter(|i| i.required && !walk.answers.contains_key(&i.id))
            .map(|i| i.id.clone())
            .collect()
    }

    /// Marks a walk completed; refused, naming each item, while required
    /// items are unanswered.
    pub async fn complete_walk(&self, walk: &str) -> Result<()> {
        let id = parse_id(walk)?;
        let (w, _) = self.read_walk(id).await?;
        let mut errors = FieldErrors::default();
        for item in self.unanswered_required(&w) {
            errors.push(item, "required");
        }
        errors.into_result()?;
        self.with_client(async |c| {
            self.require_write(c, &id)?;
            c.edit(&id, |tx| {
                edit::set_walk_status(tx, WalkStatus::Completed, Timestamp::now())
            })?;
            Ok(())
        })
        .await
    }

    pub async fn set_walk_status(&self, walk: &str, status: &str) -> Result<()> {
        let id = parse_id(walk)?;
        let next: WalkStatus = status.parse().map_err(|e: String| invalid("status", e))?;
        if next == WalkStatus::Completed {
            return self.complete_walk(walk).await;
        }
        self.edit_document(id, |tx| edit::set_walk_status(tx, next, Timestamp::now()))
            .await
    }

    // ---- observations ----

    fn check_observation(&self, input: &ObservationInput) -> Result<(Severity, Location, u64)> {
        let mut errors = FieldErrors::default();
        let vocabulary = self.vocabulary()?;
        if input.category.is_empty() {
            errors.push("category", "required");
        } else if let Some(v) = &vocabulary
            && !v.terms.contains_key(&input.category)
        {
            errors.push("category", "not in the vocabulary");
        }
        let severity = Severity::new(input.severity);
        if let Err(e) = &severity {
            errors.push("severity", e.clone());
        }
        let location = input.location.clone().map(LocationInput::into_location);
        match &location {
            None => errors.push("location", "required"),
            Some(l) => {
                if let Err(e) = l.validate() {
                    for p in e.0 {
                        errors.push("location", p.message);
                    }
                }
            }
        }
        for p in &input.photos {
            if let Err(e) = p.clone().into_ref().validate() {
                for problem in e.0 {
                    errors.push("photos", problem.message);
                }
            }
        }
        errors.into_result()?;
        Ok((
            severity.expect("checked"),
            location.expect("checked"),
            vocabulary.map_or(0, |v| v.version),
        ))
    }

    /// This week's EST report of the device's organisation for `area`.
    async fn report_for(&self, c: &SyncClient, area: &str, restricted: bool) -> Result<DocId> {
        let (org, _) = self.me()?;
        let now = Timestamp::now();
        let week = iso_week(now);
        let sensitivity = if restricted {
            Sensitivity::Restricted
        } else {
            Sensitivity::Shared
        };
        let key = format!("{area}|{week}|{sensitivity}|{org}");
        if let Some(id) = self.settings().est_reports.get(&key)
            && let Ok(id) = id.parse::<DocId>()
        {
            return Ok(id);
        }
        let report = Report {
            organisation: org,
            area: area.to_string(),
            sensitivity,
            walk: None,
            period: Some(week),
            created_at: now,
            observations: BTreeMap::new(),
        };
        let mut doc = document::create(&report)?;
        let id = DocId::random();
        let registration = RegisterDocument {
            id,
            kind: DocKind::Report,
            area: Some(area.to_string()),
            shared_with: BTreeSet::new(),
            restricted,
            responsible_org: None,
        };
        self.require_register(&registration)?;
        c.create(&mut doc, registration).await?;
        self.update_settings(|s| {
            s.est_reports.insert(key, id.to_string());
        })?;
        Ok(id)
    }

    /// Saves a new observation; durable on this device when it returns.
    pub async fn add_observation(
        &self,
        target: ObservationTarget,
        input: ObservationInput,
    ) -> Result<Saved> {
        if matches!(target, ObservationTarget::Report { .. }) {
            self.require_records()?;
        }
        let started = Instant::now();
        let (org, device) = self.me()?;
        if let ObservationTarget::Report { area, .. } = &target
            && !self.directory()?.areas.contains_key(area)
        {
            return Err(invalid("area", "required"));
        }
        let (severity, location, vocabulary_version) = self.check_observation(&input)?;
        let restricted = matches!(
            target,
            ObservationTarget::Report {
                restricted: true,
                ..
            }
        );
        let observation = Observation {
            id: new_entity_id(),
            category: input.category.clone(),
            vocabulary_version,
            severity,
            note: Text::with_value(input.note.as_str()),
            location: Some(location),
            observed_at: Timestamp::now(),
            recorded_by: device,
            organisation: org,
            photos: input
                .photos
                .iter()
                .cloned()
                .map(PhotoView::into_ref)
                .collect(),
            sensitivity: if restricted {
                Sensitivity::Restricted
            } else {
                Sensitivity::Shared
            },
            item_id: input.item_id.clone(),
        };
        let doc_id = self
            .with_client(async |c| {
                let id = match &target {
                    ObservationTarget::Walk { walk } => parse_id(walk)?,
                    ObservationTarget::Report { area, restricted } => {
                        self.report_for(c, area, *restricted).await?
                    }
                };
                c.open(&id).await?;
                self.require_write(c, &id)?;
                c.edit(&id, |tx| edit::put_observation(tx, &observation))?;
                Ok(id)
            })
            .await?;
        Ok(Saved {
            doc_id: doc_id.to_string(),
            id: observation.id,
            durable_us: started.elapsed().as_micros() as u64,
        })
    }

    /// Applies a note field's change from `before` to `text`, keeping edits
    /// from other devices that the field has not shown yet.
    pub async fn set_note(
        &self,
        doc: &str,
        observation: &str,
        before: &str,
        text: &str,
    ) -> Result<()> {
        let id = parse_id(doc)?;
        self.edit_document(id, |tx| edit::rebase_note(tx, observation, before, text))
            .await
    }

    pub async fn set_severity(&self, doc: &str, observation: &str, level: u8) -> Result<()> {
        let id = parse_id(doc)?;
        let severity = Severity::new(level).map_err(|e| invalid("severity", e))?;
        self.edit_document(id, |tx| edit::set_severity(tx, observation, severity))
            .await
    }

    /// The newest EST observations this device can see (outside walks).
    pub fn recent_reports(&self) -> Result<Vec<trygg_store::index::ObservationRow>> {
        let store = lock(&self.store);
        Ok(store
            .observations(&ObservationFilter {
                limit: Some(200),
                ..Default::default()
            })?
            .into_iter()
            .filter(|o| o.doc_kind == DocKind::Report.as_str())
            .take(50)
            .collect())
    }

    // ---- photos ----

    /// Keeps a photo on this device and queues it for upload. The photo is
    /// decoded and encoded again (off the async threads), so no location or
    /// device metadata survives; a WebP is kept as JPEG. Too large, not an
    /// image, or HEIC: a clear error, nothing stored.
    pub async fn add_photo(&self, bytes: &[u8], media_type: &str) -> Result<PhotoView> {
        let size = bytes.len() as u64;
        if size > MAX_PHOTO_BYTES {
            return Err(AppError::PhotoTooLarge {
                size,
                limit: MAX_PHOTO_BYTES,
            });
        }
        if size == 0 {
            return Err(invalid("photos", "the file is empty"));
        }
        let (bytes, media) = (bytes.to_vec(), media_type.to_string());
        let clean = tokio::task::spawn_blocking(move || trygg_sync::photo::clean(&bytes, &media))
            .await
            .map_err(|e| AppError::Other(format!("the photo could not be read: {e}")))?
            .map_err(|e| invalid("photos", e.to_string()))?;
        let sha256 = self.with_client(async |c| Ok(c.add_photo(&clean)?)).await?;
        Ok(PhotoView {
            sha256,
            size: clean.bytes().len() as u64,
            media_type: clean.media_type().to_string(),
            caption: String::new(),
        })
    }

    /// A photo's bytes: from this device, or else fetched from the server.
    pub async fn photo(&self, sha256: &str) -> Result<Vec<u8>> {
        if !trygg_sync::photo::is_sha256_hex(sha256) {
            return Err(AppError::NotFound(format!("photo {sha256:?}")));
        }
        if let Ok(bytes) = self.photos.get(sha256) {
            return Ok(bytes);
        }
        let bytes = self
            .with_client(async |c| Ok(c.api()?.get_photo(sha256).await?))
            .await?;
        self.photos.put(&bytes)?;
        Ok(bytes)
    }

    // ---- actions ----

    pub async fn propose_action(&self, input: ProposeAction) -> Result<String> {
        let (org, _) = self.me()?;
        self.require_records()?;
        let mut errors = FieldErrors::default();
        if input.description.trim().is_empty() {
            errors.push("description", "required");
        }
        if input.responsible_org.is_empty() {
            errors.push("responsible_org", "required");
        } else if !self
            .directory()?
            .organisations
            .contains_key(&input.responsible_org)
        {
            errors.push("responsible_org", "unknown organisation");
        }
        let due_date = input.due_date.clone().filter(|d| !d.is_empty());
        if let Some(d) = &due_date
            && d.parse::<jiff::civil::Date>().is_err()
        {
            errors.push("due_date", "a date (YYYY-MM-DD)");
        }
        errors.into_result()?;
        let source = parse_id(&input.observation_doc)?;
        // The action is seen by the organisations of the walk it came from.
        let (area, partners) = self
            .with_client(async |c| {
                c.open(&source).await?;
                c.read(&source, |d| match document::read_any(d) {
                    Ok(AnyDocument::Walk(w)) => Ok((w.area, w.organisations.into_keys().collect())),
                    Ok(AnyDocument::Report(r)) => Ok((r.area, BTreeSet::new())),
                    Ok(_) => Err(invalid("observation_doc", "not a walk or report")),
                    Err(e) => Err(AppError::from(e)),
                })?
            })
            .await?;
        let partners: BTreeSet<String> = partners;
        let action = Action {
            observations: vec![ObservationRef {
                doc_id: input.observation_doc.clone(),
                observation_id: input.observation_id.clone(),
            }],
            responsible_org: input.responsible_org.clone(),
            proposed_by_org: org.clone(),
            area: area.clone(),
            description: Text::with_value(input.description.trim()),
            due_date,
            status: ActionStatus::Proposed,
            created_at: Timestamp::now(),
            comments: BTreeMap::new(),
        };
        action.validate()?;
        let mut doc = document::create(&action)?;
        let id = DocId::random();
        let shared_with = partners
            .into_iter()
            .filter(|o| *o != org && *o != input.responsible_org)
            .collect();
        let registration = RegisterDocument {
            id,
            kind: DocKind::Action,
            area: Some(area),
            shared_with,
            restricted: false,
            responsible_org: Some(input.responsible_org.clone()),
        };
        self.require_register(&registration)?;
        self.with_client(async |c| {
            c.create(&mut doc, registration).await?;
            Ok(())
        })
        .await?;
        Ok(id.to_string())
    }

    /// Actions this organisation must carry out, and those it proposed.
    pub fn actions(&self) -> Result<Vec<ActionView>> {
        let who = self.principal()?;
        let org = who.org.clone();
        let store = lock(&self.store);
        let mut rows = store.actions(&ActionFilter {
            responsible_org: Some(org.clone()),
            ..Default::default()
        })?;
        rows.extend(
            store
                .actions(&ActionFilter::default())?
                .into_iter()
                .filter(|a| a.proposed_by_org == org && a.responsible_org != org),
        );
        let mut out = Vec::new();
        for row in rows {
            let Ok(id) = row.doc_id.parse::<DocId>() else {
                continue;
            };
            let action = match store.load(id).and_then(|h| h.read::<Action>()) {
                Ok(a) => a,
                Err(_) => continue,
            };
            let description = action.description.as_str().to_string();
            let facts = access::access_of(id, &AnyDocument::Action(action), &org);
            out.push(ActionView {
                may_update: access::decide(&who, &facts).can_write(),
                id: row.doc_id,
                description,
                responsible_org: row.responsible_org,
                proposed_by_org: row.proposed_by_org,
                area: row.area,
                due_date: row.due_date,
                status: row.status,
                created_at: row.created_at,
            });
        }
        Ok(out)
    }

    pub async fn set_action_status(&self, action: &str, status: &str) -> Result<()> {
        let id = parse_id(action)?;
        let next: ActionStatus = status.parse().map_err(|e: String| invalid("status", e))?;
        self.edit_document(id, |tx| edit::set_action_status(tx, next))
            .await
    }

    /// Stops syncing; every write started is finished first.
    pub async fn shutdown(&self) {
        if let Some(c) = self.client.write().await.take() {
            c.stop().await;
        }
    }
}
