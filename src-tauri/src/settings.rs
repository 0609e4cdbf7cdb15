//! The device's settings file (`settings.json` in the app's data folder):
//! pairing, organisation, language. Written atomically: a crash mid-write
//! leaves the previous file. The token is not in it: it lives in the OS
//! keyring or a private file ([`crate::secret`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secret::Tokens;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Empty until first run is done.
    pub device_id: String,
    pub organisation: Option<String>,
    pub role: Option<String>,
    pub server: Option<String>,
    /// Held in memory from [`Tokens`]; read from the file only to move a
    /// token an earlier version kept there, and never written to it.
    #[serde(skip_serializing)]
    pub token: Option<String>,
    /// A PEM file of a CA to trust for an `https://` server beyond the public
    /// and system ones (`TRYGG_CA_FILE` overrides it).
    pub ca_file: Option<String>,
    /// `sv` (default) or `en`.
    pub language: String,
    /// This week's EST report per `area|week|sensitivity`, so reports of one
    /// week gather in one document.
    pub est_reports: BTreeMap<String, String>,
    /// The device recorded offline, so walks may follow its own copy of the
    /// built-in checklist; cleared once every such walk follows the server's
    /// (`Field::move_offline_walks`).
    pub offline_walks: bool,
}

impl Settings {
    pub fn onboarded(&self) -> bool {
        !self.device_id.is_empty() && self.organisation.is_some()
    }

    pub fn paired(&self) -> bool {
        self.server.is_some() && self.token.is_some()
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join("settings.json")
}

/// The settings in `dir`, with the token from `tokens`; defaults when there
/// are none yet. A damaged file is kept aside (`settings.json.damaged`) and
/// the device starts as new. A token found in the file (written by an earlier
/// version) is moved to `tokens` and the file rewritten without it.
pub fn load(dir: &Path, tokens: &Tokens) -> std::io::Result<Settings> {
    let file = path(dir);
    let mut settings = match std::fs::read(&file) {
        Ok(bytes) => match serde_json::from_slice::<Settings>(&bytes) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(%e, "settings.json is damaged; kept as settings.json.damaged");
                std::fs::rename(&file, dir.join("settings.json.damaged"))?;
                Settings::default()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
        Err(e) => return Err(e),
    };
    if settings.language.is_empty() {
        settings.language = "sv".into();
    }
    match settings.token.take() {
        Some(legacy) => {
            let place = tokens.save(&legacy)?;
            save(dir, &settings)?;
            tracing::info!(?place, "moved the token out of settings.json");
            settings.token = Some(legacy);
        }
        None => settings.token = tokens.load()?,
    }
    Ok(settings)
}

pub fn save(dir: &Path, settings: &Settings) -> std::io::Result<()> {
    let file = path(dir);
    let tmp = dir.join("settings.json.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &file)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::file_only(dir.path());
        let load = |dir: &Path| load(dir, &tokens);
        let fresh = load(dir.path()).unwrap();
        assert_eq!(fresh.language, "sv");
        assert!(!fresh.onboarded());

        let mut s = fresh.clone();
        s.device_id = "d1".into();
        s.organisation = Some("demo-sdf-norr".into());
        save(dir.path(), &s).unwrap();
        assert_eq!(load(dir.path()).unwrap(), s);
        assert!(load(dir.path()).unwrap().onboarded());

        std::fs::write(path(dir.path()), b"{not json").unwrap();
        let after = load(dir.path()).unwrap();
        assert!(!after.onboarded());
        assert!(dir.path().join("settings.json.damaged").exists());
    }

    #[test]
    fn the_token_is_never_written_to_the_settings_file_and_an_old_one_is_moved_out() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::file_only(dir.path());
        let mut s = load(dir.path(), &tokens).unwrap();
        s.server = Some("http://127.0.0.1:1/".into());
        s.token = Some("trygg_secret".into());
        save(dir.path(), &s).unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains("trygg_secret"), "{text}");

        // An earlier version wrote it into settings.json.
        std::fs::write(
            path(dir.path()),
            r#"{"device_id":"d1","organisation":"o","server":"http://x/","token":"trygg_old"}"#,
        )
        .unwrap();
        let moved = load(dir.path(), &tokens).unwrap();
        assert_eq!(moved.token.as_deref(), Some("trygg_old"));
        assert!(moved.paired());
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(!text.contains("trygg_old"), "{text}");
        assert_eq!(tokens.load().unwrap().as_deref(), Some("trygg_old"));
        assert_eq!(
            load(dir.path(), &tokens).unwrap().token.as_deref(),
            Some("trygg_old")
        );
    }
}
