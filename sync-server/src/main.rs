//! `trygg-server`: the sync server a city runs (PRODUCT §3–§4).

mod admin;
mod audit;
mod auth_limit;
mod backup;
mod config;
mod dashboard;
mod demo_photos;
mod http;
mod metrics;
mod photos;
mod registry;
mod retention;
mod serve;
mod snapshot;
mod sync;
mod tls;

use anyhow::Result;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::config::{Cli, Command, LogFormat};

fn main() -> Result<()> {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,samod=warn,samod_core=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        // One JSON object per line, for log collectors.
        LogFormat::Json => logs.json().with_current_span(false).init(),
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Admin { store, command } => admin::run(&store, command).await,
        }
    })
}
