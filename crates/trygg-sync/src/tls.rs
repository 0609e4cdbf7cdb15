//! Which servers a device trusts over `https://` and `wss://`.
//!
//! The public web's roots (`webpki-roots`), the certificates the operating
//! system trusts (where an IT department installs its own CA), and, where a
//! city runs its server with a certificate of its own CA that devices do not
//! carry, that CA from a PEM file (`--ca` for `trygg`, `TRYGG_CA_FILE` or the
//! setting `ca_file` for the app). One rustls configuration serves both the
//! HTTP API (reqwest) and the sync WebSocket (tungstenite).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::{Result, SyncError};

#[derive(Clone)]
pub struct Trust {
    config: Arc<rustls::ClientConfig>,
    /// How many certificates came from a CA file (for the log).
    extra: usize,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("extra_cas", &self.extra)
            .finish_non_exhaustive()
    }
}

impl Default for Trust {
    /// Public and system roots (built once per process).
    fn default() -> Self {
        static DEFAULT: OnceLock<Trust> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Trust::with_extra(Vec::new()).expect("the built-in roots form a valid store")
            })
            .clone()
    }
}

impl Trust {
    /// Public and system roots plus every certificate in the PEM file `path`.
    pub fn with_ca_file(path: &Path) -> Result<Self> {
        let bad = |why: String| SyncError::Trust(format!("CA file {}: {why}", path.display()));
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad(
                "no PEM certificate in it (expected `BEGIN CERTIFICATE`)".into(),
            ));
        }
        Self::with_extra(certs)
    }

    /// [`Trust::with_ca_file`] when a file is given, else the default.
    pub fn with_optional_ca_file(path: Option<&Path>) -> Result<Self> {
        match path {
            Some(path) => Self::with_ca_file(path),
            None => Ok(Self::default()),
        }
    }

    /// Public and system roots plus `extra` (already parsed certificates).
    pub fn with_extra(extra: Vec<CertificateDer<'static>>) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let system = rustls_native_certs::load_native_certs();
        for e in &system.errors {
            tracing::warn!(error = %e, "a system CA certificate could not be read; it is not trusted");
        }
        // Malformed system certificates are skipped, as browsers do.
        let (_added, skipped) = roots.add_parsable_certificates(system.certs);
        if skipped > 0 {
            tracing::warn!(
                skipped,
                "system CA certificates rustls cannot use were skipped"
            );
        }
        let count = extra.len();
        for cert in extra {
            roots.add(cert).map_err(|e| {
                SyncError::Trust(format!("a CA certificate rustls cannot use: {e}"))
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| SyncError::Trust(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
            extra: count,
        })
    }

    pub fn rustls(&self) -> Arc<rustls::ClientConfig> {
        self.config.clone()
    }
}
