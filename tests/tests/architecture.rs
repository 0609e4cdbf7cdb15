//! The dependency rules ARCHITECTURE.md states, checked from `cargo metadata`:
//! the workspace's crates depend on each other one way only (no library on a
//! binary), `trygg-core` has no IO dependencies, only the device's crates
//! depend on samod, only the server knows axum and only the app knows Tauri.
//! Dev-dependencies (tests, benches) are outside the rules.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};

/// Each workspace crate and the workspace crates it may depend on.
const LAYERS: &[(&str, &[&str])] = &[
    ("trygg-core", &[]),
    ("trygg-basemap", &[]),
    ("trygg-store", &["trygg-core"]),
    ("trygg-sync", &["trygg-core", "trygg-store"]),
    ("trygg-engine", &["trygg-core", "trygg-store"]),
    ("trygg-cli", &["trygg-core", "trygg-store", "trygg-sync"]),
    ("trygg-forms", &["trygg-core"]),
    (
        "trygg-server",
        &[
            "trygg-basemap",
            "trygg-core",
            "trygg-forms",
            "trygg-store",
            "trygg-sync",
            "trygg-engine",
        ],
    ),
    (
        "trygg-app",
        &["trygg-basemap", "trygg-core", "trygg-store", "trygg-sync"],
    ),
    ("trygg-e2e", &[]),
    ("trygg-power-cut", &[]),
];

/// What `trygg-core` must not depend on: files, SQLite, async runtimes, the
/// network, sync.
const NOT_IN_CORE: &[&str] = &[
    "rusqlite",
    "tokio",
    "reqwest",
    "hyper",
    "axum",
    "tokio-tungstenite",
    "tungstenite",
    "samod",
    "samod-core",
    "tauri",
];

/// External crates only some workspace crates may depend on. samod runs on
/// devices: the sync client, the store's adapter, and `trygg`, the device's
/// terminal tool.
const ONLY_IN: &[(&str, &[&str])] = &[
    ("samod", &["trygg-sync", "trygg-store", "trygg-cli"]),
    ("samod-core", &["trygg-sync", "trygg-store", "trygg-cli"]),
    ("axum", &["trygg-server"]),
    ("tauri", &["trygg-app"]),
];

/// The normal and build dependencies of each workspace crate, by name.
fn dependencies(metadata: &Value) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    for package in metadata["packages"].as_array().context("packages")? {
        let name = package["name"].as_str().context("a package name")?;
        let deps = package["dependencies"]
            .as_array()
            .context("dependencies")?
            .iter()
            .filter(|d| d["kind"].as_str() != Some("dev"))
            .filter_map(|d| d["name"].as_str().map(String::from))
            .collect();
        out.insert(name.to_string(), deps);
    }
    Ok(out)
}

/// Every broken rule, in words.
fn violations(metadata: &Value) -> Result<Vec<String>> {
    let deps = dependencies(metadata)?;
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut out = Vec::new();
    for (name, uses) in &deps {
        let Some(allowed) = layers.get(name.as_str()) else {
            out.push(format!(
                "{name} is not in the architecture test's LAYERS: say what it may use"
            ));
            continue;
        };
        for d in uses.iter().filter(|d| layers.contains_key(d.as_str())) {
            if !allowed.contains(&d.as_str()) {
                out.push(format!("{name} depends on {d}, against the layers"));
            }
        }
        for (external, only) in ONLY_IN {
            if uses.contains(*external) && !only.contains(&name.as_str()) {
                out.push(format!("{name} depends on {external}; only {only:?} may"));
            }
        }
    }
    let core = deps
        .get("trygg-core")
        .context("trygg-core in the workspace")?;
    for d in NOT_IN_CORE {
        if core.contains(*d) {
            out.push(format!(
                "trygg-core depends on {d}: it must stay free of IO"
            ));
        }
    }
    Ok(out)
}

fn workspace_metadata() -> Result<Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .context("running cargo metadata")?;
    ensure!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

#[test]
fn the_workspace_keeps_its_dependency_rules() -> Result<()> {
    let metadata = workspace_metadata()?;
    let deps = dependencies(&metadata)?;
    ensure!(
        LAYERS.iter().all(|(name, _)| deps.contains_key(*name)),
        "a crate in LAYERS is not in the workspace: {:?}",
        deps.keys()
    );
    let broken = violations(&metadata)?;
    ensure!(broken.is_empty(), "{broken:#?}");
    Ok(())
}

#[test]
fn each_rule_catches_what_it_forbids() -> Result<()> {
    let metadata = workspace_metadata()?;
    // Adds a normal dependency on `dep` to the workspace crate `name`.
    let with = |name: &str, dep: &str| -> Result<Vec<String>> {
        let mut m = metadata.clone();
        let package = m["packages"]
            .as_array_mut()
            .context("packages")?
            .iter_mut()
            .find(|p| p["name"] == name)
            .context("the package")?;
        package["dependencies"]
            .as_array_mut()
            .context("dependencies")?
            .push(json!({ "name": dep, "kind": null }));
        violations(&m)
    };
    for (name, dep, says) in [
        ("trygg-core", "trygg-store", "against the layers"),
        ("trygg-store", "trygg-server", "against the layers"),
        ("trygg-sync", "trygg-app", "against the layers"),
        ("trygg-core", "tokio", "free of IO"),
        ("trygg-engine", "samod", "only"),
        ("trygg-server", "samod-core", "only"),
        ("trygg-app", "axum", "only"),
        ("trygg-server", "tauri", "only"),
    ] {
        let found = with(name, dep)?;
        ensure!(
            found.iter().any(|v| v.contains(says)),
            "{name} → {dep} was not caught: {found:?}"
        );
    }
    // A dev-dependency is outside the rules.
    let mut m = metadata.clone();
    let core = m["packages"]
        .as_array_mut()
        .context("packages")?
        .iter_mut()
        .find(|p| p["name"] == "trygg-core")
        .context("trygg-core")?;
    core["dependencies"]
        .as_array_mut()
        .context("dependencies")?
        .push(json!({ "name": "tokio", "kind": "dev" }));
    ensure!(violations(&m)?.is_empty());
    Ok(())
}
