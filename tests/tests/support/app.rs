//! The real field app in a real window: an Xvfb display, `tauri-driver`
//! (which starts `WebKitWebDriver`, which starts `trygg-app`), and a WebDriver
//! session through fantoccini.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};

use super::server::free_port;
use super::workspace_bin;

pub fn app_bin() -> PathBuf {
    workspace_bin("trygg-app", "trygg-app")
}

/// A private X display for one test; stopped on drop.
#[derive(Debug)]
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Result<Display> {
        // `-displayfd` picks a free display number and writes it to stdout.
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb (scripts/setup.sh installs it)")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .context("reading Xvfb's display number")?;
        let n: u32 = line.trim().parse().context("Xvfb's display number")?;
        Ok(Display {
            child,
            name: format!(":{n}"),
        })
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tauri-driver` on a free port, for one app data folder; stopped on drop
/// (which also ends the app it started).
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

pub fn tauri_driver_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let installed = home.join("bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

impl Driver {
    pub fn start(display: &Display, app_data: &Path, log: PathBuf) -> Result<Driver> {
        let port = free_port();
        let native = free_port();
        let out = std::fs::File::create(&log)?;
        let child = Command::new(tauri_driver_bin())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env("TRYGG_APP_DATA", app_data)
            .env("RUST_LOG", "info,samod=warn,samod_core=warn")
            // No session bus, so no OS keyring: the token goes to a 0600 file
            // whatever the machine running the tests has.
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting tauri-driver (scripts/setup.sh installs it)")?;
        // Both tauri-driver and the WebKitWebDriver it starts must listen
        // before a session is asked for: tauri-driver forwards the request
        // at once and fails it if WebKitWebDriver is not up yet.
        let deadline = Instant::now() + Duration::from_secs(20);
        for (what, p) in [("tauri-driver", port), ("WebKitWebDriver", native)] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                if Instant::now() > deadline {
                    bail!("{what} did not listen on {p}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(Driver { child, port, log })
    }

    /// A WebDriver session: starts the app and returns once its window exists.
    pub async fn session(&self) -> Result<Client> {
        // Plain http to 127.0.0.1, but fantoccini's client wants a TLS provider chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut caps = serde_json::Map::new();
        // No `browserName`: WebKitWebDriver refuses to match one.
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_bin() }),
        );
        ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .with_context(|| {
                format!(
                    "WebDriver session; tauri-driver log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                )
            })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for an element matching `css`.
pub async fn wait_for(
    c: &Client,
    css: &str,
    timeout: Duration,
) -> Result<fantoccini::elements::Element> {
    // Screens re-render as documents change, so a lookup may meet a node
    // that just went away: keep looking until the deadline.
    let deadline = Instant::now() + timeout;
    let found = loop {
        match c.find(Locator::Css(css)).await {
            Ok(e) => break Ok(e),
            Err(e) if Instant::now() > deadline => break Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    match found {
        Ok(e) => Ok(e),
        Err(e) => {
            // Say what the screen showed instead.
            let page = c
                .execute("return document.body.innerText;", vec![])
                .await
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .unwrap_or_default();
            let tail: String = page.chars().take(3000).collect();
            Err(anyhow::anyhow!("waiting for {css}: {e}\npage:\n{tail}"))
        }
    }
}

/// Waits until `script` (a JS expression) is truthy; returns its value.
pub async fn wait_js(c: &Client, script: &str, timeout: Duration) -> Result<serde_json::Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let v = c
            .execute(&format!("return ({script});"), vec![])
            .await
            .with_context(|| format!("evaluating {script}"))?;
        let truthy = !matches!(&v, serde_json::Value::Null | serde_json::Value::Bool(false))
            && v != serde_json::json!(0)
            && v != serde_json::json!("");
        if truthy {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {script} (last value {v})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `act` on the element at `css`, looking it up again if the screen
/// re-rendered it in between (a live update can replace any node).
async fn on_element<F, Fut>(c: &Client, css: &str, act: F) -> Result<()>
where
    F: Fn(fantoccini::elements::Element) -> Fut,
    Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let el = wait_for(c, css, Duration::from_secs(10)).await?;
        match act(el).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(e).context(css.to_string()),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

pub async fn click(c: &Client, css: &str) -> Result<()> {
    on_element(c, css, |e| async move { e.click().await }).await
}

pub async fn type_into(c: &Client, css: &str, text: &str) -> Result<()> {
    wait_for(c, css, Duration::from_secs(10))
        .await?
        .send_keys(text)
        .await
        .with_context(|| format!("typing into {css}"))
}

/// Chooses `value` in a `<select>` and tells the page, as a tap on the option
/// would (WebKitWebDriver's option click does not always send `change`).
pub async fn choose(c: &Client, select: &str, value: &str) -> Result<()> {
    let option = format!("{select} option[value='{value}']");
    wait_for(c, &option, Duration::from_secs(10)).await?;
    c.execute(
        "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![serde_json::json!(select), serde_json::json!(value)],
    )
    .await
    .with_context(|| format!("choosing {value} in {select}"))?;
    Ok(())
}

/// Saves a screenshot once the screen has painted (two animation frames).
pub async fn screenshot(c: &Client, path: &Path) -> Result<()> {
    c.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
        vec![],
    )
    .await?;
    let png = c.screenshot().await?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, png)?;
    Ok(())
}

/// Resident memory (KiB) of the app and the WebKit processes it started.
pub fn app_memory_kib() -> (u64, u64) {
    let mut app = 0;
    let mut web = 0;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return (0, 0);
    };
    for e in entries.flatten() {
        let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
        let name = status
            .lines()
            .find_map(|l| l.strip_prefix("Name:"))
            .map(str::trim)
            .unwrap_or("");
        let rss: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        if name == "trygg-app" {
            app += rss;
        } else if name.starts_with("WebKitWebProces") || name.starts_with("WebKitNetworkPr") {
            web += rss;
        }
    }
    (app, web)
}
