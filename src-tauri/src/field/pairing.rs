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
