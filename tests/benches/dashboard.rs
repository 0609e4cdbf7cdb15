//! The council dashboard with a city's history: `admin demo-data` loads
//! invented EST reports (100,000 observations across the 11 districts and
//! 4 years by default), then a real `trygg-server` answers a district
//! viewer.
//!
//!   cargo bench -p trygg-e2e --bench dashboard
//!
//! Knobs: `TRYGG_BENCH_DASH_OBSERVATIONS` (default 100000),
//! `TRYGG_BENCH_DASH_WEEKS` (default 208), `TRYGG_BENCH_DASH_REQUESTS`
//! (default 200 per view), `TRYGG_BENCH_DASH_LIVE` (default 100 device
//! edits), `TRYGG_BENCH_DASH_PAGES` (default 100 page loads in chromium;
//! 0 leaves the browser out).
//!
//! Prints: how long loading took; per view endpoint p50/p99/max of the
//! whole answer (one request at a time, after 3 unmeasured); the time from
//! a device's edit until an open live stream says `changed`, and until the
//! lägesbild the page then asks for shows it; the first page's time in
//! chromium, from reload until it shows its data.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use support::bench::{describe_ms, env};
use support::browser::Browser;
use support::people::{add_person, cookie_of, login};
use support::server::{Server, add_device, admin, free_port};
use support::world::{new_walk, observation};
use trygg_core::edit;
use trygg_core::model::Sensitivity;
use trygg_sync::client::{ClientConfig, SyncClient};

/// The demo's district administration: its viewer is who the bench asks as.
const ORG: &str = "demo-sdf-norr";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() -> Result<()> {
    let observations = env("TRYGG_BENCH_DASH_OBSERVATIONS", 100_000);
    let weeks = env("TRYGG_BENCH_DASH_WEEKS", 208);
    let requests = env("TRYGG_BENCH_DASH_REQUESTS", 200);
    let live = env("TRYGG_BENCH_DASH_LIVE", 100);
    let pages = env("TRYGG_BENCH_DASH_PAGES", 100);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("server");
        std::fs::create_dir_all(&data)?;
        // Built before the clock starts: loading is what is timed.
        support::server_bin();
        let t = Instant::now();
        admin(
            &data,
            &[
                "demo-data",
                "--walks",
                "200",
                "--history",
                &observations.to_string(),
                "--history-weeks",
                &weeks.to_string(),
            ],
        );
        println!(
            "dashboard: {observations} observations over {weeks} weeks and 200 walks loaded in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        let server = Server::start(&data, free_port(), &[]);
        let base = server.base();
        let http = reqwest::Client::new();
        let (_, link) = add_person(&data, &base, ORG, "viewer", "Analytiker (bench)");
        let (_, page_link) = add_person(&data, &base, ORG, "viewer", "Analytiker, sidan (bench)");
        let cookie = cookie_of(&login(&http, &base, &link).await?)?;
        let get = |path: String| {
            let (http, base, cookie) = (http.clone(), base.clone(), cookie.clone());
            async move {
                let r = http
                    .get(base.join(&path)?)
                    .header("cookie", cookie)
                    .send()
                    .await?
                    .error_for_status()?;
                Ok::<_, anyhow::Error>(r.bytes().await?)
            }
        };
        let picture: Value = serde_json::from_slice(&get("/dashboard/api/lagesbild".into()).await?)?;
        let district = trygg_core::seed::areas()
            .into_keys()
            .next()
            .context("a district")?;
        println!(
            "dashboard: this week's lägesbild holds {} of the viewer's observations (4-week mean {})",
            picture["total"]["in_period"], picture["total"]["mean_4"]
        );
        // A demo walk with a (drawn) photo, for its protocol, PDF and photo.
        let walks: Value = serde_json::from_slice(&get("/dashboard/api/walks".into()).await?)?;
        let mut pictured = None;
        for w in walks.as_array().context("walks")? {
            let id = w["doc_id"].as_str().context("a walk's id")?;
            let protocol: Value =
                serde_json::from_slice(&get(format!("/dashboard/api/walks/{id}/protocol")).await?)?;
            let photos: Vec<&str> = protocol["findings"]
                .as_array()
                .context("findings")?
                .iter()
                .flat_map(|f| f["photos"].as_array().into_iter().flatten())
                .filter_map(|p| p["sha256"].as_str())
                .collect();
            if let Some(sha) = photos.first() {
                pictured = Some((id.to_string(), sha.to_string(), photos.len()));
                break;
            }
        }
        let (walk_id, sha, photo_count) = pictured.context("demo-data gives some walks a photo")?;
        let pdf_view = format!("walk protocol PDF, {photo_count} photo");
        let views = [
            ("lägesbild", "/dashboard/api/lagesbild".to_string()),
            ("lägesbild, one district", format!("/dashboard/api/lagesbild?area={district}")),
            ("lägesbild, 13 weeks", "/dashboard/api/lagesbild?weeks=13".into()),
            ("lägesbild, 52 weeks", "/dashboard/api/lagesbild?weeks=52".into()),
            ("map, 1 week", "/dashboard/api/map".into()),
            ("map, 52 weeks", "/dashboard/api/map?weeks=52".into()),
            ("districts compared, 12 weeks", "/dashboard/api/compare".into()),
            ("districts compared, 52 weeks", "/dashboard/api/compare?weeks=52".into()),
            ("open actions", "/dashboard/api/actions".into()),
            ("walks", "/dashboard/api/walks".into()),
            ("walk protocol", format!("/dashboard/api/walks/{walk_id}/protocol")),
            (pdf_view.as_str(), format!("/dashboard/api/walks/{walk_id}/protocol.pdf")),
            ("a walk's photo", format!("/dashboard/api/walks/{walk_id}/photos/{sha}")),
            ("export.csv, 4 weeks", "/dashboard/api/export.csv?weeks=4".into()),
        ];
        for (name, path) in &views {
            for _ in 0..3 {
                get(path.clone()).await?;
            }
            let mut times = Vec::with_capacity(requests);
            let mut bytes = 0;
            for _ in 0..requests {
                let t = Instant::now();
                bytes = get(path.clone()).await?.len();
                times.push(ms(t.elapsed()));
            }
            println!("  {name:<30} {}  ({} kB)", describe_ms(times, 1), bytes / 1000);
        }

        // Live: a device's edit, the stream's `changed`, the page's next read.
        let device = add_device(&data, ORG, "field");
        let mut config = ClientConfig::new(base.clone(), &device.token, &device.id);
        config.refresh_every = Duration::from_millis(500);
        let client = SyncClient::start(
            dir.path().join("device.db"),
            dir.path().join("device-photos"),
            config,
        )
        .await?;
        let (mut walk, reg) = new_walk(ORG, &[]);
        let id = reg.id;
        let t = Instant::now();
        client.create(&mut walk, reg).await?;
        // The device opens every document the server lists for it (issue 12,
        // part 9: open on demand); the first sync of them all is a figure.
        ensure!(
            client.all_on_server(Duration::from_secs(600)).await,
            "the walk and the {} documents the device opened reached the server",
            client.open_documents().len()
        );
        println!(
            "dashboard: the live device's first sync, {} documents open, all on the server after {:.1} s",
            client.open_documents().len(),
            t.elapsed().as_secs_f64()
        );
        let mut events = http
            .get(base.join("/dashboard/api/events")?)
            .header("cookie", &cookie)
            .send()
            .await?
            .error_for_status()?;
        let mut to_event = Vec::with_capacity(live);
        let mut to_picture = Vec::with_capacity(live);
        let before: u64 = serde_json::from_slice::<Value>(&get("/dashboard/api/lagesbild".into()).await?)?
            ["total"]["in_period"]
            .as_u64()
            .context("this week's total")?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Whatever the stream said before the first edit is not a sample.
        while tokio::time::timeout(Duration::from_millis(50), events.chunk()).await.is_ok() {}
        for i in 0..live {
            let obs = observation(ORG, &device.id, &format!("mätning {i}"), Sensitivity::Shared);
            let t = Instant::now();
            client.edit(&id, |tx| edit::put_observation(tx, &obs)).await?;
            loop {
                let chunk = tokio::time::timeout(Duration::from_secs(10), events.chunk())
                    .await
                    .context("no `changed` within 10 s")??
                    .context("the live stream ended")?;
                if String::from_utf8_lossy(&chunk).contains("event: changed") {
                    break;
                }
            }
            to_event.push(ms(t.elapsed()));
            let want = before + i as u64 + 1;
            loop {
                let p: Value = serde_json::from_slice(&get("/dashboard/api/lagesbild".into()).await?)?;
                if p["total"]["in_period"].as_u64() >= Some(want) {
                    break;
                }
                ensure!(t.elapsed() < Duration::from_secs(10), "the edit never showed: {p}");
            }
            to_picture.push(ms(t.elapsed()));
            // One edit at a time, as a person makes them.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        println!("  live: device edit → `changed` on the stream  {}", describe_ms(to_event, 0));
        println!("  live: device edit → the lägesbild shows it    {}", describe_ms(to_picture, 0));

        if pages > 0 {
            let mut browser = Browser::open(&page_link, dir.path())?;
            browser.next()?;
            let mut times = Vec::with_capacity(pages);
            for _ in 0..pages {
                let answer = browser.ask(json!({ "reload": true }))?;
                times.push(answer["ms"].as_f64().context("ms")?);
            }
            println!("  first page in chromium (reload → data shown) {}", describe_ms(times, 0));
            drop(browser);
        }
        drop(server);
        Ok(())
    })
}
