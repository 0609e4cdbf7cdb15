//! Small value types shared by several documents.

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

use crate::error::ValidationErrors;

crate::code_enum! {
    /// Who may see an observation.
    pub enum Sensitivity {
        /// Shared with the walk's partner organisations.
        Shared = "shared",
        /// Only the recording organisation (police notes, for instance).
        Restricted = "restricted",
    }
}

crate::code_enum! {
    /// Whether a walk is made in daylight or after dark.
    pub enum Light {
        Daylight = "daylight",
        Dark = "dark",
    }
}

/// How serious an observation is: 1 low, 2 moderate, 3 high, 4 acute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Severity(u8);

impl Severity {
    pub const LOW: Severity = Severity(1);
    pub const MODERATE: Severity = Severity(2);
    pub const HIGH: Severity = Severity(3);
    pub const ACUTE: Severity = Severity(4);
    /// Every level, lowest first: the scale forms and filters offer.
    pub const ALL: [Severity; 4] = [Self::LOW, Self::MODERATE, Self::HIGH, Self::ACUTE];

    pub fn new(level: u8) -> Result<Self, String> {
        if (1..=4).contains(&level) {
            Ok(Self(level))
        } else {
            Err(format!(
                "severity must be 1 (low) to 4 (acute), not {level}"
            ))
        }
    }

    pub fn level(self) -> u8 {
        self.0
    }

    /// The level's name in Swedish, as forms and the dashboard show it.
    pub fn label_sv(self) -> &'static str {
        match self.0 {
            1 => "Låg",
            2 => "Måttlig",
            3 => "Hög",
            _ => "Akut",
        }
    }
}

impl Reconcile for Severity {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        r.u64(u64::from(self.0))
    }
}

impl Hydrate for Severity {
    fn hydrate_uint(u: u64) -> Result<Self, HydrateError> {
        u8::try_from(u)
            .ok()
            .and_then(|l| Severity::new(l).ok())
            .ok_or_else(|| HydrateError::unexpected("a severity from 1 to 4", u.to_string()))
    }

    fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
        u64::try_from(i)
            .map_err(|_| HydrateError::unexpected("a severity from 1 to 4", i.to_string()))
            .and_then(Self::hydrate_uint)
    }

    fn hydrate_f64(f: f64) -> Result<Self, HydrateError> {
        // JS numbers arrive as f64 when they are not integers in JS's eyes.
        if f.fract() == 0.0 && (1.0..=4.0).contains(&f) {
            Ok(Severity(f as u8))
        } else {
            Err(HydrateError::unexpected(
                "a severity from 1 to 4",
                f.to_string(),
            ))
        }
    }
}

/// A WGS84 position.
#[derive(Clone, Copy, Debug, PartialEq, Reconcile, Hydrate)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    /// Estimated accuracy in metres, when the device knows it.
    pub accuracy_m: Option<f64>,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Self {
        Self {
            lat,
            lon,
            accuracy_m: None,
        }
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(-90.0..=90.0).contains(&self.lat) {
            e.push("lat", format!("latitude {} is outside -90…90", self.lat));
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            e.push("lon", format!("longitude {} is outside -180…180", self.lon));
        }
        if let Some(a) = self.accuracy_m
            && !(a.is_finite() && a >= 0.0)
        {
            e.push(
                "accuracy_m",
                format!("accuracy {a} must be a positive number of metres"),
            );
        }
        e.into_result()
    }
}

/// Where something was seen: a position, a named place, or both.
#[derive(Clone, Debug, PartialEq, Default, Reconcile, Hydrate)]
pub struct Location {
    pub point: Option<GeoPoint>,
    /// Id of a named place in the directory (a square, a tunnel, a park).
    pub place_id: Option<String>,
}

impl Location {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if let Some(p) = &self.point
            && let Err(inner) = p.validate()
        {
            e.nest("point", inner);
        }
        if self.point.is_none() && self.place_id.is_none() {
            e.push("", "needs a position or a named place");
        }
        e.into_result()
    }
}

/// A photo, by reference: the bytes live outside the CRDT, addressed by SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate)]
pub struct PhotoRef {
    /// Lowercase hex SHA-256 of the (EXIF-stripped) bytes.
    #[key]
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub caption: String,
}

/// The largest photo Trygg accepts, in bytes.
pub const MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

impl PhotoRef {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let hex_ok = self.sha256.len() == 64
            && self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex_ok {
            e.push("sha256", "must be 64 lowercase hex digits");
        }
        if self.size == 0 {
            e.push("size", "a photo cannot be empty");
        } else if self.size > MAX_PHOTO_BYTES {
            e.push(
                "size",
                format!("{} bytes is over the limit of {MAX_PHOTO_BYTES}", self.size),
            );
        }
        if !self.media_type.starts_with("image/") {
            e.push(
                "media_type",
                format!("{:?} is not an image type", self.media_type),
            );
        }
        e.into_result()
    }
}
