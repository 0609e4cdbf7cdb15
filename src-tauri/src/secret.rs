//! Where the device keeps its token: the OS keyring (the Secret Service on
//! Linux: GNOME Keyring, KWallet) where there is one, else a file `token` in
//! the app's data folder that only its owner may read (0600).
//!
//! The keyring entry is named by the data folder, so two installations (or
//! test runs) on one account keep separate tokens. `TRYGG_TOKEN_STORE=file`
//! skips the keyring. `settings.json` never holds the token: one written by
//! an earlier version is moved out when the settings are loaded.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The keyring service name: the app's identifier.
const SERVICE: &str = "se.trygg.field";

/// Where a token went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Keyring,
    File,
}

/// The device's token store: see the module docs.
#[derive(Clone, Debug)]
pub struct Tokens {
    dir: PathBuf,
    keyring: bool,
}

impl Tokens {
    /// The keyring if there is one (unless `TRYGG_TOKEN_STORE=file`), else
    /// the file.
    pub fn new(dir: &Path) -> Tokens {
        let file_only = std::env::var("TRYGG_TOKEN_STORE").is_ok_and(|v| v == "file");
        Tokens {
            dir: dir.to_path_buf(),
            keyring: !file_only,
        }
    }

    /// Only the file, never the keyring.
    pub fn file_only(dir: &Path) -> Tokens {
        Tokens {
            dir: dir.to_path_buf(),
            keyring: false,
        }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("token")
    }

    fn entry(&self) -> keyring::Result<keyring::Entry> {
        let folder = fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        keyring::Entry::new(SERVICE, &folder.display().to_string())
    }

    /// Keeps `token`, replacing any earlier one in either place.
    pub fn save(&self, token: &str) -> io::Result<Place> {
        if self.keyring {
            match self.entry().and_then(|e| e.set_password(token)) {
                Ok(()) => {
                    remove_if_there(&self.file())?;
                    return Ok(Place::Keyring);
                }
                Err(e) => tracing::info!(
                    error = %e,
                    "no OS keyring; the token goes to a file only this user may read"
                ),
            }
        }
        write_private(&self.file(), token)?;
        Ok(Place::File)
    }

    /// The token, from the keyring or else the file; `None` when there is none.
    /// A file others could read is made private (and that is logged).
    pub fn load(&self) -> io::Result<Option<String>> {
        if self.keyring {
            match self.entry().and_then(|e| e.get_password()) {
                Ok(token) => return Ok(Some(token)),
                Err(keyring::Error::NoEntry) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "no token from the OS keyring; trying the file")
                }
            }
        }
        let file = self.file();
        let token = match fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mode = fs::metadata(&file)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(file = %file.display(), mode = format!("{mode:o}"), "the token file was readable by others; made private");
            fs::set_permissions(&file, fs::Permissions::from_mode(0o600))?;
        }
        Ok(Some(token.trim().to_string()).filter(|t| !t.is_empty()))
    }
}

fn remove_if_there(file: &Path) -> io::Result<()> {
    match fs::remove_file(file) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes `text` to `file` atomically, created 0600 from the start (never
/// readable by others, not even for a moment).
fn write_private(file: &Path, text: &str) -> io::Result<()> {
    let tmp = file.with_extension("tmp");
    remove_if_there(&tmp)?;
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, file)?;
    if let Some(dir) = file.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(file: &Path) -> u32 {
        fs::metadata(file).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_file_is_private_round_trips_and_is_made_private_if_it_was_not() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::file_only(dir.path());
        assert_eq!(tokens.load().unwrap(), None);
        assert_eq!(tokens.save("first").unwrap(), Place::File);
        assert_eq!(tokens.save("second").unwrap(), Place::File);
        assert_eq!(mode(&tokens.file()), 0o600);
        assert_eq!(tokens.load().unwrap().as_deref(), Some("second"));

        fs::set_permissions(tokens.file(), fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(tokens.load().unwrap().as_deref(), Some("second"));
        assert_eq!(mode(&tokens.file()), 0o600);
    }

    #[test]
    fn an_unreadable_token_file_is_an_error_not_an_absent_token() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::file_only(dir.path());
        fs::create_dir(tokens.file()).unwrap();
        assert!(tokens.load().is_err());
    }

    /// Needs a Secret Service: `scripts/test.sh` runs it under
    /// `dbus-run-session` with a fresh gnome-keyring (see
    /// `scripts/with-keyring.sh`).
    #[test]
    #[ignore = "needs a Secret Service; scripts/test.sh runs it under scripts/with-keyring.sh"]
    fn with_a_secret_service_the_token_is_in_the_keyring_and_not_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = Tokens::new(dir.path());
        assert!(tokens.keyring, "TRYGG_TOKEN_STORE=file is set");
        // Says why, where `save` would only fall back to the file.
        if let Err(e) = tokens.entry().and_then(|e| e.set_password("probe")) {
            panic!("the Secret Service refused a password: {e}");
        }
        fs::write(tokens.file(), "left over").unwrap();
        assert_eq!(tokens.save("in-the-keyring").unwrap(), Place::Keyring);
        assert!(!tokens.file().exists(), "a token file was left behind");
        assert_eq!(tokens.load().unwrap().as_deref(), Some("in-the-keyring"));
        let on_disk = walk_bytes(dir.path());
        assert!(!on_disk.windows(14).any(|w| w == b"in-the-keyring"));
        tokens.entry().unwrap().delete_credential().unwrap();
        assert_eq!(tokens.load().unwrap(), None);
    }

    fn walk_bytes(dir: &Path) -> Vec<u8> {
        let mut all = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                all.extend(fs::read(&path).unwrap());
            }
        }
        all
    }
}
