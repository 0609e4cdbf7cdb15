//! The sync engine under load, against the stock automerge-repo server in the
//! same run: devices are samod clients speaking the plain protocol (see
//! `tests/tests/support/load.rs`); every device shares every document.
//!
//!   cargo bench -p trygg-e2e --bench load
//!
//! Knobs:
//! * `TRYGG_BENCH_LOADS` — `devices x docs x writers x rate`, comma-separated
//!   (default `50x20x5x2,200x50x10x0.5,200x50x10x2`);
//! * `TRYGG_BENCH_LOAD_SECONDS` (default 20) of writing per load, then up to
//!   `TRYGG_BENCH_DRAIN_SECONDS` (default 30) for the last deliveries;
//! * `TRYGG_BENCH_PEER=0` measures trygg-server only;
//! * `TRYGG_BENCH_IDLE_DEVICES` (default 500): memory per idle connected device;
//! * `TRYGG_BENCH_SCALE` — `idle devices:stored documents` steps for the
//!   scaling curve (default `50:1000,500:10000`; the full curve is
//!   `50:1000,500:10000,2000:100000`), each with the active load
//!   `TRYGG_BENCH_SCALE_LOAD` (default `20x10x5x2`) on top;
//! * `TRYGG_BENCH_OBSERVER_CPU` pins the lone observer's thread to these
//!   CPUs; with `TRYGG_TEST_SERVER_WRAPPER="taskset -c 0"` and the bench
//!   under `taskset -c 1`, server and observer share one core and the
//!   generator has the other.
//!
//! Prints per load: deliveries per second, p50/p99/max latency (a figure from
//! fewer than 100 samples is printed as a max), changes never delivered, and
//! server CPU per delivery, for both servers, with trygg's CPU as a fraction
//! of the stock server's; and the latency seen by one more device, a plain
//! protocol peer on its own thread (the server's part, without the
//! generator's queue).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use anyhow::{Context, Result};
use support::bench::{describe_ms, env};
use support::load::{self, Load, Outcome, PeerTarget, Target, TryggTarget};
use support::server::admin;

fn parse_load(s: &str, seconds: f64) -> Result<Load> {
    let p: Vec<&str> = s.trim().split('x').collect();
    anyhow::ensure!(
        p.len() == 4,
        "a load is devices x docs x writers x rate: `{s}`"
    );
    Ok(Load {
        devices: p[0].parse()?,
        docs: p[1].parse()?,
        writers: p[2].parse()?,
        rate: p[3].parse()?,
        seconds,
    })
}

fn latency(o: &Outcome) -> String {
    describe_ms(o.latencies.clone(), 0)
}

fn report(name: &str, o: &Outcome) {
    let secs = o.elapsed.as_secs_f64();
    println!(
        "  {name:<15} {:>7.0} delivered/s  {}  undelivered {}/{}  server CPU {:.3} ms/delivery ({:.0} % of a core; the load generator used {:.0} %)",
        o.delivered_per_s(),
        latency(o),
        o.undelivered(),
        o.expected,
        o.cpu_per_delivery_ms(),
        o.server_cpu.as_secs_f64() * 100.0 / secs,
        o.client_cpu.as_secs_f64() * 100.0 / secs,
    );
    println!(
        "  {:<15} the generator's own timers woke late by {}",
        "",
        describe_ms(o.generator_lag.clone(), 1)
    );
    println!(
        "  {:<15} a lone plain-protocol device on its own thread saw changes after {}, missed {}/{}",
        "",
        describe_ms(o.observed.clone(), 0),
        o.unobserved(),
        o.changes
    );
}

async fn measure(target: &mut dyn Target, load: Load, drain: Duration) -> Result<Outcome> {
    load::run(target, load, drain)
        .await
        .with_context(|| format!("{} under {load}", target.name()))
}

/// Resident memory added per idle connected device.
async fn idle_memory(target: &mut dyn Target, n: usize) -> Result<f64> {
    let devices = target.devices(n)?;
    let pid = target.pid();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = load::rss_kib(pid).context("the server's memory")?;
    let idle = load::idle_devices(&devices).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = load::rss_kib(pid).context("the server's memory")?;
    for (repo, dialer) in idle {
        dialer.close();
        repo.stop().await;
    }
    Ok(after.saturating_sub(before) as f64 / n as f64)
}

fn main() -> Result<()> {
    let seconds = env("TRYGG_BENCH_LOAD_SECONDS", 20) as f64;
    let drain = Duration::from_secs(env("TRYGG_BENCH_DRAIN_SECONDS", 30) as u64);
    let with_peer = std::env::var("TRYGG_BENCH_PEER").map_or(true, |v| v != "0");
    let loads: Vec<Load> = std::env::var("TRYGG_BENCH_LOADS")
        .unwrap_or_else(|_| "50x20x5x2,200x50x10x0.5,200x50x10x2".into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_load(s, seconds))
        .collect::<Result<_>>()?;
    let idle_n = env("TRYGG_BENCH_IDLE_DEVICES", 500);
    let scale: Vec<(usize, usize)> = std::env::var("TRYGG_BENCH_SCALE")
        .unwrap_or_else(|_| "50:1000,500:10000".into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let (d, n) = s
                .trim()
                .split_once(':')
                .context("idle devices:stored documents")?;
            Ok((d.parse()?, n.parse()?))
        })
        .collect::<Result<_>>()?;
    let scale_load = parse_load(
        &std::env::var("TRYGG_BENCH_SCALE_LOAD").unwrap_or_else(|_| "20x10x5x2".into()),
        seconds,
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        println!("devices × docs × writers × changes/s, {seconds} s of writing each");
        for load in loads {
            println!("{load}");
            let mut trygg = TryggTarget::start(&[]);
            let t = measure(&mut trygg, load, drain).await?;
            report("trygg-server", &t);
            drop(trygg);
            if with_peer {
                let mut peer = PeerTarget::start()?;
                // The stock server failing a load is a figure too: said, and
                // the run goes on.
                match measure(&mut peer, load, drain).await {
                    Ok(p) => {
                        report("automerge-repo", &p);
                        println!(
                            "  trygg CPU per delivery = {:.2} × the stock server's",
                            t.cpu_per_delivery_ms() / p.cpu_per_delivery_ms()
                        );
                    }
                    Err(e) => println!("  automerge-repo   failed this load: {e:#}"),
                }
            }
        }

        println!("memory per idle connected device ({idle_n} devices, joined, no documents)");
        let mut trygg = TryggTarget::start(&[]);
        println!("  trygg-server     {:.1} KiB", idle_memory(&mut trygg, idle_n).await?);
        drop(trygg);
        if with_peer {
            let mut peer = PeerTarget::start()?;
            println!("  automerge-repo   {:.1} KiB", idle_memory(&mut peer, idle_n).await?);
        }

        println!("scaling (trygg-server): idle devices and stored documents grow under the active load {scale_load}");
        for (idle, stored) in scale {
            let mut trygg = TryggTarget::start(&[]);
            let dir = trygg.server.dir.clone();
            tokio::task::spawn_blocking(move || {
                admin(&dir, &["demo-data", "--walks", &stored.to_string()])
            })
            .await?;
            // The active load's devices, its observer, then the idle ones.
            let devices = trygg.devices(scale_load.devices + 1 + idle)?;
            let _idle = load::idle_devices(&devices[scale_load.devices + 1..]).await?;
            let o = measure(&mut trygg, scale_load, drain).await?;
            let rss = load::rss_kib(trygg.pid()).context("the server's memory")?;
            println!(
                "  {idle:>5} idle devices, {stored:>6} stored walks: {:.3} ms CPU/delivery, {}, undelivered {}, server RSS {:.0} MiB",
                o.cpu_per_delivery_ms(),
                latency(&o),
                o.undelivered(),
                rss as f64 / 1024.0
            );
        }
        anyhow::Ok(())
    })
}
