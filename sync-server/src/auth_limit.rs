//! A per-address limit on tokens the server does not know.
//!
//! A known token is answered from the published access snapshot without a
//! lock. An unknown one is looked up in the registry (it may belong to a
//! device `admin` added moments ago in another process), and that lookup
//! shares the registry's connection with revocation polling. So each address
//! may present only so many tokens that turn out to be unknown: a burst, then
//! a steady rate. The one that goes over the allowance, and every request
//! with a token the snapshot does not know from that address until the
//! allowance has refilled enough, gets `429 Too Many Requests` with
//! `Retry-After`, before any lookup. Lookups that find a device cost nothing.
//!
//! The address is the TCP peer's. Behind a reverse proxy every device has
//! the proxy's address; give the limit room for that, or let the proxy limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How many addresses are remembered before those whose allowance has
/// refilled are forgotten.
const FORGET_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct UnknownTokenLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    refused_until: Mutex<HashMap<IpAddr, Instant>>,
}

impl UnknownTokenLimit {
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        let clock = DefaultClock::default();
        UnknownTokenLimit {
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
            refused_until: Mutex::new(HashMap::new()),
        }
    }

    fn refused(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Instant>> {
        // The map holds plain values: a panic elsewhere cannot leave it half-written.
        self.refused_until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(wait)` while `from` has used up its allowance: no lookup then.
    pub fn check(&self, from: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        match self.refused().get(&from) {
            Some(&until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts one unknown token from `from`; `Err(wait)` when that was one
    /// too many, and `from` is refused for `wait`.
    pub fn unknown(&self, from: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() > FORGET_ABOVE {
            self.limiter.retain_recent();
        }
        let wait = match self.limiter.check_key(&from) {
            Ok(()) => return Ok(()),
            Err(not_until) => not_until.wait_time_from(self.clock.now()),
        };
        let now = Instant::now();
        let mut refused = self.refused();
        if refused.len() > FORGET_ABOVE {
            refused.retain(|_, until| *until > now);
        }
        refused.insert(from, now + wait);
        Err(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    #[test]
    fn an_address_gets_its_burst_then_waits_and_others_are_not_affected() {
        let limit = UnknownTokenLimit::new(n(6), n(3));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            limit.check(a).unwrap();
            limit.unknown(a).unwrap();
        }
        let wait = limit.unknown(a).unwrap_err();
        assert!(
            wait > Duration::from_secs(5) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        let still = limit.check(a).unwrap_err();
        assert!(still <= wait && still > Duration::from_secs(5), "{still:?}");
        limit.check(b).unwrap();
        limit.unknown(b).unwrap();
    }
}
