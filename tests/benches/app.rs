//! Field app figures, from the real app in an Xvfb window (release build):
//!
//!   cargo bench -p trygg-e2e --bench app
//!
//! * cold start to the first usable screen (the walks list drawn) with
//!   `TRYGG_BENCH_APP_WALKS` (default 1000) walks stored: as the app itself
//!   measures it (process start → list drawn) and as a WebDriver client sees
//!   it (session request → list visible), over 3 starts;
//! * "save observation" to durable: `TRYGG_BENCH_APP_SAVES` (default 100)
//!   saves into the walk open on screen, through the app's IPC from the page,
//!   300 ms apart (as taps are, so the live refresh of the previous one has
//!   run); timed in the page (the bridge, checks, the Automerge change and the
//!   SQLite commit), and the Rust side alone;
//! * a keystroke in an observation's note to durable, on a walk with
//!   `TRYGG_BENCH_APP_OBSERVATIONS` (default 500) observations:
//!   `TRYGG_BENCH_APP_KEYS` (default 300) keystrokes typed into the note as
//!   input events at a person's pace (bursts of quick keys and pauses long
//!   enough for the screen's live refresh to run between them), each timed
//!   from when it was due to when its save was on disk, so a screen busy
//!   refreshing counts against it; and the refreshes themselves (IPC);
//! * resident memory of the app and its WebKit processes afterwards.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use anyhow::Result;
use support::app::*;
use support::bench::{describe_ms, env};

/// The numbers in the array `key` of a script's answer.
fn floats(out: &serde_json::Value, key: &str) -> Vec<f64> {
    out[key]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default()
}

fn summary(name: &str, ms: Vec<f64>) {
    println!("{name}: {}", describe_ms(ms, 2));
}

const SAVES_JS: &str = r#"
const [walk, n, place] = arguments;
const done = arguments[arguments.length - 1];
const invoke = window.__TAURI_INTERNALS__.invoke;
(async () => {
  const page = [], rust = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const saved = await invoke("add_observation", {
      target: { to: "walk", walk },
      input: { category: "klotter", severity: 2, note: "Mätning " + i, location: { lat: null, lon: null, accuracy_m: null, place_id: place }, photos: [], item_id: null },
    });
    page.push(performance.now() - t0);
    rust.push(saved.durable_us / 1000);
    // A person taps "save" every few seconds at most; let the screen's live
    // refresh of the previous save finish, as it would between taps.
    await new Promise((r) => setTimeout(r, 300));
  }
  done({ page, rust });
})().catch((e) => done({ error: String(e && e.message || JSON.stringify(e)) }));
"#;

const KEYS_JS: &str = r#"
const [obs, n, start] = arguments;
const done = arguments[arguments.length - 1];
// The screen marks a note field with the text that is on disk
// (`data-saved`) and itself with how long each refresh took
// (`data-refresh-ms`): watched as they change.
const saved = new Map(), refreshes = [];
const watch = new MutationObserver((records) => {
  const now = performance.now();
  for (const r of records) {
    if (r.attributeName === "data-saved" && !saved.has(r.target.dataset.saved)) saved.set(r.target.dataset.saved, now);
    if (r.attributeName === "data-refresh-ms") refreshes.push(Number(r.target.dataset.refreshMs));
  }
});
watch.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-saved", "data-refresh-ms"] });
const field = document.querySelector(`[data-key="note:${obs}"]`);
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
// A person's pace: quick keys, then pauses in which the screen refreshes.
const gaps = [90, 110, 130, 250, 400];
(async () => {
  field.focus();
  const due = [];
  let at = performance.now() + 50;
  for (let i = 0; i < n; i++) {
    at += gaps[(start + i) % gaps.length];
    await sleep(at - performance.now());
    // The field as the screen left it (a refresh may have replaced it).
    const f = document.querySelector(`[data-key="note:${obs}"]`);
    f.value += "abcdefghij"[(start + i) % 10];
    f.setSelectionRange(f.value.length, f.value.length);
    f.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText" }));
    due.push([f.value, at]);
  }
  const deadline = performance.now() + 10000;
  while (due.some(([text]) => !saved.has(text)) && performance.now() < deadline) await sleep(20);
  watch.disconnect();
  const lost = due.filter(([text]) => !saved.has(text)).length;
  done({ keys: due.filter(([text]) => saved.has(text)).map(([text, t]) => saved.get(text) - t), refreshes, lost });
})().catch((e) => { watch.disconnect(); done({ error: String(e && e.message || JSON.stringify(e)) }); });
"#;

/// A walk with `observations` observations with notes, in progress and
/// newer than every other walk, so the list shows it first.
fn big_walk(store: &mut trygg_store::Store, observations: usize) -> Result<()> {
    use trygg_core::model::WalkStatus;
    use trygg_core::seed::demo;
    let (template_doc, template) = trygg_store::demo::default_template(store)?;
    let vocabulary = trygg_store::demo::vocabulary(store)?;
    let version = template
        .latest_published()
        .ok_or_else(|| anyhow::anyhow!("no published template"))?;
    let mut walk = demo::walk(
        &mut demo::DemoRng::new(500),
        &demo::WalkSpec {
            template_doc_id: &template_doc.to_string(),
            template: version,
            vocabulary: &vocabulary,
            observations,
            at: trygg_core::Timestamp::now(),
        },
    );
    walk.status = WalkStatus::InProgress;
    walk.ended_at = None;
    walk.route_name = format!("Stor runda ({observations} observationer)");
    store.create(&walk)?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let walks = env("TRYGG_BENCH_APP_WALKS", 1000);
    let saves = env("TRYGG_BENCH_APP_SAVES", 100);
    let observations = env("TRYGG_BENCH_APP_OBSERVATIONS", 500);
    let keys = env("TRYGG_BENCH_APP_KEYS", 300);
    let dir = tempfile::tempdir()?;
    let app_data = dir.path().join("app");
    std::fs::create_dir_all(&app_data)?;

    let built = Instant::now();
    {
        let mut store = trygg_store::Store::open(app_data.join("device.db"))?;
        trygg_store::demo::load(&mut store, walks)?;
        big_walk(&mut store, observations)?;
    }
    std::fs::write(
        app_data.join("settings.json"),
        serde_json::json!({
            "device_id": "local-bench",
            "organisation": "demo-sdf-norr",
            "role": "field",
            "language": "sv"
        })
        .to_string(),
    )?;
    println!(
        "store with {walks} demo walks built in {:.1} s",
        built.elapsed().as_secs_f64()
    );
    let _ = app_bin();

    let display = Display::start()?;
    let driver = Driver::start(&display, &app_data, dir.path().join("tauri-driver.log"))?;
    let (mut own, mut seen) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t0 = Instant::now();
        let c = driver.session().await?;
        wait_for(&c, "#walk-list[data-ready]", Duration::from_secs(60)).await?;
        seen.push(t0.elapsed().as_secs_f64() * 1000.0);
        let ms = wait_js(&c, "document.body.dataset.readyMs", Duration::from_secs(10)).await?;
        own.push(ms.as_str().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN));
        let listed = wait_js(
            &c,
            "document.querySelectorAll('[data-walk-id]').length",
            Duration::from_secs(5),
        )
        .await?;
        println!("  start: {listed} walks listed");
        c.close().await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    summary(
        &format!("cold start, process start → walks list drawn ({walks} walks)"),
        own,
    );
    summary(
        &format!("cold start, WebDriver session → walks list visible ({walks} walks)"),
        seen,
    );

    let c = driver.session().await?;
    click(&c, "[data-walk-id]").await?;
    let walk = wait_js(
        &c,
        "document.querySelector('#walk')?.dataset.walkId",
        Duration::from_secs(20),
    )
    .await?;
    let place = wait_js(
        &c,
        "(() => { const a = [...document.querySelectorAll('.item select option')].map(o => o.value).find(v => v.includes('/')); return a || 'jarva/rinkeby-torg'; })()",
        Duration::from_secs(5),
    )
    .await?;
    let listed = wait_js(
        &c,
        "document.querySelector('#walk')?.dataset.observations",
        Duration::from_secs(20),
    )
    .await?;
    let listed = listed.as_str().unwrap_or("?").to_string();
    println!("walk open with {listed} observations");
    let obs = wait_js(
        &c,
        "document.querySelector('#walk [data-obs-id]')?.dataset.obsId",
        Duration::from_secs(20),
    )
    .await?;
    // In batches: a WebDriver script may run 30 s at most.
    let (mut typed, mut refreshes, mut lost) = (Vec::new(), Vec::new(), 0);
    let mut left = keys;
    while left > 0 {
        let n = left.min(100);
        let out = c
            .execute_async(
                KEYS_JS,
                vec![
                    obs.clone(),
                    serde_json::json!(n),
                    serde_json::json!(keys - left),
                ],
            )
            .await?;
        left -= n;
        if let Some(e) = out.get("error") {
            anyhow::bail!("typing failed: {e}");
        }
        typed.extend(floats(&out, "keys"));
        refreshes.extend(floats(&out, "refreshes"));
        lost += out["lost"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("no count of unsaved keystrokes in {out}"))?;
    }
    if lost > 0 {
        anyhow::bail!("{lost} keystrokes were not saved within 10 s");
    }
    summary(
        &format!(
            "keystroke in a note → durable, on a walk with {listed} observations (due → on disk)"
        ),
        typed,
    );
    summary(
        "walk screen refresh while typing (reading and drawing the changed parts)",
        refreshes,
    );
    // In batches: a WebDriver script may run 30 s at most.
    let (mut page, mut rust) = (Vec::new(), Vec::new());
    let mut left = saves;
    while left > 0 {
        let n = left.min(50);
        left -= n;
        let out = c
            .execute_async(
                SAVES_JS,
                vec![walk.clone(), serde_json::json!(n), place.clone()],
            )
            .await?;
        if let Some(e) = out.get("error") {
            anyhow::bail!("saving failed: {e}");
        }
        page.extend(floats(&out, "page"));
        rust.extend(floats(&out, "rust"));
    }
    summary(
        "save observation → durable, timed in the page (IPC + checks + commit)",
        page,
    );
    summary("save observation → durable, Rust side only", rust);
    let (app, web) = app_memory_kib();
    println!(
        "memory after {saves} saves: trygg-app {:.0} MiB, WebKit processes {:.0} MiB",
        app as f64 / 1024.0,
        web as f64 / 1024.0
    );
    c.close().await?;
    Ok(())
}
