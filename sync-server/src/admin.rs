//! `admin`: organisations, devices and demo data, straight against the store.
//! A running server notices the changes within its poll interval.

use std::io::Write;

use anyhow::{Context, Result, bail};
use trygg_core::Timestamp;
use trygg_core::ids::slug;
use trygg_core::seed::demo;
use trygg_store::Store;
use trygg_sync::access::access_of;

use crate::config::{AdminCommand, DeviceCommand, OrgCommand, StoreArgs, UserCommand};
use crate::photos::PhotoDir;
use crate::registry::{Device, DocRecord, Org, Registry, RegistryError, new_token, token_hash};
use crate::serve::{documents_path, open_registry, photos_path};

pub async fn run(store: &StoreArgs, command: AdminCommand) -> Result<()> {
    // Before the registry is opened: a restore needs an empty directory.
    match &command {
        AdminCommand::Backup { out } => {
            let (dir, out) = (store.data_dir.clone(), out.clone());
            let made =
                tokio::task::spawn_blocking(move || crate::backup::backup(&dir, &out)).await??;
            return crate::backup::report(&mut std::io::stdout().lock(), "backed up", &made);
        }
        AdminCommand::Restore { from } => {
            let (dir, from) = (store.data_dir.clone(), from.clone());
            let restored =
                tokio::task::spawn_blocking(move || crate::backup::restore(&from, &dir)).await??;
            return crate::backup::report(&mut std::io::stdout().lock(), "restored", &restored);
        }
        _ => {}
    }
    let registry = open_registry(store)?;
    let mut out = std::io::stdout().lock();
    match command {
        AdminCommand::Org { command } => match command {
            OrgCommand::Add { name, kind, id } => {
                let id = id.unwrap_or_else(|| slug(&name));
                if id.is_empty() {
                    bail!("the organisation needs a name with letters or digits, or an --id");
                }
                registry
                    .add_org(&Org {
                        id: id.clone(),
                        name,
                        kind,
                    })
                    .await
                    .map_err(|e| match e {
                        RegistryError::Conflict(_) => {
                            anyhow::anyhow!("an organisation with id `{id}` or this name exists")
                        }
                        e => e.into(),
                    })?;
                writeln!(out, "org-id: {id}")?;
            }
            OrgCommand::List => {
                let changes = registry.changes_since(0).await?;
                for o in changes.orgs {
                    writeln!(out, "{}\t{}\t{}", o.id, o.kind, o.name)?;
                }
            }
        },
        AdminCommand::Device { command } => match command {
            DeviceCommand::Add {
                org,
                role,
                name,
                expires_in_days,
            } => {
                let org = registry.find_org(&org).await?.with_context(|| {
                    format!("no organisation `{org}`; add it with `admin org add`")
                })?;
                let token = new_token();
                let now = Timestamp::now();
                let device = Device {
                    id: uuid::Uuid::now_v7().to_string(),
                    org: org.id,
                    role,
                    name,
                    token_hash: token_hash(&token),
                    created_at: now,
                    expires_at: expires_in_days
                        .map(|d| Timestamp(now.millis() + i64::from(d) * 86_400_000)),
                    revoked_at: None,
                };
                registry.add_device(&device).await?;
                writeln!(out, "device-id: {}", device.id)?;
                writeln!(out, "{token}")?;
            }
            DeviceCommand::List => {
                let now = Timestamp::now();
                writeln!(out, "id\torg\trole\tstatus\tname")?;
                for d in registry.devices().await? {
                    let status = match d.inactive(now) {
                        None => "active",
                        Some(crate::registry::Inactive::Revoked) => "revoked",
                        Some(crate::registry::Inactive::Expired) => "expired",
                    };
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        d.id,
                        d.org,
                        d.role,
                        status,
                        d.name.as_deref().unwrap_or("")
                    )?;
                }
            }
            DeviceCommand::Revoke { id } => {
                match registry.revoke_device(&id, Timestamp::now()).await {
                    Ok(true) => writeln!(out, "revoked {id}")?,
                    Ok(false) => writeln!(out, "{id} was revoked already")?,
                    Err(RegistryError::Unknown { .. }) => bail!("no device `{id}`"),
                    Err(e) => return Err(e.into()),
                }
            }
        },
        AdminCommand::User { command } => users(registry.as_ref(), command, &mut out).await?,
        AdminCommand::Audit {
            doc,
            device,
            since,
            limit,
        } => {
            let filter = crate::audit::Filter {
                doc,
                actor: device,
                since,
                limit,
            };
            let path = crate::audit::audit_path(&store.data_dir);
            let entries =
                tokio::task::spawn_blocking(move || crate::audit::read(&path, &filter)).await??;
            writeln!(out, "time\tdevice\torg\taction\tdocument\tfrom\tdetail")?;
            for e in entries {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    e.at,
                    e.actor,
                    e.org,
                    e.action.as_str(),
                    e.doc.map(|d| d.to_string()).unwrap_or_default(),
                    e.origin,
                    e.detail.unwrap_or_default()
                )?;
            }
        }
        AdminCommand::DemoData {
            walks,
            history,
            history_weeks,
        } => {
            let n = demo_data(store, registry.as_ref(), walks, (history, history_weeks)).await?;
            writeln!(out, "demo data: {n} documents registered")?;
        }
        // Done before the registry was opened (above).
        AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => {}
    }
    Ok(())
}

/// A login link: the code rides in the fragment, which browsers never send
/// to a server (so it stays out of logs and `Referer`s); the page posts it.
fn login_link(base: &url::Url, code: &str) -> String {
    format!(
        "{}/dashboard/login#{code}",
        base.as_str().trim_end_matches('/')
    )
}

async fn users(registry: &dyn Registry, command: UserCommand, out: &mut impl Write) -> Result<()> {
    use crate::registry::users::{LINK_VALID_MS, User};
    let now = Timestamp::now();
    let link_expires = Timestamp(now.millis() + LINK_VALID_MS);
    match command {
        UserCommand::Add {
            org,
            role,
            name,
            url,
        } => {
            let name = name.trim().to_string();
            if name.is_empty() {
                bail!("a person needs a --name");
            }
            let org = registry
                .find_org(&org)
                .await?
                .with_context(|| format!("no organisation `{org}`; add it with `admin org add`"))?;
            let code = new_token();
            let user = User {
                id: uuid::Uuid::now_v7().to_string(),
                org: org.id,
                role,
                name,
                created_at: now,
                revoked_at: None,
            };
            registry
                .add_user(&user, &token_hash(&code), link_expires)
                .await?;
            writeln!(out, "user-id: {}", user.id)?;
            writeln!(out, "{}", login_link(&url, &code))?;
        }
        UserCommand::Link { id, url } => {
            let code = new_token();
            match registry
                .add_login_link(&id, &token_hash(&code), link_expires)
                .await
            {
                Ok(()) => writeln!(out, "{}", login_link(&url, &code))?,
                Err(RegistryError::Unknown { .. }) => bail!("no user `{id}`"),
                Err(RegistryError::Conflict(_)) => bail!("user `{id}` is revoked"),
                Err(e) => return Err(e.into()),
            }
        }
        UserCommand::List => {
            writeln!(out, "id\torg\trole\tstatus\tname")?;
            for u in registry.users().await? {
                let status = if u.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                writeln!(out, "{}\t{}\t{}\t{status}\t{}", u.id, u.org, u.role, u.name)?;
            }
        }
        UserCommand::Revoke { id } => match registry.revoke_user(&id, now).await {
            Ok(true) => writeln!(out, "revoked {id}")?,
            Ok(false) => writeln!(out, "{id} was revoked already")?,
            Err(RegistryError::Unknown { .. }) => bail!("no user `{id}`"),
            Err(e) => return Err(e.into()),
        },
    }
    Ok(())
}

/// One demo walk in this many gets a (drawn) photo.
const DEMO_PHOTO_EVERY: usize = 3;

/// Loads the invented demo organisations and documents and registers them.
async fn demo_data(
    store: &StoreArgs,
    registry: &dyn Registry,
    walks: usize,
    (history, history_weeks): (usize, usize),
) -> Result<usize> {
    for o in demo::organisations() {
        match registry
            .add_org(&Org {
                id: o.id.clone(),
                name: o.name.clone(),
                kind: o.kind,
            })
            .await
        {
            Ok(()) | Err(RegistryError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let path = documents_path(&store.data_dir);
    let photos = PhotoDir::open(photos_path(&store.data_dir))?;
    let documents = tokio::task::spawn_blocking(move || -> Result<Vec<_>> {
        let mut docs = Store::open(&path)?;
        trygg_store::demo::load(&mut docs, walks)?;
        crate::demo_photos::add_to_walks(&mut docs, &photos, DEMO_PHOTO_EVERY)?;
        if history > 0 {
            trygg_store::demo::load_history(&mut docs, history, history_weeks)?;
        }
        let mut out = Vec::new();
        for id in docs.doc_ids()? {
            let doc = docs.load(id)?.read_any()?;
            out.push(access_of(id, &doc, "demo-sdf-norr"));
        }
        Ok(out)
    })
    .await??;
    let now = Timestamp::now();
    let mut registered = 0;
    for access in documents {
        let record = DocRecord {
            access,
            registered_by: "demo-data".into(),
            registered_at: now,
            updated_at: now,
            replaces: None,
            replaced_by: None,
        };
        match registry.register_document(&record).await {
            Ok(()) => registered += 1,
            Err(RegistryError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(registered)
}
