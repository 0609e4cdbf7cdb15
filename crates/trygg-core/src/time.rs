//! Points in time, stored as Automerge timestamps (milliseconds since the Unix epoch).
//!
//! Automerge's timestamp scalar is what JS `Date` values become, so a walk written
//! by a JS client reads back here unchanged.

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Self {
        Self(jiff::Timestamp::now().as_millisecond())
    }

    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// RFC 3339 in UTC, e.g. `2026-11-25T19:30:00Z`. Out-of-range values print as the raw number.
    pub fn to_rfc3339(self) -> String {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) => t.to_string(),
            Err(_) => format!("@{}ms", self.0),
        }
    }

    /// Parses RFC 3339 (`2026-11-25T19:30:00Z`, `…+01:00`).
    pub fn parse_rfc3339(s: &str) -> Result<Self, String> {
        s.parse::<jiff::Timestamp>()
            .map(|t| Self(t.as_millisecond()))
            .map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.0)
    }
}

impl Hydrate for Timestamp {
    fn hydrate_timestamp(t: i64) -> Result<Self, HydrateError> {
        Ok(Self(t))
    }

    fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
        // Some clients write plain integers of milliseconds; accept them.
        Ok(Self(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::parse_rfc3339("2026-11-25T19:30:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T19:30:00Z");
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }
}
