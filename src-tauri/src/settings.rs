//! The device's settings file (`settings.json` in the app's data folder):
//! pairing, organisation, language. Written atomically: a crash mid-write
//! leaves the previous file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Empty until first run is done.
    pub device_id: String,
    pub organisation: Option<String>,
    pub role: Option<String>,
    pub server: Option<String>,
    pub token: Option<String>,
    /// `sv` (default) or `en`.
    pub language: String,
    /// This week's EST report per `area|week|sensitivity`, so reports of one
    /// week gather in one document.
    pub est_reports: BTreeMap<String, String>,
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

/// The settings in `dir`; defaults when there are none yet. A damaged file is
/// kept aside (`settings.json.damaged`) and the device starts as new.
pub fn load(dir: &Path) -> std::io::Result<Settings> {
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
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
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
}
