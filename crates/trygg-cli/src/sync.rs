//! `trygg sync`: this store against a trygg-server, through the same sync
//! client the field app uses.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use trygg_store::Store;
use trygg_sync::access::access_of;
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::{ApiClient, ClientConfig, ConnectionState, SyncClient, SyncStatus};
use trygg_sync::tls::Trust;

pub struct SyncArgs<'a> {
    pub store: &'a Store,
    pub server: &'a url::Url,
    pub token: &'a str,
    pub trust: Trust,
    pub timeout: Duration,
    pub watch: bool,
}

fn describe(s: &SyncStatus) -> String {
    let what = match s.connection {
        ConnectionState::Offline => "offline",
        ConnectionState::Syncing => "syncing",
        ConnectionState::AllOnServer => "everything on the server",
        ConnectionState::Refused => {
            "the server refuses changes to documents this device may only read"
        }
        ConnectionState::TokenRefused => {
            "token refused: ask your coordinator for a new device token"
        }
        ConnectionState::DeviceProblem => "a problem on this device keeps work from the server",
    };
    let mut text = format!(
        "{what} ({} documents and {} photos not yet on the server, {} kept on this device only, {} with changes the server refuses",
        s.unsynced_documents, s.photos_queued, s.local_only_documents, s.refused_documents
    );
    if s.photos_missing > 0 {
        text += &format!(", {} queued photos whose file is gone", s.photos_missing);
    }
    if let Some(problem) = &s.problem {
        text += &format!(", {problem}");
    }
    text + ")"
}

pub fn run(args: SyncArgs<'_>, out: &mut impl Write) -> Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(sync(args, out))
}

async fn sync(args: SyncArgs<'_>, out: &mut impl Write) -> Result<bool> {
    let api = ApiClient::with_trust(args.server, args.token, &args.trust)?;
    let me = api
        .me()
        .await
        .context("asking the server who this token belongs to")?;
    writeln!(
        out,
        "device {} of {} ({})",
        me.device_id, me.organisation, me.role
    )?;
    let path = args.store.path();
    let config = ClientConfig::new(args.server.clone(), args.token, &me.device_id)
        .with_trust(args.trust.clone());
    let client = SyncClient::start(path, photo_dir(path), config).await?;

    // Documents written here before (or without) the server: register ours.
    let (mut adopted, mut foreign) = (0, 0);
    for id in args.store.doc_ids()? {
        if api.document(&id).await?.is_some() {
            continue;
        }
        let Ok(doc) = args.store.load(id).and_then(|h| h.read_any()) else {
            continue;
        };
        let access = access_of(id, &doc, &me.organisation);
        let me_as = trygg_sync::access::Principal {
            device_id: me.device_id.clone(),
            org: me.organisation.clone(),
            role: me.role,
        };
        if access.owner_org == me.organisation
            && trygg_sync::access::may_register(&me_as, &access).is_ok()
        {
            client.adopt(RegisterDocument::from(&access)).await?;
            adopted += 1;
        } else {
            foreign += 1;
        }
    }
    if adopted + foreign > 0 {
        writeln!(
            out,
            "registering {adopted} local documents; {foreign} stay on this device (other organisations', or kinds this role may not create)"
        )?;
    }
    let done = match tokio::time::timeout(args.timeout, client.refresh()).await {
        Ok(Ok(())) => client.all_on_server(args.timeout).await,
        Ok(Err(e)) => {
            writeln!(out, "could not reach the server: {e}")?;
            false
        }
        Err(_) => false,
    };
    writeln!(
        out,
        "{}; {} documents open",
        describe(&client.status_now().await),
        client.open_documents().len()
    )?;
    let mut status = client.status();
    if args.watch {
        loop {
            tokio::select! {
                changed = status.changed() => {
                    if changed.is_err() { break; }
                    writeln!(out, "{}", describe(&status.borrow_and_update()))?;
                }
                _ = tokio::signal::ctrl_c() => break,
            }
        }
    }
    client.stop().await;
    Ok(done)
}

/// Photos live beside the store: `walks.db` → `walks.db.photos/`.
fn photo_dir(store: &Path) -> std::path::PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".photos");
    p.into()
}
