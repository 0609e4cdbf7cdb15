//! TLS against a real `trygg-server` on 127.0.0.1 (`--tls-cert`,
//! `--tls-key`), with a CA of the test's own that no system trusts: devices
//! given that CA sync over HTTPS and WSS, the `trygg` tool with `--ca` too;
//! without it they are refused with a message naming the certificate; the
//! answers carry HSTS (a plain server's do not); a plain-HTTP client gets no
//! answer; bad certificate files stop the server with a clear message.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use support::server::{Server, admin, free_port};
use support::world::{DISTRICT, POLICE, World, new_walk};
use trygg_sync::SyncError;
use trygg_sync::client::{ApiClient, ClientConfig, SyncClient};
use trygg_sync::tls::Trust;

struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// A CA, and a certificate it signs for 127.0.0.1 and localhost.
fn pki() -> Result<Pki> {
    let dir = tempfile::tempdir()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Trygg test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])?
        .signed_by(&key, &ca)?;
    let pki = Pki {
        ca: dir.path().join("ca.pem"),
        cert: dir.path().join("server.pem"),
        key: dir.path().join("server.key"),
        _dir: dir,
    };
    std::fs::write(&pki.ca, ca.pem())?;
    std::fs::write(&pki.cert, cert.pem())?;
    std::fs::write(&pki.key, key.serialize_pem())?;
    Ok(pki)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

async fn client(w: &World, name: &str, org: &str, trust: &Trust) -> Result<SyncClient> {
    let device = w.device(org, "field");
    let mut config =
        ClientConfig::new(w.server.base(), &device.token, &device.id).with_trust(trust.clone());
    config.refresh_every = Duration::from_millis(500);
    Ok(SyncClient::start(
        w.store_path(name),
        w.dir.path().join(format!("{name}-photos")),
        config,
    )
    .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn devices_that_trust_the_ca_sync_over_https_and_others_are_told_why_not() -> Result<()> {
    let pki = pki()?;
    let w = World::new(&["--tls-cert", path(&pki.cert), "--tls-key", path(&pki.key)]);
    ensure!(w.server.tls && w.server.base().scheme() == "https");
    let trust = Trust::with_ca_file(&pki.ca)?;

    // The HTTP API, with and without the CA.
    let device = w.device(DISTRICT, "field");
    let me = ApiClient::with_trust(&w.server.base(), &device.token, &trust)?
        .me()
        .await?;
    ensure!(me.organisation == DISTRICT);
    match ApiClient::new(&w.server.base(), &device.token)?.me().await {
        Err(SyncError::Unreachable(why)) => {
            ensure!(why.contains("certificate"), "{why}")
        }
        other => anyhow::bail!("a device without the CA: {other:?}"),
    }

    // HSTS on every answer over TLS.
    let https = reqwest::Client::builder()
        .use_preconfigured_tls((*trust.rustls()).clone())
        .build()?;
    let health = https.get(w.server.base().join("healthz")?).send().await?;
    ensure!(
        health
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok())
            == Some("max-age=31536000"),
        "{:?}",
        health.headers()
    );

    // Sync over WSS: a walk from the district reaches the police.
    let district = client(&w, "district", DISTRICT, &trust).await?;
    let police = client(&w, "police", POLICE, &trust).await?;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let id = reg.id;
    district.create(&mut walk, reg).await?;
    ensure!(district.all_on_server(Duration::from_secs(30)).await);
    police.refresh().await?;
    police.open(&id).await?;
    ensure!(!police.read(&id, |doc| doc.get_heads())?.is_empty());
    for c in [district, police] {
        c.stop().await;
    }

    // A client speaking plain HTTP to the TLS port gets no answer, and the
    // server says why.
    let plain = format!("http://127.0.0.1:{}/healthz", w.server.port);
    ensure!(
        reqwest::get(&plain).await.is_err(),
        "plain HTTP was answered"
    );
    ensure!(
        support::world::eventually(Duration::from_secs(5), || w
            .server
            .log_text()
            .contains("TLS handshake failed"))
        .await,
        "{}",
        w.server.log_text()
    );

    // The `trygg` tool: with `--ca` it syncs, without it says why it cannot.
    let store = w.store_path("cli");
    let trygg = |extra: &[&str]| {
        Command::new(support::trygg_bin())
            .arg("--store")
            .arg(&store)
            .args(["--org", DISTRICT, "sync", "--server"])
            .arg(w.server.base().as_str())
            .args(["--token", &device.token, "--timeout", "60"])
            .args(extra)
            .output()
    };
    let init = Command::new(support::trygg_bin())
        .arg("--store")
        .arg(&store)
        .args(["--org", DISTRICT, "init"])
        .output()?;
    ensure!(init.status.success());
    let refused = trygg(&[])?;
    ensure!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    ensure!(stderr.contains("certificate"), "{stderr}");
    let synced = trygg(&["--ca", path(&pki.ca)])?;
    let stdout = String::from_utf8_lossy(&synced.stdout);
    ensure!(
        synced.status.success() && stdout.contains("everything on the server"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&synced.stderr)
    );
    Ok(())
}

#[tokio::test]
async fn a_plain_server_sends_no_hsts() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(dir.path(), free_port(), &[]);
    ensure!(!server.tls);
    let health = reqwest::get(server.base().join("healthz")?).await?;
    ensure!(health.headers().get("strict-transport-security").is_none());
    Ok(())
}

/// `serve` with TLS files it cannot use stops at once and names the problem.
#[test]
fn bad_tls_files_stop_the_server_with_a_clear_message() -> Result<()> {
    let pki = pki()?;
    let dir = tempfile::tempdir()?;
    admin(dir.path(), &["org", "list"]);
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "hello")?;
    let missing = dir.path().join("missing.pem");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--tls-cert", path(&missing), "--tls-key", path(&pki.key)],
            "cannot read the TLS certificate",
        ),
        (
            &["--tls-cert", path(&not_pem), "--tls-key", path(&pki.key)],
            "holds no certificate",
        ),
        (
            &["--tls-cert", path(&pki.cert), "--tls-key", path(&pki.cert)],
            "private key",
        ),
        (&["--tls-cert", path(&pki.cert)], "--tls-key"),
    ];
    for (args, expected) in cases {
        let out = Command::new(support::server_bin())
            .args(["serve", "--data-dir"])
            .arg(dir.path())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .context("running trygg-server")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(!out.status.success(), "{args:?} started");
        ensure!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    Ok(())
}
