//! The command line (PRODUCT §4: a stable contract), parsed by clap.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use trygg_core::model::OrgKind;
use trygg_sync::access::Role;

#[derive(Debug, Parser)]
#[command(name = "trygg-server", version, about = "Trygg's sync server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines are written to standard error: `text` for people,
    /// `json` (one object per line) for log collectors.
    #[arg(long, global = true, env = "TRYGG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serves sync, the HTTP API and the dashboards.
    Serve(ServeArgs),
    /// Administers organisations, devices and demo data.
    Admin {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// Where the server keeps what it keeps.
#[derive(Clone, Debug, Args)]
pub struct StoreArgs {
    /// Directory for the SQLite databases and photos.
    #[arg(long, env = "TRYGG_DATA_DIR")]
    pub data_dir: PathBuf,
    /// PostgreSQL instead of SQLite (several instances may share it).
    #[arg(long, env = "TRYGG_DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, env = "TRYGG_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest WebSocket message accepted, in bytes.
    #[arg(long, env = "TRYGG_MAX_MESSAGE_BYTES", default_value_t = trygg_sync::DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
    /// Largest photo accepted, in bytes.
    #[arg(long, env = "TRYGG_MAX_PHOTO_BYTES", default_value_t = trygg_sync::photo::DEFAULT_MAX_PHOTO_BYTES)]
    pub max_photo_bytes: u64,
    /// Seconds after which a document nobody syncs is dropped from memory
    /// (its subscribers are kept; it loads again on the next message).
    #[arg(long = "evict-after-secs", env = "TRYGG_EVICT_AFTER_SECS", default_value = "30", value_parser = parse_secs)]
    pub evict_after: std::time::Duration,
    /// Serve HTTPS and WSS with this PEM certificate chain (needs --tls-key).
    #[arg(long, env = "TRYGG_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "TRYGG_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Tokens the server does not know, per client address and minute,
    /// before it answers 429 (see `auth_limit`).
    #[arg(long, env = "TRYGG_UNKNOWN_TOKENS_PER_MINUTE", default_value = "30")]
    pub unknown_tokens_per_minute: std::num::NonZeroU32,
    /// How many unknown tokens one address may try at once before the
    /// per-minute rate applies.
    #[arg(long, env = "TRYGG_UNKNOWN_TOKEN_BURST", default_value = "10")]
    pub unknown_token_burst: std::num::NonZeroU32,
    /// Purge observations' notes, text and photo answers, walk notes and
    /// photos older than this many days, on the server and, at their next
    /// sync, on every device (see `retention`). Without it nothing is purged.
    #[arg(long, env = "TRYGG_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub retention_days: Option<u32>,
    /// Raster tiles under the dashboard's map from the operator's own tile
    /// server, which browsers fetch directly: a URL with `{z}`, `{x}` and
    /// `{y}`. Without this or --map-pmtiles the map draws district outlines
    /// and water only (no internet needed).
    #[arg(long, env = "TRYGG_MAP_TILES", conflicts_with = "map_pmtiles")]
    pub map_tiles: Option<String>,
    /// Raster tiles under the dashboard's map from a local PMTiles archive
    /// (PNG, JPEG or WebP tiles), served by this server to people logged in.
    #[arg(long, env = "TRYGG_MAP_PMTILES")]
    pub map_pmtiles: Option<PathBuf>,
    /// Whose tiles they are, shown under the map (e.g. "© Lantmäteriet").
    #[arg(long, env = "TRYGG_MAP_ATTRIBUTION", default_value = "")]
    pub map_attribution: String,
    /// How often the retention purge runs (it also runs at start).
    #[arg(long = "purge-every-secs", env = "TRYGG_PURGE_EVERY_SECS", default_value = "3600", value_parser = parse_secs)]
    pub purge_every: std::time::Duration,
}

fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}` is not a positive number of seconds"))
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Devices and their tokens.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// People who use the dashboard, and their login links.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit trail: who read, changed, registered, shared or downloaded
    /// which document, when and from where (oldest first, tab-separated).
    Audit {
        /// Only this document's entries (its id, or its `automerge:` URL).
        #[arg(long)]
        doc: Option<trygg_core::DocId>,
        /// Only this device's entries.
        #[arg(long)]
        device: Option<String>,
        /// Only entries from this time on: RFC 3339 (`2026-12-01T08:00:00Z`)
        /// or a span back from now (`24h`, `7d`, `1w 2d`).
        #[arg(long, value_parser = parse_since)]
        since: Option<trygg_core::Timestamp>,
        /// Only the newest N matching entries.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Writes a backup of the data directory to one file while the server
    /// runs: each SQLite database copied with SQLite's online backup API,
    /// and the photos.
    Backup {
        /// The backup file to make; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restores a backup into --data-dir, which must be empty or missing;
    /// every database is checked before the command succeeds.
    Restore {
        /// A file `admin backup` made.
        #[arg(long)]
        from: PathBuf,
    },
    /// Loads invented demo organisations, walks, reports and actions.
    DemoData {
        /// How many demo walks.
        #[arg(long, default_value_t = 40)]
        walks: usize,
        /// Everyday observations (EST reports) spread over the weeks before
        /// now, for a dashboard with history.
        #[arg(long, default_value_t = 0)]
        history: usize,
        /// Over how many weeks (208: four years).
        #[arg(long, default_value_t = 60)]
        history_weeks: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Adds an organisation; prints `org-id: ID`.
    Add {
        name: String,
        #[arg(long, value_parser = parse_org_kind)]
        kind: OrgKind,
        /// Its id (default: derived from the name).
        #[arg(long)]
        id: Option<String>,
    },
    /// Lists organisations.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Adds a device; prints `device-id: ID`, then the token alone on the last line.
    Add {
        /// The organisation's name or id.
        #[arg(long)]
        org: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// A label to recognise the device by ("Tablet 3, Rinkeby").
        #[arg(long)]
        name: Option<String>,
        /// The token stops working after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Lists devices and whether their tokens work.
    List,
    /// Revokes a device's token; open connections are cut within a second.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds a person; prints `user-id: ID`, then their one-time login link
    /// alone on the last line (valid for 7 days, opens one browser session).
    Add {
        /// The organisation's name or id.
        #[arg(long)]
        org: String,
        /// `viewer` (reads) or `coordinator` (also changes actions).
        #[arg(long, value_parser = parse_user_role)]
        role: Role,
        /// Who it is, as shown in the dashboard ("Analytiker, Lokalpolisen").
        #[arg(long)]
        name: String,
        /// The address people reach the server at.
        #[arg(
            long,
            env = "TRYGG_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        url: url::Url,
    },
    /// A new one-time login link for a person (printed alone on the last line).
    Link {
        id: String,
        #[arg(
            long,
            env = "TRYGG_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        url: url::Url,
    },
    /// Lists people and whether they may log in.
    List,
    /// Revokes a person: open dashboards close within a second.
    Revoke { id: String },
}

fn parse_user_role(s: &str) -> Result<Role, String> {
    let role: Role = s.parse()?;
    if crate::registry::users::USER_ROLES.contains(&role) {
        Ok(role)
    } else {
        Err(format!(
            "a person's role is `viewer` or `coordinator`, not `{s}`"
        ))
    }
}

fn parse_org_kind(s: &str) -> Result<OrgKind, String> {
    s.parse::<OrgKind>().map_err(|_| {
        format!(
            "unknown kind `{s}`; expected one of {}",
            OrgKind::expected()
        )
    })
}

/// RFC 3339, or a span (jiff's friendly format, days as 24 hours) back from now.
fn parse_since(s: &str) -> Result<trygg_core::Timestamp, String> {
    if let Ok(t) = trygg_core::Timestamp::parse_rfc3339(s) {
        return Ok(t);
    }
    let span: jiff::Span = s.parse().map_err(|e| {
        format!("`{s}` is neither an RFC 3339 time nor a span like `24h` or `7d`: {e}")
    })?;
    let back = span
        .abs()
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("`{s}`: {e}"))?;
    let now = trygg_core::Timestamp::now();
    Ok(trygg_core::Timestamp(
        now.millis() - back.as_millis().min(i128::from(i64::MAX)) as i64,
    ))
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}
