//! `trygg`: create, list and merge walks in a local store from the terminal.
//!
//! A tool for trying the foundation out and for scripts and tests; the field
//! app and the sync server come on top of the same crates.

mod sync;

use trygg_store::demo;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use trygg_core::model::*;
use trygg_core::{DocId, Timestamp, edit, new_entity_id, seed};
use trygg_store::{ActionFilter, ObservationFilter, Store, WalkFilter};

#[derive(Parser, Debug)]
#[command(
    name = "trygg",
    version,
    about = "Trygg's local store from the terminal"
)]
struct Cli {
    /// The store file (created if missing).
    #[arg(long, env = "TRYGG_STORE", default_value = "trygg.db")]
    store: PathBuf,
    /// This device's id, recorded on what it writes.
    #[arg(long, env = "TRYGG_DEVICE", default_value = "cli-device")]
    device: String,
    /// This device's organisation.
    #[arg(long, env = "TRYGG_ORG", default_value = "demo-sdf-norr")]
    org: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Seeds the directory (11 districts), the vocabulary and the default template.
    Init,
    /// Seeds and adds invented demo walks, reports and actions.
    Demo {
        #[arg(long, default_value_t = 24)]
        walks: usize,
    },
    /// Works with walks.
    #[command(subcommand)]
    Walk(WalkCommand),
    /// Lists walks.
    Walks {
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        status: Option<String>,
    },
    /// Lists observations.
    Observations {
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        min_severity: Option<u8>,
    },
    /// Lists actions.
    Actions {
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        open: bool,
    },
    /// Counts observations per category.
    Categories {
        #[arg(long)]
        area: Option<String>,
    },
    /// Merges every document of another store into this one.
    Merge { other: PathBuf },
    /// Rebuilds the index from the documents.
    RebuildIndex,
    /// Syncs this store with a trygg-server: registers the documents of this
    /// device's organisation the server does not know yet, exchanges changes
    /// and prints the sync status.
    Sync {
        /// The server's address, e.g. http://127.0.0.1:8080/
        #[arg(long, env = "TRYGG_SERVER")]
        server: url::Url,
        /// This device's token (from `trygg-server admin device add`).
        #[arg(long, env = "TRYGG_TOKEN", hide_env_values = true)]
        token: String,
        /// Also trust the CA certificate(s) in this PEM file for an https://
        /// server (public and system CAs are trusted anyway).
        #[arg(long, env = "TRYGG_CA_FILE")]
        ca: Option<std::path::PathBuf>,
        /// Give up waiting for "everything on the server" after this many seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Keep syncing and print each status change until Ctrl-C.
        #[arg(long)]
        watch: bool,
    },
    /// Adds observations to a new walk one by one, printing `ack ID` after each
    /// durable save (used by the crash tests).
    #[command(hide = true)]
    WriteStream {
        #[arg(long, default_value_t = u64::MAX)]
        count: u64,
    },
    /// Writes one key through the samod storage adapter (used by the crash tests).
    #[command(hide = true)]
    SamodPut { key: String, value: String },
}

#[derive(Subcommand, Debug)]
enum WalkCommand {
    /// Starts a walk from the default template; prints its document id.
    Start {
        #[arg(long)]
        area: String,
        #[arg(long)]
        route: String,
        /// After dark rather than in daylight.
        #[arg(long)]
        dark: bool,
    },
    /// Answers a checklist item: yes/no/na, a rating 1–5, a number or text, by item kind.
    Answer {
        walk: DocId,
        item: String,
        value: String,
    },
    /// Records an observation; prints its id.
    Observe {
        walk: DocId,
        #[arg(long)]
        category: String,
        #[arg(long, default_value_t = 2)]
        severity: u8,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long, requires = "lon")]
        lat: Option<f64>,
        #[arg(long, requires = "lat")]
        lon: Option<f64>,
    },
    /// Marks a walk completed.
    Complete { walk: DocId },
    /// Shows a walk with its answers and observations.
    Show { walk: DocId },
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A closed pipe (`trygg walks | head`) is not an error worth a message.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("trygg: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut store = Store::open(&cli.store)
        .with_context(|| format!("opening the store {}", cli.store.display()))?;
    let out = &mut std::io::stdout().lock();
    match cli.command {
        Command::Init => {
            let ids = demo::seed(&mut store, &cli.org)?;
            writeln!(out, "template: {}", ids.template)?;
        }
        Command::Demo { walks } => {
            let n = demo::load(&mut store, walks)?;
            writeln!(out, "demo data: {n} documents in {}", cli.store.display())?;
        }
        Command::Walk(w) => walk_command(&mut store, &cli.device, &cli.org, w, out)?,
        Command::Walks { area, status } => {
            for w in store.walks(&WalkFilter {
                area,
                status,
                route: None,
                limit: None,
            })? {
                writeln!(
                    out,
                    "{}  {:<22} {:<12} {:<9} {:>2} obs  {}",
                    w.doc_id, w.area, w.status, w.light, w.observation_count, w.route_name
                )?;
            }
        }
        Command::Observations {
            area,
            category,
            min_severity,
        } => {
            for o in store.observations(&ObservationFilter {
                area,
                category,
                min_severity,
                ..Default::default()
            })? {
                writeln!(
                    out,
                    "{}  {}  {:<22} {:<20} sev {}  {}",
                    o.obs_id,
                    Timestamp(o.observed_at),
                    o.area,
                    o.category,
                    o.severity,
                    o.sensitivity
                )?;
            }
        }
        Command::Actions { org, open } => {
            for a in store.actions(&ActionFilter {
                responsible_org: org,
                area: None,
                open_only: open,
            })? {
                writeln!(
                    out,
                    "{}  {:<16} {:<12} due {}  {}",
                    a.doc_id,
                    a.responsible_org,
                    a.status,
                    a.due_date.as_deref().unwrap_or("-"),
                    a.area
                )?;
            }
        }
        Command::Categories { area } => {
            for (category, n) in store.counts_by_category(&ObservationFilter {
                area,
                ..Default::default()
            })? {
                writeln!(out, "{n:>6}  {category}")?;
            }
        }
        Command::Merge { other } => {
            let other =
                Store::open(&other).with_context(|| format!("opening {}", other.display()))?;
            let stats = store.merge_from(&other)?;
            writeln!(
                out,
                "merged {} documents, {} changed",
                stats.documents, stats.changed
            )?;
        }
        Command::RebuildIndex => {
            let started = std::time::Instant::now();
            let stats = store.rebuild_index()?;
            writeln!(
                out,
                "indexed {} documents ({} unreadable) in {:.0?}",
                stats.documents,
                stats.unreadable,
                started.elapsed()
            )?;
        }
        Command::Sync {
            server,
            token,
            ca,
            timeout,
            watch,
        } => {
            let trust = trygg_sync::tls::Trust::with_optional_ca_file(ca.as_deref())?;
            let done = sync::run(
                sync::SyncArgs {
                    store: &store,
                    server: &server,
                    token: &token,
                    trust,
                    timeout: std::time::Duration::from_secs(timeout),
                    watch,
                },
                out,
            )?;
            if !done {
                bail!("not everything reached the server in {timeout} s; run `trygg sync` again");
            }
        }
        Command::WriteStream { count } => {
            write_stream(&mut store, &cli.device, &cli.org, count, out)?
        }
        Command::SamodPut { key, value } => {
            use samod::storage::{Storage, StorageKey};
            let storage = store.samod_storage()?;
            let key =
                StorageKey::from_parts(key.split('/')).map_err(|_| anyhow::anyhow!("bad key"))?;
            tokio::runtime::Runtime::new()?.block_on(storage.put(key, value.into_bytes()));
            writeln!(out, "stored")?;
        }
    }
    Ok(())
}

fn walk_command(
    store: &mut Store,
    device: &str,
    org: &str,
    cmd: WalkCommand,
    out: &mut impl Write,
) -> Result<()> {
    let now = Timestamp::now();
    match cmd {
        WalkCommand::Start { area, route, dark } => {
            let (template_doc, template) = demo::default_template(store)?;
            let directory = demo::directory(store)?;
            if !directory.areas.contains_key(&area) {
                let known: Vec<&String> = directory.areas.keys().collect();
                bail!("unknown area {area:?}; known areas: {known:?}");
            }
            let version = template
                .latest_published()
                .context("the template has no published version")?;
            let template = TemplateRef {
                doc_id: template_doc.to_string(),
                template_id: template.template_id.clone(),
                version: version.version,
            };
            let light = if dark { Light::Dark } else { Light::Daylight };
            let walk = walk_in_progress(template, area, route, light, org, device, now);
            let h = store.create(&walk)?;
            writeln!(out, "{}", h.id())?;
        }
        WalkCommand::Answer { walk, item, value } => {
            let mut h = store.load(walk)?;
            let w: Walk = h.read()?;
            let (_, template) = demo::default_template(store)?;
            let version = template
                .version(w.template.version)
                .context("the walk's template version is not in this store")?;
            let kind = version
                .item(&item)
                .with_context(|| format!("the template has no item {item:?}"))?
                .kind;
            let value = parse_answer(kind, &value)?;
            let answer = Answer {
                value,
                answered_by: device.into(),
                answered_at: now,
            };
            edit::set_answer(h.doc_mut(), &item, &answer)?;
            store.save(&mut h)?;
            store.compact_if_needed(&mut h)?;
            writeln!(out, "saved")?;
        }
        WalkCommand::Observe {
            walk,
            category,
            severity,
            note,
            lat,
            lon,
        } => {
            let vocabulary = demo::vocabulary(store)?;
            if !vocabulary.terms.contains_key(&category) {
                bail!(
                    "unknown category {category:?}; try one of: {}",
                    vocabulary
                        .active_terms()
                        .iter()
                        .map(|t| t.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let mut h = store.load(walk)?;
            let location = lat.zip(lon).map(|(lat, lon)| Location {
                point: Some(GeoPoint::new(lat, lon)),
                place_id: None,
            });
            let severity = Severity::new(severity).map_err(anyhow::Error::msg)?;
            let obs = shared_observation(
                category,
                vocabulary.version,
                severity,
                &note,
                location,
                org,
                device,
            );
            edit::put_observation(h.doc_mut(), &obs)?;
            store.save(&mut h)?;
            store.compact_if_needed(&mut h)?;
            writeln!(out, "{}", obs.id)?;
        }
        WalkCommand::Complete { walk } => {
            let mut h = store.load(walk)?;
            edit::set_walk_status(h.doc_mut(), WalkStatus::Completed, now)?;
            store.save(&mut h)?;
            writeln!(out, "completed")?;
        }
        WalkCommand::Show { walk } => {
            let h = store.load(walk)?;
            let w: Walk = h.read()?;
            writeln!(
                out,
                "{} · {} · {} · {}",
                w.route_name, w.area, w.status, w.light
            )?;
            for (item, a) in &w.answers {
                writeln!(out, "  {item}: {:?}", a.value)?;
            }
            for o in w.observations.values() {
                writeln!(
                    out,
                    "  [{}] {} sev {}: {}",
                    o.id,
                    o.category,
                    o.severity.level(),
                    o.note.as_str()
                )?;
            }
        }
    }
    Ok(())
}

/// A shared observation this device records now.
fn shared_observation(
    category: String,
    vocabulary_version: u64,
    severity: Severity,
    note: &str,
    location: Option<Location>,
    org: &str,
    device: &str,
) -> Observation {
    Observation {
        id: new_entity_id(),
        category,
        vocabulary_version,
        severity,
        note: note.into(),
        location,
        observed_at: Timestamp::now(),
        recorded_by: device.into(),
        organisation: org.into(),
        photos: Vec::new(),
        sensitivity: Sensitivity::Shared,
        item_id: None,
    }
}

/// A walk this device starts now.
fn walk_in_progress(
    template: TemplateRef,
    area: String,
    route_name: String,
    light: Light,
    org: &str,
    device: &str,
    now: Timestamp,
) -> Walk {
    Walk {
        template,
        area,
        route_name,
        light,
        status: WalkStatus::InProgress,
        planned_at: Some(now),
        started_at: Some(now),
        ended_at: None,
        owner_org: org.into(),
        organisations: [(org.to_string(), now)].into(),
        created_by: device.into(),
        created_at: now,
        answers: Default::default(),
        observations: Default::default(),
        notes: Default::default(),
        exercise: false,
        groups: Default::default(),
        follows: None,
    }
}

fn parse_answer(kind: ItemKind, value: &str) -> Result<AnswerValue> {
    Ok(match kind {
        ItemKind::YesNo => AnswerValue::YesNo(value.parse().map_err(anyhow::Error::msg)?),
        ItemKind::Rating => {
            AnswerValue::Rating(value.parse().context("a rating is a whole number 1–5")?)
        }
        ItemKind::Number => AnswerValue::Number(value.parse().context("expected a number")?),
        ItemKind::Text => AnswerValue::Text(AnswerText::new(value)),
        ItemKind::Choice => AnswerValue::Choice(value.into()),
        ItemKind::Photo | ItemKind::Location => {
            bail!("{kind} items are answered in the app")
        }
    })
}

/// One walk, then observations added and saved one at a time. Each `ack` line is
/// printed only after `save` returned, i.e. after the commit reached the disk.
fn write_stream(
    store: &mut Store,
    device: &str,
    org: &str,
    count: u64,
    out: &mut impl Write,
) -> Result<()> {
    let now = Timestamp::now();
    let template = TemplateRef {
        doc_id: "none".into(),
        template_id: seed::DEFAULT_TEMPLATE_ID.into(),
        version: 1,
    };
    let walk = walk_in_progress(
        template,
        "farsta".into(),
        "Stresstest".into(),
        Light::Dark,
        org,
        device,
        now,
    );
    let mut h = store.create(&walk)?;
    writeln!(out, "walk {}", h.id())?;
    out.flush()?;
    for i in 0..count {
        let note = format!("observation {i}");
        let obs = shared_observation(
            "belysning".into(),
            2,
            Severity::LOW,
            &note,
            None,
            org,
            device,
        );
        edit::put_observation(h.doc_mut(), &obs)?;
        store.save(&mut h)?;
        writeln!(out, "ack {}", obs.id)?;
        out.flush()?;
    }
    Ok(())
}
