//! Photos for the demo data, drawn here: a street at dusk with a lamp post
//! and a building, its colours varied per photo. No camera took them and no
//! person is in them; they pass the same cleaning as a device's photo, so
//! the demo's walk protocols (page and PDF) and the field app show pictures.

use anyhow::{Context, Result};
use image::{Rgb, RgbImage};
use trygg_core::edit;
use trygg_core::model::{PhotoRef, Walk};
use trygg_store::{Store, WalkFilter};
use trygg_sync::photo::{clean, sha256_hex};

use crate::photos::PhotoDir;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 720;

/// Demo picture `n`: sky, a building with lit windows, the street and a
/// lamp post, placed and coloured by `n`.
pub fn picture(n: u32) -> RgbImage {
    let hue = (n * 37 % 100) as f32 / 100.0;
    let horizon = HEIGHT * 3 / 5;
    let (house_left, house_right) = (WIDTH / 8 + n * 53 % 200, WIDTH / 2 + n * 31 % 200);
    let house_top = HEIGHT / 4 + n * 17 % 80;
    let post = WIDTH * 3 / 4 - n * 23 % 150;
    RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let lamp_dx = x as f32 - post as f32;
        let lamp_dy = y as f32 - (HEIGHT / 4) as f32;
        if (lamp_dx * lamp_dx + lamp_dy * lamp_dy).sqrt() < 14.0 {
            return Rgb([255, 236, 160]);
        }
        if x.abs_diff(post) < 4 && y > HEIGHT / 4 && y < horizon + 40 {
            return Rgb([40, 42, 48]);
        }
        if (house_left..house_right).contains(&x) && (house_top..horizon).contains(&y) {
            let window = (x - house_left) % 48 < 22 && (y - house_top) % 56 < 26;
            let lit = ((x - house_left) / 48 + (y - house_top) / 56 + n).is_multiple_of(3);
            return match (window, lit) {
                (true, true) => Rgb([250, 210, 120]),
                (true, false) => Rgb([50, 60, 80]),
                _ => Rgb([120 + (hue * 60.0) as u8, 90, 80]),
            };
        }
        if y < horizon {
            let t = y as f32 / horizon as f32;
            Rgb([
                (30.0 + 150.0 * t) as u8,
                (40.0 + 80.0 * t * (1.0 - hue)) as u8,
                (110.0 + 60.0 * (1.0 - t)) as u8,
            ])
        } else {
            let t = (y - horizon) as f32 / (HEIGHT - horizon) as f32;
            let grey = (60.0 + 50.0 * t) as u8;
            Rgb([grey, grey, grey + 8])
        }
    })
}

/// Gives the first observation of every `every`-th walk in `docs` a demo
/// picture, stored in `photos` as a device's upload would be. Returns how
/// many photos it added.
pub fn add_to_walks(docs: &mut Store, photos: &PhotoDir, every: usize) -> Result<usize> {
    let rows = docs.walks(&WalkFilter::default())?;
    let mut added = 0;
    for (n, row) in rows.iter().enumerate().step_by(every.max(1)) {
        let mut handle = docs.load(row.doc_id.parse()?)?;
        let walk: Walk = handle.read()?;
        let Some(mut observation) = walk
            .observations
            .values()
            .min_by_key(|o| o.observed_at)
            .cloned()
        else {
            continue;
        };
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(picture(n as u32))
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .context("drawing a demo photo")?;
        let photo = clean(&jpeg, "image/jpeg")?;
        let sha256 = sha256_hex(photo.bytes());
        photos
            .put(&sha256, photo.bytes())
            .with_context(|| format!("storing demo photo {sha256}"))?;
        observation.photos.push(PhotoRef {
            sha256,
            size: photo.bytes().len() as u64,
            media_type: photo.media_type().into(),
            caption: "Påhittad demobild".into(),
        });
        edit::put_observation(handle.doc_mut(), &observation)?;
        docs.save(&mut handle)?;
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_third_walk_gets_a_clean_photo_that_is_stored_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut docs = Store::open(dir.path().join("documents.db")).unwrap();
        trygg_store::demo::load(&mut docs, 7).unwrap();
        let photos = PhotoDir::open(dir.path().join("photos")).unwrap();
        // Every third walk in the list that has an observation to show it.
        let with_observations = docs
            .walks(&WalkFilter::default())
            .unwrap()
            .iter()
            .step_by(3)
            .filter(|w| w.observation_count > 0)
            .count();
        assert!(with_observations > 0);
        assert_eq!(
            add_to_walks(&mut docs, &photos, 3).unwrap(),
            with_observations
        );
        let mut shown = Vec::new();
        for row in docs.walks(&WalkFilter::default()).unwrap() {
            let walk: Walk = docs
                .load(row.doc_id.parse().unwrap())
                .unwrap()
                .read()
                .unwrap();
            for p in walk.observations.values().flat_map(|o| &o.photos) {
                let bytes = photos.get(&p.sha256).unwrap().expect("stored");
                assert_eq!(sha256_hex(&bytes), p.sha256);
                assert_eq!(bytes.len() as u64, p.size);
                assert!(
                    trygg_sync::photo::metadata_found(&bytes, &p.media_type)
                        .unwrap()
                        .is_empty()
                );
                shown.push(p.sha256.clone());
            }
        }
        shown.sort();
        shown.dedup();
        assert_eq!(
            shown.len(),
            with_observations,
            "a different picture for each"
        );
    }
}
