//! What the dashboard's browser and HTTP tests share.

use std::process::Command;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use trygg_core::model::{Location, Observation, Sensitivity, Severity};

use super::world::{DISTRICT, observation};

/// A fire this week at `place` in `area`.
pub fn fire(device: &str, area: &str, place: &str) -> Result<Observation> {
    let mut o = observation(DISTRICT, device, "", Sensitivity::Shared);
    o.category = "brand".into();
    o.severity = Severity::new(4).map_err(anyhow::Error::msg)?;
    o.location = Some(Location {
        point: None,
        place_id: Some(place.into()),
    });
    ensure!(place.starts_with(area));
    Ok(o)
}

/// `path` as JSON, for the person holding `cookie`.
pub async fn get_json(
    http: &reqwest::Client,
    base: &url::Url,
    cookie: &str,
    path: &str,
) -> Result<Value> {
    Ok(http
        .get(base.join(path)?)
        .header("cookie", cookie)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// The message a refused `GET path` (400 Bad Request) gives the person
/// holding `cookie`.
pub async fn bad_request(
    http: &reqwest::Client,
    base: &url::Url,
    cookie: &str,
    path: &str,
) -> Result<String> {
    let answer = http
        .get(base.join(path)?)
        .header("cookie", cookie)
        .send()
        .await?;
    let status = answer.status();
    let text = answer.text().await?;
    ensure!(
        status == reqwest::StatusCode::BAD_REQUEST,
        "{path}: {status} {text}"
    );
    Ok(text)
}

/// A download's file name (from `Content-Disposition`) and text, for the
/// person holding `cookie`.
pub async fn download(
    http: &reqwest::Client,
    base: &url::Url,
    cookie: &str,
    path: &str,
) -> Result<(String, String)> {
    let response = http
        .get(base.join(path)?)
        .header("cookie", cookie)
        .send()
        .await?
        .error_for_status()?;
    let disposition = response
        .headers()
        .get("content-disposition")
        .context("a Content-Disposition header")?
        .to_str()?;
    let name = disposition
        .split_once("filename=\"")
        .and_then(|(_, rest)| rest.strip_suffix('"'))
        .with_context(|| format!("a file name in {disposition}"))?
        .to_string();
    Ok((name, response.text().await?))
}

/// The width and height of every image in the PDF at `path`, page by page,
/// as `pdfimages -list` (poppler-utils) reads them.
pub fn pdf_images(path: &str) -> Result<Vec<(u32, u32)>> {
    let out = Command::new("pdfimages")
        .args(["-list", path])
        .output()
        .context("running pdfimages (scripts/setup.sh installs poppler-utils)")?;
    ensure!(
        out.status.success(),
        "pdfimages -list {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)?
        .lines()
        .skip(2)
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            ensure!(
                cells.len() > 4 && cells[2] == "image",
                "pdfimages said: {line}"
            );
            Ok((cells[3].parse()?, cells[4].parse()?))
        })
        .collect()
}

/// A PDF's text as `pdftotext` reads it, with every run of white space one
/// space (so a line the PDF wrapped reads as one).
pub fn pdf_text(path: &str) -> Result<String> {
    let out = Command::new("pdftotext")
        .args([path, "-"])
        .output()
        .context("running pdftotext (scripts/setup.sh installs poppler-utils)")?;
    ensure!(
        out.status.success(),
        "pdftotext {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}
