//! The HTTP side of the server (`/api/v1`), as the device uses it.

use reqwest::StatusCode;
use trygg_core::DocId;
use url::Url;

use crate::api::{DocumentInfo, ErrorBody, Me, PhotoStored, RegisterDocument};
use crate::error::{Result, SyncError};
use crate::tls::Trust;

/// What came of registering a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registered {
    Created,
    /// The id was registered already (by us before a crash, or by someone else).
    Conflict,
}

#[derive(Clone, Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: String,
}

/// An error with its causes ("error sending request: … invalid peer
/// certificate: UnknownIssuer"): reqwest's own message names none.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

impl ApiClient {
    /// `server` is the server's base address, e.g. `http://127.0.0.1:8080/`;
    /// an `https://` server must present a certificate of a public or system CA.
    pub fn new(server: &Url, token: impl Into<String>) -> Result<Self> {
        Self::with_trust(server, token, &Trust::default())
    }

    /// As [`ApiClient::new`], trusting what `trust` trusts.
    pub fn with_trust(server: &Url, token: impl Into<String>, trust: &Trust) -> Result<Self> {
        let base = server
            .join("api/v1/")
            .map_err(|e| SyncError::BadAddress(e.to_string()))?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*trust.rustls()).clone())
            .connect_timeout(std::time::Duration::from_secs(5))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            base,
            token: token.into(),
        })
    }

    /// The WebSocket address of `server`'s sync endpoint.
    pub fn sync_url(server: &Url) -> Result<Url> {
        let mut url = server
            .join("sync")
            .map_err(|e| SyncError::BadAddress(e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => "ws",
            "https" => "wss",
            other => return Err(SyncError::BadAddress(format!("unsupported scheme {other}"))),
        };
        url.set_scheme(scheme)
            .map_err(|()| SyncError::BadAddress("cannot set scheme".into()))?;
        Ok(url)
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .map_err(|e| SyncError::BadAddress(e.to_string()))
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response> {
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| SyncError::Unreachable(with_causes(&e)))?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            return Err(SyncError::TokenRefused);
        }
        Ok(resp)
    }

    async fn fail(resp: reqwest::Response) -> SyncError {
        let status = resp.status().as_u16();
        let message = match resp.json::<ErrorBody>().await {
            Ok(body) => body.error,
            Err(_) => "no error message".into(),
        };
        SyncError::Api { status, message }
    }

    async fn json<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
        if !resp.status().is_success() {
            return Err(Self::fail(resp).await);
        }
        resp.json()
            .await
            .map_err(|e| SyncError::Unreachable(format!("unreadable answer: {e}")))
    }

    pub async fn me(&self) -> Result<Me> {
        let resp = self.send(self.http.get(self.url("me")?)).await?;
        Self::json(resp).await
    }

    pub async fn documents(&self) -> Result<Vec<DocumentInfo>> {
        self.documents_since(None).await
    }

    /// The visible documents that changed at or after `since` (RFC 3339), or all.
    pub async fn documents_since(&self, since: Option<&str>) -> Result<Vec<DocumentInfo>> {
        let mut url = self.url("documents")?;
        if let Some(t) = since {
            url.query_pairs_mut().append_pair("since", t);
        }
        let resp = self.send(self.http.get(url)).await?;
        Self::json(resp).await
    }

    pub async fn document(&self, id: &DocId) -> Result<Option<DocumentInfo>> {
        let resp = self
            .send(self.http.get(self.url(&format!("documents/{id}"))?))
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Self::json(resp).await.map(Some)
    }

    pub async fn register(&self, reg: &RegisterDocument) -> Result<Registered> {
        let resp = self
            .send(self.http.post(self.url("documents")?).json(reg))
            .await?;
        match resp.status() {
            StatusCode::CREATED => Ok(Registered::Created),
            StatusCode::CONFLICT => Ok(Registered::Conflict),
            _ => Err(Self::fail(resp).await),
        }
    }

    /// Replaces the organisations sharing a document this device's organisation owns.
    pub async fn set_sharing(
        &self,
        id: &DocId,
        shared_with: std::collections::BTreeSet<String>,
    ) -> Result<DocumentInfo> {
        let resp = self
            .send(
                self.http
                    .patch(self.url(&format!("documents/{id}"))?)
                    .json(&crate::api::SetSharing { shared_with }),
            )
            .await?;
        Self::json(resp).await
    }

    pub async fn put_photo(
        &self,
        sha256: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<PhotoStored> {
        let resp = self
            .send(
                self.http
                    .put(self.url(&format!("photos/{sha256}"))?)
                    .header(reqwest::header::CONTENT_TYPE, media_type)
                    .body(bytes),
            )
            .await?;
        Self::json(resp).await
    }

    pub async fn get_photo(&self, sha256: &str) -> Result<Vec<u8>> {
        let resp = self
            .send(self.http.get(self.url(&format!("photos/{sha256}"))?))
            .await?;
        if !resp.status().is_success() {
            return Err(Self::fail(resp).await);
        }
        Ok(resp
            .bytes()
            .await
            .map_err(|e| SyncError::Unreachable(e.to_string()))?
            .to_vec())
    }
}
