//! A photo made ready for the protocol's PDF (no IO): decoded whatever it
//! was (JPEG, PNG, WebP), scaled down to what a printed page shows, and
//! encoded as an RGB JPEG, which a PDF carries as is (`DCTDecode`). A
//! 12-megapixel photo becomes some 50 kB, so a walk with many photos still
//! makes a PDF that can be mailed and archived.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// The longest side, in pixels, of a photo in the PDF: about 200 dpi at the
/// size the protocol prints it.
pub const MAX_SIDE: u32 = 640;

/// The most memory one decode may take (a 64-megapixel RGB photo is 192 MiB).
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

const QUALITY: u8 = 80;

/// A baseline RGB JPEG of `width` × `height` pixels.
#[derive(Clone, PartialEq, Eq)]
pub struct PdfPhoto {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Debug for PdfPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PdfPhoto({}×{}, {} bytes)",
            self.width,
            self.height,
            self.jpeg.len()
        )
    }
}

/// `bytes` (a stored photo) as a [`PdfPhoto`], upright and at most
/// [`MAX_SIDE`] pixels on its longest side; the reason, in Swedish as the
/// PDF prints it, when it cannot be read.
pub fn prepare(bytes: &[u8]) -> Result<PdfPhoto, String> {
    let unreadable = |e: image::ImageError| format!("bilden kan inte läsas ({e})");
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("bilden kan inte läsas ({e})"))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    if picture.width() > MAX_SIDE || picture.height() > MAX_SIDE {
        picture = picture.resize(MAX_SIDE, MAX_SIDE, FilterType::Triangle);
    }
    let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
    let mut jpeg = Vec::new();
    rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, QUALITY))
        .map_err(unreadable)?;
    Ok(PdfPhoto {
        jpeg,
        width: rgb.width(),
        height: rgb.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::png::PngEncoder;
    use image::{Rgb, RgbImage, RgbaImage};

    fn encoded(picture: DynamicImage, png: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if png {
            picture
                .write_with_encoder(PngEncoder::new(&mut out))
                .unwrap();
        } else {
            picture
                .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
                .unwrap();
        }
        out
    }

    #[test]
    fn a_big_photo_shrinks_to_the_printed_size_keeping_its_shape() {
        let photo = RgbImage::from_fn(2000, 1500, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let bytes = encoded(DynamicImage::ImageRgb8(photo), false);
        let ready = prepare(&bytes).unwrap();
        assert_eq!((ready.width, ready.height), (640, 480));
        assert!(ready.jpeg.starts_with(&[0xFF, 0xD8]), "a JPEG");
        assert!(ready.jpeg.len() < bytes.len() / 4, "{ready:?}");
        let back = image::load_from_memory(&ready.jpeg).unwrap();
        assert_eq!(
            back.color(),
            image::ColorType::Rgb8,
            "RGB, as the PDF declares it"
        );
    }

    #[test]
    fn a_small_png_with_transparency_becomes_an_rgb_jpeg_of_the_same_size() {
        let drawing = RgbaImage::from_pixel(300, 200, image::Rgba([10, 200, 30, 128]));
        let ready = prepare(&encoded(DynamicImage::ImageRgba8(drawing), true)).unwrap();
        assert_eq!((ready.width, ready.height), (300, 200));
        let back = image::load_from_memory(&ready.jpeg).unwrap();
        assert_eq!(back.color(), image::ColorType::Rgb8);
    }

    #[test]
    fn bytes_that_are_no_picture_say_so() {
        let said = prepare(b"not a picture at all").unwrap_err();
        assert!(said.starts_with("bilden kan inte läsas"), "{said}");
        let mut cut = encoded(DynamicImage::ImageRgb8(RgbImage::new(64, 64)), false);
        cut.truncate(cut.len() / 2);
        assert!(prepare(&cut).is_err());
    }
}
