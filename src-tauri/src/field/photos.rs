//! Photos: kept on the device with their metadata stripped, queued for upload,
//! and fetched from the server when another device took them.

use super::*;

impl Field {
    /// Keeps a photo on this device and queues it for upload. The photo is
    /// decoded and encoded again (off the async threads), so no location or
    /// device metadata survives; a WebP is kept as JPEG. Too large, not an
    /// image, or HEIC: a clear error, nothing stored.
    pub async fn add_photo(&self, bytes: &[u8], media_type: &str) -> Result<PhotoView> {
        let size = bytes.len() as u64;
        if size > MAX_PHOTO_BYTES {
            return Err(AppError::PhotoTooLarge {
                size,
                limit: MAX_PHOTO_BYTES,
            });
        }
        if size == 0 {
            return Err(invalid("photos", "the file is empty"));
        }
        let (bytes, media) = (bytes.to_vec(), media_type.to_string());
        let clean = tokio::task::spawn_blocking(move || trygg_sync::photo::clean(&bytes, &media))
            .await
            .map_err(|e| AppError::Other(format!("the photo could not be read: {e}")))?
            .map_err(|e| invalid("photos", e.to_string()))?;
        let (size, media_type) = (clean.bytes().len() as u64, clean.media_type().to_string());
        let sha256 = self.client().await?.add_photo(clean).await?;
        Ok(PhotoView {
            sha256,
            size,
            media_type,
            caption: String::new(),
        })
    }

    /// A photo's bytes: from this device, or else fetched from the server.
    pub async fn photo(&self, sha256: &str) -> Result<Vec<u8>> {
        if !trygg_sync::photo::is_sha256_hex(sha256) {
            return Err(AppError::NotFound(format!("photo {sha256:?}")));
        }
        let files = self.photos.clone();
        let sha = sha256.to_owned();
        // Not on this device (or unreadable here): fetched from the server.
        if let Ok(bytes) = blocking(move || Ok(files.get(&sha))).await? {
            return Ok(bytes);
        }
        let client = self.client().await?;
        let bytes = client.api()?.get_photo(sha256).await?;
        let files = self.photos.clone();
        blocking(move || {
            files.put(&bytes)?;
            Ok(bytes)
        })
        .await
    }
}
