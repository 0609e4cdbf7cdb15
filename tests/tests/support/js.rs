//! The official JS `@automerge/automerge-repo` client (`tests/interop/interop.mjs`),
//! run by Node.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop")
}

/// `node interop.mjs ARGS…`.
pub fn node(args: &[&str]) -> Command {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").exists(),
        "run scripts/setup.sh: tests/interop's npm packages are missing"
    );
    let mut cmd = Command::new("node");
    cmd.current_dir(&dir).arg("interop.mjs").args(args);
    cmd
}

/// A JS client that finds documents and keeps writing to them
/// (`interop.mjs follow`).
#[derive(Debug)]
pub struct JsFollower {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl JsFollower {
    /// Starts it against `base` (the server's HTTP address) and waits until
    /// it has found every document.
    pub fn start(base: &str, token: &str, key: &str, ids: &[String]) -> Result<JsFollower> {
        let mut args = vec!["follow", base, token, key];
        args.extend(ids.iter().map(String::as_str));
        let mut child = node(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting node")?;
        let stdin = child.stdin.take().context("piped stdin")?;
        let stdout = child.stdout.take().context("piped stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut js = JsFollower {
            child,
            stdin,
            lines,
        };
        let first = js.next_line(Duration::from_secs(120))?;
        if first != "found" {
            bail!("the JS client said `{first}` instead of finding the documents");
        }
        Ok(js)
    }

    fn next_line(&mut self, wait: Duration) -> Result<String> {
        self.lines
            .recv_timeout(wait)
            .context("the JS client stopped answering")
    }

    fn ask(&mut self, line: &str) -> Result<String> {
        writeln!(self.stdin, "{line}")?;
        self.stdin.flush()?;
        self.next_line(Duration::from_secs(30))
    }

    /// Stops writing; returns how many changes it made.
    pub fn stop_writing(&mut self) -> Result<u64> {
        let answer = self.ask("stop")?;
        answer
            .strip_prefix("written ")
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("unexpected answer `{answer}`"))
    }

    /// Each document's heads (hex change hashes), by document id.
    pub fn heads(&mut self) -> Result<HashMap<String, Vec<String>>> {
        let answer = self.ask("heads")?;
        serde_json::from_str(&answer).with_context(|| format!("unexpected answer `{answer}`"))
    }
}

impl Drop for JsFollower {
    fn drop(&mut self) {
        // It may have exited already; either way it is gone after this.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
