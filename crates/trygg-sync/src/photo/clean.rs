//! Decodes a photo and encodes its pixels again, so that nothing the camera
//! wrote beside them survives: not EXIF in any of its hiding places, not a
//! second picture, not a comment. The EXIF orientation is applied first, so
//! the picture stays upright once the tag is gone.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use super::{PhotoError, metadata_found};

/// The longest side a photo may have (a 200-megapixel phone sensor is
/// 16,320 pixels wide).
pub const MAX_PHOTO_SIDE: u32 = 16_384;

/// The most memory a decode may take (a 64-megapixel RGB photo is 192 MiB).
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// JPEG quality of the re-encoded photo: visually lossless for photos.
const JPEG_QUALITY: u8 = 90;

/// Photo bytes that went through [`clean`]: only it makes one.
#[derive(Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    bytes: Vec<u8>,
    media_type: &'static str,
    width: u32,
    height: u32,
}

impl std::fmt::Debug for CleanPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CleanPhoto")
            .field("bytes", &self.bytes.len())
            .field("media_type", &self.media_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

impl CleanPhoto {
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `image/png` for a PNG, `image/jpeg` for everything else.
    pub fn media_type(&self) -> &'static str {
        self.media_type
    }

    /// Width and height after the camera's orientation was applied.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

/// Decodes `bytes` as `media_type`, turns it upright and encodes the pixels
/// alone: PNG stays PNG (screenshots and drawings keep their sharp edges),
/// JPEG and WebP become JPEG. HEIC is refused with a message that says how
/// to get a JPEG instead.
pub fn clean(bytes: &[u8], media_type: &str) -> Result<CleanPhoto, PhotoError> {
    let (format, kind) = match media_type {
        "image/jpeg" => (ImageFormat::Jpeg, "JPEG"),
        "image/png" => (ImageFormat::Png, "PNG"),
        "image/webp" => (ImageFormat::WebP, "WebP"),
        "image/heic" | "image/heif" => return Err(PhotoError::Heic),
        other => return Err(PhotoError::UnsupportedType(other.to_string())),
    };
    let unreadable = |e: ImageError| match e {
        ImageError::Limits(_) => PhotoError::Unreadable {
            kind,
            reason: "it is too large to decode on this device".to_string(),
        },
        e => PhotoError::Unreadable {
            kind,
            reason: e.to_string(),
        },
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width > MAX_PHOTO_SIDE || height > MAX_PHOTO_SIDE {
        return Err(PhotoError::TooManyPixels { width, height });
    }
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    let (width, height) = (picture.width(), picture.height());

    let mut out = Vec::new();
    let media_type = if format == ImageFormat::Png {
        picture
            .write_with_encoder(PngEncoder::new(&mut out))
            .map_err(unreadable)?;
        "image/png"
    } else {
        // JPEG has no alpha and eight bits per channel.
        let picture = match picture {
            DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => picture,
            other => DynamicImage::ImageRgb8(other.to_rgb8()),
        };
        picture
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
            .map_err(unreadable)?;
        "image/jpeg"
    };
    // What leaves here must pass the server's check; prove it on every photo.
    let left = metadata_found(&out, media_type)?;
    if !left.is_empty() {
        return Err(PhotoError::Metadata(left));
    }
    Ok(CleanPhoto {
        bytes: out,
        media_type,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use image::ImageEncoder;

    use super::super::fixtures::{self, CAMERA, XMP_POSITION};
    use super::*;

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    /// The fixtures are red on the left, blue on the right, taken with the
    /// camera turned: upright, red is on top.
    fn assert_upright(photo: &CleanPhoto) {
        assert_eq!(
            photo.dimensions(),
            (32, 64),
            "the orientation was not applied"
        );
        let picture = image::load_from_memory(photo.bytes()).unwrap().to_rgb8();
        assert_eq!(picture.dimensions(), (32, 64));
        let [r, _, b] = picture.get_pixel(16, 8).0;
        assert!(r > 150 && b < 100, "top is not red: {r} {b}");
        let [r, _, b] = picture.get_pixel(16, 56).0;
        assert!(b > 150 && r < 100, "bottom is not blue: {r} {b}");
    }

    fn assert_nothing_left(photo: &CleanPhoto) {
        assert_eq!(
            metadata_found(photo.bytes(), photo.media_type()),
            Ok(vec![])
        );
        for text in [CAMERA, XMP_POSITION, "FC-0001", "Exif", "MPF"] {
            assert!(!contains(photo.bytes(), text), "{text} survived");
        }
    }

    #[test]
    fn a_multi_picture_jpeg_keeps_only_its_first_picture_upright() {
        let original = fixtures::multi_picture_jpeg();
        let found = metadata_found(&original, "image/jpeg").unwrap();
        assert_eq!(
            found.len(),
            5,
            "the fixture carries less than it should: {found:?}"
        );
        let photo = clean(&original, "image/jpeg").unwrap();
        assert_eq!(photo.media_type(), "image/jpeg");
        assert_nothing_left(&photo);
        assert_upright(&photo);
        // The bytes after the first picture's end are gone: one SOI, one EOI.
        assert_eq!(
            photo
                .bytes()
                .windows(2)
                .filter(|w| w == &[0xFF, 0xD8])
                .count(),
            1
        );
    }

    #[test]
    fn a_webp_with_exif_and_xmp_becomes_a_plain_jpeg() {
        let original = fixtures::webp_with_exif_and_xmp();
        assert_eq!(
            metadata_found(&original, "image/webp").unwrap(),
            ["EXIF (EXIF chunk)", "XMP (XMP chunk)"]
        );
        let photo = clean(&original, "image/webp").unwrap();
        assert_eq!(photo.media_type(), "image/jpeg");
        assert_nothing_left(&photo);
        assert_upright(&photo);
    }

    #[test]
    fn a_png_with_exif_stays_a_png_without_it() {
        let original = fixtures::png_with_exif();
        assert_eq!(
            metadata_found(&original, "image/png").unwrap(),
            ["EXIF (eXIf)"]
        );
        let photo = clean(&original, "image/png").unwrap();
        assert_eq!(photo.media_type(), "image/png");
        assert_nothing_left(&photo);
        assert_upright(&photo);
    }

    #[test]
    fn heic_damaged_and_oversized_photos_are_refused_clearly() {
        assert_eq!(clean(b"....ftypheic", "image/heic"), Err(PhotoError::Heic));
        assert!(PhotoError::Heic.to_string().contains("JPEG"));
        let damaged = clean(b"\xFF\xD8\xFF\xE0 not really", "image/jpeg").unwrap_err();
        assert!(
            matches!(damaged, PhotoError::Unreadable { kind: "JPEG", .. }),
            "{damaged:?}"
        );
        let jpeg = fixtures::plain_jpeg(8, 8);
        assert!(matches!(
            clean(&jpeg, "image/png"),
            Err(PhotoError::Unreadable { kind: "PNG", .. })
        ));
        assert_eq!(
            clean(&jpeg, "application/pdf"),
            Err(PhotoError::UnsupportedType("application/pdf".into()))
        );
        let mut wide = Vec::new();
        PngEncoder::new(&mut wide)
            .write_image(
                &vec![0; (MAX_PHOTO_SIDE as usize + 1) * 2],
                MAX_PHOTO_SIDE + 1,
                2,
                image::ExtendedColorType::L8,
            )
            .unwrap();
        assert_eq!(
            clean(&wide, "image/png"),
            Err(PhotoError::TooManyPixels {
                width: MAX_PHOTO_SIDE + 1,
                height: 2
            })
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bytes_are_refused_without_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            for media in ["image/jpeg", "image/png", "image/webp"] {
                proptest::prop_assert!(clean(&bytes, media).is_err());
            }
        }
    }
}
