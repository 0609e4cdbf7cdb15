//! Helpers shared by the cross-process tests.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Path of a workspace binary, building it first if needed. Test binaries live in
/// `<target>/<profile>/deps/`; workspace binaries one level up.
pub fn workspace_bin(package: &str, name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test executable lives in <target>/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join(name);
    BUILT.get_or_init(|| {
        // Build it so `cargo test` alone works; a no-op when it is up to date.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", package, "--bin", name]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            cmd.arg("--release");
        }
        if let Some(target) = profile_dir.parent() {
            cmd.env("CARGO_TARGET_DIR", target);
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "cargo build of {name} failed");
    });
    assert!(bin.exists(), "{} was not built", bin.display());
    bin
}

pub fn trygg_bin() -> PathBuf {
    workspace_bin("trygg-cli", "trygg")
}
