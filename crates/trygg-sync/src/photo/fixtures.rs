//! Photos shaped like what phones produce, with an invented position in
//! them, for tests (feature `fixtures`). Every picture is generated: the left
//! half red, the right half blue, so a test can tell which way is up.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

/// The camera make and model in every fixture's EXIF.
pub const CAMERA: &str = "Fixture Cam";
/// Text of every fixture's XMP packet: a test asserts it is gone.
pub const XMP_POSITION: &str = "exif:GPSLatitude=\"59,19.758N\"";

/// EXIF orientation 6: the camera was turned; show the picture rotated 90°
/// clockwise.
pub const ROTATE_90: u16 = 6;

/// A `width` × `height` picture: red on the left half, blue on the right.
pub fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 30, 30])
        } else {
            Rgb([30, 30, 220])
        }
    })
}

/// A JPEG with nothing in it but the picture.
pub fn plain_jpeg(width: u32, height: u32) -> Vec<u8> {
    encode_jpeg(&picture(width, height), None)
}

/// What a phone writes: EXIF with camera make, model, orientation
/// [`ROTATE_90`] and a GPS position; XMP with the position again; a comment;
/// a multi-picture index; and after the end of the first picture a second
/// one (a depth map or preview) with EXIF of its own.
pub fn multi_picture_jpeg() -> Vec<u8> {
    let first = encode_jpeg(&picture(64, 32), Some(exif(ROTATE_90)));
    let mut segments = Vec::new();
    segments.extend(jpeg_segment(0xE1, &xmp_app1()));
    segments.extend(jpeg_segment(0xFE, b"Fixture Cam, serial FC-0001"));
    segments.extend(jpeg_segment(0xE2, b"MPF\0MM\0*\0\0\0\x08"));
    let mut out = first[..2].to_vec();
    out.extend(segments);
    out.extend_from_slice(&first[2..]);
    out.extend(encode_jpeg(&picture(16, 8), Some(exif(1))));
    out
}

/// A WebP with an EXIF chunk (orientation [`ROTATE_90`], GPS) and an XMP chunk.
pub fn webp_with_exif_and_xmp() -> Vec<u8> {
    let picture = picture(64, 32);
    let mut out = Vec::new();
    let mut encoder = image_webp::WebPEncoder::new(&mut out);
    encoder.set_exif_metadata(exif(ROTATE_90));
    encoder.set_xmp_metadata(xmp().into_bytes());
    encoder
        .encode(
            picture.as_raw(),
            picture.width(),
            picture.height(),
            image_webp::ColorType::Rgb8,
        )
        .expect("a generated picture encodes");
    out
}

/// A PNG with an eXIf chunk (orientation [`ROTATE_90`], GPS).
pub fn png_with_exif() -> Vec<u8> {
    let picture = picture(64, 32);
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    encoder
        .set_exif_metadata(exif(ROTATE_90))
        .expect("PNG takes EXIF");
    encoder
        .write_image(
            picture.as_raw(),
            picture.width(),
            picture.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("a generated picture encodes");
    out
}

fn encode_jpeg(picture: &RgbImage, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 95);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).expect("JPEG takes EXIF");
    }
    encoder
        .write_image(
            picture.as_raw(),
            picture.width(),
            picture.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("a generated picture encodes");
    out
}

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(
        &u16::try_from(payload.len() + 2)
            .expect("small")
            .to_be_bytes(),
    );
    s.extend_from_slice(payload);
    s
}

fn xmp() -> String {
    format!(
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" {XMP_POSITION} \
         exif:GPSLongitude=\"18,4.116E\"/></rdf:RDF></x:xmpmeta>"
    )
}

fn xmp_app1() -> Vec<u8> {
    let mut payload = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    payload.extend_from_slice(xmp().as_bytes());
    payload
}

/// A big-endian TIFF block as EXIF holds it: IFD0 with make, model,
/// orientation and a pointer to a GPS IFD at an invented position
/// (59°19.758′ N, 18°4.116′ E).
pub fn exif(orientation: u16) -> Vec<u8> {
    const SHORT: u16 = 3;
    const ASCII: u16 = 2;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let ifd_len = |entries: u32| 2 + 12 * entries + 4;
    let ifd0 = 8;
    let gps = ifd0 + ifd_len(4);
    let data = gps + ifd_len(4);
    let make = b"Trygg\0";
    let model = format!("{CAMERA}\0");
    let lat_at = data + (make.len() + model.len()) as u32;
    let lon_at = lat_at + 24;

    let mut b = b"MM\0*".to_vec();
    b.extend(ifd0.to_be_bytes());
    let entry = |b: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        b.extend(tag.to_be_bytes());
        b.extend(kind.to_be_bytes());
        b.extend(count.to_be_bytes());
        b.extend(value);
    };
    let short = |v: u16| {
        let [a, b] = v.to_be_bytes();
        [a, b, 0, 0]
    };
    b.extend(4u16.to_be_bytes());
    entry(&mut b, 0x010F, ASCII, make.len() as u32, data.to_be_bytes());
    let model_at = data + make.len() as u32;
    entry(
        &mut b,
        0x0110,
        ASCII,
        model.len() as u32,
        model_at.to_be_bytes(),
    );
    entry(&mut b, 0x0112, SHORT, 1, short(orientation));
    entry(&mut b, 0x8825, LONG, 1, gps.to_be_bytes());
    b.extend(0u32.to_be_bytes());
    b.extend(4u16.to_be_bytes());
    entry(&mut b, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut b, 0x0002, RATIONAL, 3, lat_at.to_be_bytes());
    entry(&mut b, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut b, 0x0004, RATIONAL, 3, lon_at.to_be_bytes());
    b.extend(0u32.to_be_bytes());
    assert_eq!(b.len() as u32, data);
    b.extend_from_slice(make);
    b.extend_from_slice(model.as_bytes());
    for (num, den) in [
        (59, 1),
        (19758, 1000),
        (0, 1),
        (18, 1),
        (4116, 1000),
        (0, 1),
    ] {
        b.extend(u32::to_be_bytes(num));
        b.extend(u32::to_be_bytes(den));
    }
    b
}
