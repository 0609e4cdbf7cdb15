//! What the engine counts, for operators (`GET /metrics`) and benchmarks.
//! Plain atomics, a refusal counter per reason and a latency histogram
//! (`prometheus-client`'s, so the server exports them as they are).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

use crate::gate::Refusal;

#[derive(Debug, Default)]
pub struct Stats {
    pub connections: AtomicU64,
    pub loaded_documents: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub commits: AtomicU64,
    pub chunks_stored: AtomicU64,
    pub evictions: AtomicU64,
    pub failed_commits: AtomicU64,
    /// Times a document's index rows were derived from it in memory.
    pub indexed: AtomicU64,
    /// Times a document was refused because its content contradicts its
    /// registration (when it arrived, and each time it is loaded again).
    pub refused_documents: AtomicU64,
    /// Messages refused, by reason: each [`Refusal`] (which closes the
    /// connection) and `no_access` (a document the peer may not read,
    /// answered as unavailable).
    pub refused_messages: Family<Reason, Counter>,
    /// How long a document's task waited for its chunks to be committed
    /// (queue, transaction and fsync), in seconds.
    pub write_seconds: WriteLatency,
}

/// The label of a refused message.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

impl Stats {
    /// Counts a refused message; a peer leaving is no refusal.
    pub fn refused(&self, refusal: &Refusal) {
        if *refusal != Refusal::Left {
            self.refused_because(refusal.reason());
        }
    }

    pub(crate) fn refused_because(&self, reason: &'static str) {
        self.refused_messages
            .get_or_create(&Reason { reason })
            .inc();
    }

    pub(crate) fn wrote(&self, took: Duration) {
        self.write_seconds.0.observe(took.as_secs_f64());
    }
}

/// Commit latency: buckets from 0.5 ms doubling to about 4 s.
#[derive(Debug)]
pub struct WriteLatency(pub Histogram);

impl Default for WriteLatency {
    fn default() -> Self {
        WriteLatency(Histogram::new(exponential_buckets(0.0005, 2.0, 14)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;
    use prometheus_client::registry::Registry;

    #[test]
    fn refusals_are_counted_by_reason_and_a_peer_leaving_is_not_one() {
        let stats = Stats::default();
        stats.refused(&Refusal::Text);
        stats.refused(&Refusal::Text);
        stats.refused(&Refusal::SecondJoin);
        stats.refused(&Refusal::Left);
        stats.wrote(Duration::from_millis(3));
        let mut registry = Registry::default();
        registry.register("refused", "", stats.refused_messages.clone());
        registry.register("write_seconds", "", stats.write_seconds.0.clone());
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        assert!(text.contains("refused_total{reason=\"text\"} 2"), "{text}");
        assert!(
            text.contains("refused_total{reason=\"second_join\"} 1"),
            "{text}"
        );
        assert!(!text.contains("left"), "{text}");
        assert!(text.contains("write_seconds_count 1"), "{text}");
        assert!(
            text.contains("write_seconds_bucket{le=\"0.004\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("write_seconds_bucket{le=\"0.002\"} 0"),
            "{text}"
        );
    }
}
