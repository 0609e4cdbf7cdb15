//! A real `trygg-server` process on 127.0.0.1, and its `admin` command.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use url::Url;

use super::server_bin;

/// A port nobody listens on right now (so a restarted server can reuse it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// How to start a server: data directory, port, arguments, environment, log file.
#[derive(Clone, Debug)]
pub struct Launch {
    pub dir: PathBuf,
    pub port: u16,
    pub extra: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Where its stderr goes (default `DIR/server.log`).
    pub log: PathBuf,
}

impl Launch {
    pub fn new(dir: &Path, port: u16, extra: &[&str]) -> Launch {
        Launch {
            dir: dir.to_path_buf(),
            port,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            log: dir.join("server.log"),
        }
    }

    /// Starts `serve`; returns once it listens.
    pub fn start(self) -> Server {
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("server log file");
        // `TRYGG_TEST_SERVER_WRAPPER="heaptrack -o /tmp/ht"` (or `perf record
        // -g -o …`) runs the server under a profiler.
        let wrapper = std::env::var("TRYGG_TEST_SERVER_WRAPPER").unwrap_or_default();
        let mut words = wrapper.split_whitespace();
        let mut cmd = match words.next() {
            Some(program) => {
                let mut c = Command::new(program);
                c.args(words).arg(server_bin());
                c
            }
            None => Command::new(server_bin()),
        };
        let mut child = cmd
            .args(["serve", "--data-dir"])
            .arg(&self.dir)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(&self.extra)
            .env(
                "RUST_LOG",
                std::env::var("TRYGG_TEST_SERVER_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawning trygg-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut line = String::new();
        let listening = |l: &str| {
            l.starts_with("listening on http://") || l.starts_with("listening on https://")
        };
        while !listening(&line) {
            line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    panic!("trygg-server did not start; log:\n{}", read(&self.log))
                });
            // Only a profiler wrapping the server prints before it.
            assert!(
                listening(&line) || !wrapper.is_empty(),
                "unexpected first line: {line}"
            );
        }
        Server {
            tls: line.starts_with("listening on https://"),
            child: Some(child),
            dir: self.dir.clone(),
            port: self.port,
            log: self.log.clone(),
            launch: self,
        }
    }
}

#[derive(Debug)]
pub struct Server {
    /// Serving HTTPS and WSS (`--tls-cert`).
    pub tls: bool,
    child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
    pub log: PathBuf,
    launch: Launch,
}

impl Server {
    /// Starts `serve` on `port` with data in `dir`; returns once it listens.
    pub fn start(dir: &Path, port: u16, extra: &[&str]) -> Server {
        Launch::new(dir, port, extra).start()
    }

    /// Starts the server again (after `kill` or `stop`) on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        *self = self.launch.clone().start();
    }

    pub fn base(&self) -> Url {
        let scheme = if self.tls { "https" } else { "http" };
        Url::parse(&format!("{scheme}://127.0.0.1:{}/", self.port)).unwrap()
    }

    pub fn ws(&self) -> String {
        let scheme = if self.tls { "wss" } else { "ws" };
        format!("{scheme}://127.0.0.1:{}/sync", self.port)
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("kill trygg-server");
            c.wait().expect("reap trygg-server");
        }
    }

    /// SIGTERM and wait: a clean stop; how the process ended.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        c.wait().ok()
    }

    /// Resident memory of the server process, in KiB (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        super::load::rss_kib(self.pid()?)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_text(&self) -> String {
        read(&self.log)
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Runs `trygg-server admin --data-dir DIR ARGS…` and returns its stdout.
pub fn admin(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(server_bin())
        .args(["admin", "--data-dir"])
        .arg(dir)
        .args(args)
        .output()
        .expect("running trygg-server admin");
    assert!(
        out.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Adds an organisation with a fixed id.
pub fn add_org(dir: &Path, id: &str, kind: &str) {
    admin(
        dir,
        &[
            "org",
            "add",
            &format!("{id} (test)"),
            "--kind",
            kind,
            "--id",
            id,
        ],
    );
}

/// A new device: (device id, token).
#[derive(Clone, Debug)]
pub struct DeviceToken {
    pub id: String,
    pub token: String,
}

pub fn add_device(dir: &Path, org: &str, role: &str) -> DeviceToken {
    let out = admin(dir, &["device", "add", "--org", org, "--role", role]);
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("device-id: "))
        .expect("device-id line")
        .to_string();
    let token = out.lines().last().expect("token line").to_string();
    DeviceToken { id, token }
}
