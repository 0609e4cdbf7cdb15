//! Setting the device up: pairing with a server, or working offline for an
//! organisation; what the app shows about itself; its language.

use super::*;

impl Field {
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
        // What this device recorded offline it recorded for its organisation:
        // a token of another one would send it out under the wrong name.
        let settings = self.settings();
        if let Some(offline) = settings
            .organisation
            .as_deref()
            .filter(|_| !settings.paired())
            && offline != me.organisation
        {
            return Err(invalid(
                "token",
                format!(
                    "this token belongs to {}, but this device has recorded offline for {offline}: use a token of {offline}",
                    me.organisation
                ),
            ));
        }
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
        self.client().await?.refresh_now();
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
            s.offline_walks = true;
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
}

/// What pairing did to the walks this organisation started offline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfflineWalks {
    /// Walks that now follow a checklist the server shares.
    pub moved: Vec<DocId>,
    /// Walks whose checklist the server has no copy of: they keep the
    /// device's own, which only this device can read.
    pub stranded: Vec<DocId>,
}

impl Field {
    /// Walks started before pairing follow the device's own copy of the
    /// built-in checklist, which the server refuses (templates are the
    /// coordinators'), so partners would see no checklist. Each such walk
    /// moves to the template the server shares with the same id, version and
    /// questions ([`edit::move_walk_template`]); a walk with no such template
    /// stays as it is and is named in `stranded` (and in the log), to be
    /// tried again later (the app does, every 30 s: `settle_offline_walks`).
    /// Syncs the list of documents with the server first; does nothing on a
    /// device that never recorded offline, or once every walk has moved.
    pub async fn move_offline_walks(&self) -> Result<OfflineWalks> {
        let mut out = OfflineWalks::default();
        let settings = self.settings();
        if !settings.paired() || !settings.offline_walks {
            return Ok(out);
        }
        let client = self.client().await?;
        client.refresh().await?;
        // The server lists what it shares; the device's own copies it never took.
        let (shared, own): (Vec<_>, Vec<_>) = self
            .templates_here()?
            .into_iter()
            .partition(|(id, _)| client.server_access(id).is_some());
        let (org, _) = self.me()?;
        let rows = lock(&self.store).walks(&WalkFilter::default())?;
        let candidates = rows.into_iter().filter(|r| {
            r.owner_org == org && own.iter().any(|(_, t)| t.template_id == r.template_id)
        });
        for row in candidates {
            let id = parse_id(&row.doc_id)?;
            client.open(&id).await?;
            let current: TemplateRef = client
                .read(&id, |d| {
                    autosurgeon::hydrate_prop(d, automerge::ROOT, "template")
                })?
                .map_err(|e| AppError::Other(format!("walk {id}: its template: {e}")))?;
            let Some((_, mine)) = own.iter().find(|(t, _)| t.to_string() == current.doc_id) else {
                continue;
            };
            let same = |t: &ChecklistTemplate| {
                t.template_id == current.template_id
                    && match (t.version(current.version), mine.version(current.version)) {
                        (Some(theirs), Some(ours)) => theirs.same_checklist(ours),
                        _ => false,
                    }
            };
            match shared.iter().find(|(_, t)| same(t)) {
                Some((to, _)) => {
                    let to = TemplateRef {
                        doc_id: to.to_string(),
                        ..current
                    };
                    self.edit_document(id, |tx| edit::move_walk_template(tx, &to))
                        .await?;
                    tracing::info!(walk = %id, template = %to.doc_id, "a walk started offline now follows the server's checklist");
                    out.moved.push(id);
                }
                None => {
                    tracing::error!(walk = %id, template = %current.template_id, version = current.version, "a walk started offline follows a checklist the server does not share (yet); only this device can read it");
                    out.stranded.push(id);
                }
            }
        }
        if out.stranded.is_empty() {
            self.update_settings(|s| s.offline_walks = false)?;
        }
        Ok(out)
    }
}
