//! Dashboard users: adding a person with `admin user add` and logging in
//! over HTTP with their one-time link.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use url::Url;

use super::server::admin;

/// `admin user add`: the person's id and login link.
pub fn add_person(dir: &Path, base: &Url, org: &str, role: &str, name: &str) -> (String, String) {
    let out = admin(
        dir,
        &[
            "user",
            "add",
            "--org",
            org,
            "--role",
            role,
            "--name",
            name,
            "--url",
            base.as_str(),
        ],
    );
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("user-id: "))
        .expect("user-id line")
        .to_string();
    let link = out.lines().last().expect("the link line").to_string();
    (id, link)
}

/// Posts a link's code to `/dashboard/api/login`.
pub async fn login(http: &reqwest::Client, base: &Url, link: &str) -> Result<reqwest::Response> {
    let code = link.split_once('#').context("a code after #")?.1;
    Ok(http
        .post(base.join("/dashboard/api/login")?)
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await?)
}

/// The `name=value` of a response's cookie, which must be `HttpOnly` and
/// `SameSite=Strict`.
pub fn cookie_of(response: &reqwest::Response) -> Result<String> {
    let set = response
        .headers()
        .get("set-cookie")
        .context("a Set-Cookie header")?
        .to_str()?;
    ensure!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    Ok(set.split(';').next().unwrap_or_default().to_string())
}

/// Adds a person with `admin user add`, logs them in and gives their
/// session cookie.
pub async fn session(
    http: &reqwest::Client,
    dir: &Path,
    base: &Url,
    org: &str,
    role: &str,
    name: &str,
) -> Result<String> {
    let (_, link) = add_person(dir, base, org, role, name);
    cookie_of(&login(http, base, &link).await?)
}
