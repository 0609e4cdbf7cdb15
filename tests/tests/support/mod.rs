//! Helpers shared by the cross-process tests.

#![allow(dead_code)] // each test file uses a different part

pub mod app;
pub mod bench;
pub mod browser;
pub mod dashboard;
pub mod js;
pub mod load;
pub mod people;
pub mod power_cut;
pub mod proxy;
pub mod raw;
pub mod server;
pub mod world;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// Path of a workspace binary, building it first if needed. Test binaries live in
/// `<target>/<profile>/deps/`; workspace binaries one level up.
pub fn workspace_bin(package: &str, name: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable lives in <target>/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join(name);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built
        .get_or_insert_with(HashSet::new)
        .insert(name.to_string())
    {
        // Build it so `cargo test` alone works; a no-op when it is up to date.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            // A bench: only this package, so a release build does not
            // compile the whole workspace's tests and the app as well.
            cmd.args(["build", "-q", "--release", "-p", package]);
        } else {
            // The whole workspace with its tests, as `cargo test --workspace`
            // builds it: one feature set, so nothing is compiled twice.
            // `--lib` builds the power-cut shim (a cdylib) too.
            cmd.args(["build", "-q", "--workspace", "--lib", "--bins", "--tests"]);
        }
        if let Some(target) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "cargo build of {name} failed");
    }
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

pub fn trygg_bin() -> PathBuf {
    workspace_bin("trygg-cli", "trygg")
}

pub fn server_bin() -> PathBuf {
    workspace_bin("trygg-server", "trygg-server")
}
