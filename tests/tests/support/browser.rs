//! The dashboard in Debian's chromium (headless), driven by
//! `tests/dashboard/lagesbild.mjs` (`playwright-core`): JSON lines each way.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

/// How long the browser may take to answer one command.
const WAIT: Duration = Duration::from_secs(30);

/// The browser, driven by `lagesbild.mjs`: JSON lines each way.
pub struct Browser {
    child: Child,
    pub stdin: ChildStdin,
    pub lines: mpsc::Receiver<String>,
}

impl Browser {
    /// Opens the dashboard through the login `link`; screenshots go to `screenshots`.
    pub fn open(link: &str, screenshots: &std::path::Path) -> Result<Browser> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dashboard");
        ensure!(
            dir.join("node_modules/playwright-core").exists(),
            "run scripts/setup.sh: tests/dashboard's npm packages are missing"
        );
        let mut child = Command::new("node")
            .current_dir(&dir)
            .arg("lagesbild.mjs")
            .arg(link)
            .arg(screenshots)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting node lagesbild.mjs")?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = child.stdout.take().context("stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Browser {
            child,
            stdin,
            lines,
        })
    }

    /// The next line the browser printed.
    pub fn next(&self) -> Result<Value> {
        let line = self
            .lines
            .recv_timeout(WAIT)
            .context("the browser said nothing (see its stderr above)")?;
        serde_json::from_str(&line).with_context(|| format!("not JSON: {line}"))
    }

    /// Ends the session; an error if the page logged any (uncaught errors,
    /// console errors, answers of 400 and above).
    pub fn finish(mut self) -> Result<()> {
        writeln!(self.stdin, "{}", serde_json::json!({ "quit": true }))?;
        self.stdin.flush()?;
        match self.lines.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => anyhow::bail!("the page logged errors: {line}"),
            Err(_) => Ok(()),
        }
    }

    /// Sends one command; its answer.
    pub fn ask(&mut self, command: Value) -> Result<Value> {
        writeln!(self.stdin, "{command}")?;
        self.stdin.flush()?;
        self.next()
            .with_context(|| format!("no answer to {command}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("stopping the browser driver: {e}");
        }
        if let Err(e) = self.child.wait() {
            eprintln!("waiting for the browser driver: {e}");
        }
    }
}
