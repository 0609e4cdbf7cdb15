//! Raster tiles under the dashboard's map, from a local PMTiles archive the
//! operator names with `--map-pmtiles`: served to people logged in, drawn
//! by the page in headless chromium under the outlines; a server started
//! with a file that is no archive refuses to start and says why.

mod support;

use std::path::Path;

use anyhow::{Context, Result, ensure};
use image::{ImageEncoder, Rgb, RgbImage};
use pmtiles::{PmTilesWriter, TileCoord, TileType};
use serde_json::json;
use support::browser::Browser;
use support::dashboard::get_json;
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, World};

/// Zoom levels in the archive: the page picks 12 for the whole city.
const ZOOMS: std::ops::RangeInclusive<u8> = 10..=12;
/// Around Stockholm, with a margin (west, south, east, north).
const BOUNDS: (f64, f64, f64, f64) = (17.5, 59.0, 18.5, 59.6);

/// The tile column and row holding `(lon, lat)` at zoom `z` (Web Mercator).
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let phi = lat.to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x as u32, y as u32)
}

/// One tile: a flat colour of its own, so that no two tiles' bytes are equal.
fn tile_png(z: u8, x: u32, y: u32) -> Result<Vec<u8>> {
    let colour = Rgb([200 + (x % 50) as u8, 200 + (y % 50) as u8, 150 + z]);
    let picture = RgbImage::from_pixel(256, 256, colour);
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        picture.as_raw(),
        256,
        256,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(png)
}

/// Writes the archive; returns how many tiles it holds.
fn write_archive(path: &Path) -> Result<usize> {
    let (west, south, east, north) = BOUNDS;
    let mut writer = PmTilesWriter::new(TileType::Png)
        .min_zoom(*ZOOMS.start())
        .max_zoom(*ZOOMS.end())
        .bounds(west, south, east, north)
        .create(std::fs::File::create(path)?)?;
    let mut tiles = 0;
    for z in ZOOMS {
        let (x0, y0) = tile_of(west, north, z);
        let (x1, y1) = tile_of(east, south, z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                writer.add_tile(TileCoord::new(z, x, y)?, &tile_png(z, x, y)?)?;
                tiles += 1;
            }
        }
    }
    writer.finalize()?;
    Ok(tiles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_map_draws_an_operators_pmtiles_under_the_outlines() -> Result<()> {
    let files = tempfile::tempdir()?;
    let archive = files.path().join("stockholm.pmtiles");
    let written = write_archive(&archive)?;
    let archive_arg = archive.to_str().context("a UTF-8 path")?;
    let w = World::new(&[
        "--map-pmtiles",
        archive_arg,
        "--map-attribution",
        "Testkarta (test)",
    ]);
    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");

    // The map's answer names the source; the server serves the archive's
    // tiles, byte for byte, to people logged in only.
    let (_, first_link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Karta (test)");
    let cookie = cookie_of(&login(&http, &base, &first_link).await?)?;
    let map = get_json(&http, &base, &cookie, "/dashboard/api/map").await?;
    ensure!(
        map["tiles"]
            == json!({
                "url": "/dashboard/tiles/{z}/{x}/{y}",
                "min_zoom": 10,
                "max_zoom": 12,
                "attribution": "Testkarta (test)",
            }),
        "{map}"
    );
    let (x, y) = tile_of(18.07, 59.33, 12);
    let path = format!("/dashboard/tiles/12/{x}/{y}");
    let tile = http
        .get(base.join(&path)?)
        .header("cookie", &cookie)
        .send()
        .await?
        .error_for_status()?;
    ensure!(tile.headers()["content-type"] == "image/png");
    ensure!(tile.bytes().await?.as_ref() == tile_png(12, x, y)?.as_slice());
    let status = |path: String, cookie: Option<String>| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let mut request = http.get(base.join(&path)?);
            if let Some(c) = cookie {
                request = request.header("cookie", c);
            }
            anyhow::Ok(request.send().await?.status().as_u16())
        }
    };
    ensure!(
        status(path.clone(), None).await? == 401,
        "a tile without a session"
    );
    ensure!(
        status("/dashboard/tiles/3/4/2".into(), Some(cookie.clone())).await? == 404,
        "a tile the archive lacks"
    );
    ensure!(
        status(format!("/dashboard/tiles/12/{x}/nine"), Some(cookie)).await? == 404,
        "a row that is no number"
    );

    // The page draws the tiles (fetched without errors: the browser driver
    // fails on any answer of 400 and above) under lines-only outlines.
    let shots = w.dir.path().join("shots");
    std::fs::create_dir_all(&shots)?;
    let mut browser = Browser::open(&link, &shots)?;
    let first = browser.next()?;
    ensure!(first["map"]["districts"] == 11, "{first}");
    let drawn = browser.ask(json!({ "tiles": true }))?;
    let urls = drawn["urls"].as_array().context("urls")?;
    ensure!(
        !urls.is_empty()
            && urls.len() < written
            && urls.iter().all(|u| u
                .as_str()
                .is_some_and(|u| u.starts_with("/dashboard/tiles/12/"))),
        "{drawn}"
    );
    ensure!(
        urls.contains(&json!(path)),
        "the city's middle is drawn: {drawn}"
    );
    let statuses = drawn["statuses"].as_array().context("statuses")?;
    ensure!(
        statuses.len() >= urls.len() && statuses.iter().all(|s| s == 200),
        "{drawn}"
    );
    ensure!(
        drawn["tiled"] == true
            && drawn["summary"]
                .as_str()
                .is_some_and(|s| s.ends_with("Bakgrundskarta: Testkarta (test).")),
        "{drawn}"
    );
    let printed = browser.ask(json!({ "print": "tiles" }))?;
    ensure!(printed["pdf_bytes"].as_u64() > Some(10_000), "{printed}");
    browser.finish()?;
    Ok(())
}

/// A server told to serve a file that is no PMTiles archive does not start.
#[test]
fn a_file_that_is_no_archive_stops_the_server_with_a_clear_error() -> Result<()> {
    let files = tempfile::tempdir()?;
    let bogus = files.path().join("map.pmtiles");
    std::fs::write(&bogus, b"not an archive")?;
    let data = files.path().join("server");
    std::fs::create_dir_all(&data)?;
    let out = std::process::Command::new(support::server_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--map-pmtiles")
        .arg(&bogus)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(!out.status.success(), "the server started: {stderr}");
    ensure!(
        stderr.contains("--map-pmtiles") && stderr.contains("not a PMTiles archive"),
        "{stderr}"
    );
    Ok(())
}

/// A tile server of the test's own on loopback: answers every request with
/// one PNG tile and counts the requests. The thread ends with the test.
fn tile_server() -> Result<(u16, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let png = tile_png(12, 0, 0)?;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut line = String::new();
            // The request line and headers, up to the empty line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            count.fetch_add(1, Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                png.len()
            );
            if stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&png))
                .is_err()
            {
                eprintln!("the test's tile server could not answer");
            }
        }
    });
    Ok((port, served))
}

/// With `--map-tiles`, the browser fetches tiles from the operator's tile
/// server itself: the page's content security policy names its origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_map_draws_tiles_from_an_operators_tile_server() -> Result<()> {
    let (port, served) = tile_server()?;
    let template = format!("http://127.0.0.1:{port}/bas/{{z}}/{{x}}/{{y}}.png");
    let w = World::new(&["--map-tiles", &template]);
    let base = w.server.base();
    let page = reqwest::get(base.join("/dashboard/")?).await?;
    let csp = page.headers()["content-security-policy"]
        .to_str()?
        .to_string();
    ensure!(
        csp.contains(&format!("img-src 'self' data: http://127.0.0.1:{port};")),
        "{csp}"
    );
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");
    let shots = w.dir.path().join("shots");
    std::fs::create_dir_all(&shots)?;
    let mut browser = Browser::open(&link, &shots)?;
    browser.next()?;
    let drawn = browser.ask(json!({ "tiles": true }))?;
    let urls = drawn["urls"].as_array().context("urls")?;
    let prefix = format!("http://127.0.0.1:{port}/bas/12/");
    ensure!(
        !urls.is_empty()
            && urls.iter().all(|u| u
                .as_str()
                .is_some_and(|u| u.starts_with(&prefix) && u.ends_with(".png"))),
        "{drawn}"
    );
    ensure!(
        served.load(std::sync::atomic::Ordering::SeqCst) >= urls.len(),
        "the browser fetched {} of {} tiles",
        served.load(std::sync::atomic::Ordering::SeqCst),
        urls.len()
    );
    // A refused image would be a console error, which `finish` reports.
    browser.finish()?;
    Ok(())
}
