//! The map's optional basemap: raster tiles under the district outlines,
//! only when an operator configures them (the server needs no internet and
//! draws outlines and water without tiles). Either the operator's own tile
//! server, which browsers fetch from directly (`--map-tiles URL`, with
//! `{z}`, `{x}` and `{y}`), or a local PMTiles archive of raster tiles that
//! this server serves to people logged in (`--map-pmtiles FILE`).

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pmtiles::{AsyncPmTilesReader, MmapBackend, TileCoord, TileType};
use serde::Serialize;

use super::Person;
use crate::http::ApiError;
use crate::serve::AppState;

/// Where the page gets its tiles, as the map's answer names it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TileSource {
    /// A URL template with `{z}`, `{x}` and `{y}`.
    pub url: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// Whose map it is, shown under the map (e.g. "© Lantmäteriet").
    pub attribution: String,
}

/// Configured tiles.
pub enum Tiles {
    /// The operator's tile server; `origin` is what the page's content
    /// security policy lets images come from.
    Remote { source: TileSource, origin: String },
    /// A raster archive this server reads.
    Archive {
        source: TileSource,
        reader: Box<AsyncPmTilesReader<MmapBackend>>,
        content_type: &'static str,
    },
}

impl std::fmt::Debug for Tiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tiles")
            .field("source", self.source())
            .field("remote_origin", &self.remote_origin())
            .finish()
    }
}

/// Where `/dashboard/tiles/…` serves an archive's tiles.
const ARCHIVE_URL: &str = "/dashboard/tiles/{z}/{x}/{y}";
/// The zoom levels a tile server is asked for (most serve 0–19).
const REMOTE_ZOOMS: (u8, u8) = (0, 19);

impl Tiles {
    pub fn source(&self) -> &TileSource {
        match self {
            Tiles::Remote { source, .. } | Tiles::Archive { source, .. } => source,
        }
    }

    /// The origin images may come from besides this server's, if any.
    pub fn remote_origin(&self) -> Option<&str> {
        match self {
            Tiles::Remote { origin, .. } => Some(origin),
            Tiles::Archive { .. } => None,
        }
    }

    /// Checks an operator's URL template: http(s), with all of `{z}`,
    /// `{x}` and `{y}`.
    pub fn remote(template: &str, attribution: &str) -> anyhow::Result<Self> {
        let missing: Vec<&str> = ["{z}", "{x}", "{y}"]
            .into_iter()
            .filter(|p| !template.contains(p))
            .collect();
        anyhow::ensure!(
            missing.is_empty(),
            "--map-tiles {template:?} lacks {}: a tile URL names the zoom, column and row as {{z}}, {{x}} and {{y}}",
            missing.join(", ")
        );
        let example = template
            .replace("{z}", "0")
            .replace("{x}", "0")
            .replace("{y}", "0");
        let url = url::Url::parse(&example)
            .map_err(|e| anyhow::anyhow!("--map-tiles {template:?} is not a URL: {e}"))?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https") && url.host_str().is_some(),
            "--map-tiles {template:?} is not an http or https URL"
        );
        Ok(Tiles::Remote {
            origin: url.origin().ascii_serialization(),
            source: TileSource {
                url: template.to_string(),
                min_zoom: REMOTE_ZOOMS.0,
                max_zoom: REMOTE_ZOOMS.1,
                attribution: attribution.to_string(),
            },
        })
    }

    /// Opens a PMTiles archive of raster tiles (PNG, JPEG or WebP).
    pub async fn archive(path: &Path, attribution: &str) -> anyhow::Result<Self> {
        let reader = AsyncPmTilesReader::new_with_path(path).await.map_err(|e| {
            anyhow::anyhow!(
                "--map-pmtiles {}: not a PMTiles archive this server can read: {e}",
                path.display()
            )
        })?;
        let header = reader.get_header();
        let content_type = match header.tile_type {
            TileType::Png | TileType::Jpeg | TileType::Webp => header.tile_type.content_type(),
            other => anyhow::bail!(
                "--map-pmtiles {}: holds {other:?} tiles; the dashboard draws raster tiles (PNG, JPEG or WebP)",
                path.display()
            ),
        };
        Ok(Tiles::Archive {
            source: TileSource {
                url: ARCHIVE_URL.to_string(),
                min_zoom: header.min_zoom,
                max_zoom: header.max_zoom,
                attribution: attribution.to_string(),
            },
            content_type,
            reader: Box::new(reader),
        })
    }
}

/// One tile of the archive, to a person logged in: 404 for a tile the
/// archive lacks (the page then shows the outlines there) or when no
/// archive is configured.
pub(super) async fn tile(
    State(state): State<Arc<AppState>>,
    _person: Person,
    UrlPath((z, x, y)): UrlPath<(u8, u32, String)>,
) -> Result<Response, ApiError> {
    let Some(Tiles::Archive {
        reader,
        content_type,
        ..
    }) = &state.tiles
    else {
        return Err(ApiError::not_found());
    };
    // Tile servers' URLs often end in an extension; ours may too.
    let y: u32 = y
        .split('.')
        .next()
        .and_then(|y| y.parse().ok())
        .ok_or_else(ApiError::not_found)?;
    let coord = TileCoord::new(z, x, y).map_err(|_| ApiError::not_found())?;
    let bytes = reader
        .get_tile_decompressed(coord)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_url_names_zoom_column_and_row_over_http() {
        let t = Tiles::remote("https://kartor.example.se/bas/{z}/{x}/{y}.png", "© Staden").unwrap();
        assert_eq!(t.remote_origin(), Some("https://kartor.example.se"));
        assert_eq!(t.source().attribution, "© Staden");
        let lacks = Tiles::remote("https://kartor.example.se/{z}/{x}.png", "")
            .err()
            .unwrap()
            .to_string();
        assert!(lacks.contains("lacks {y}"), "{lacks}");
        let scheme = Tiles::remote("file:///srv/{z}/{x}/{y}.png", "")
            .err()
            .unwrap()
            .to_string();
        assert!(scheme.contains("not an http or https URL"), "{scheme}");
        assert!(Tiles::remote("{z}/{x}/{y}", "").is_err());
    }
}
