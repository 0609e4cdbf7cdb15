//! What the bench binaries share: their knobs and their percentiles.

/// A count from the environment, or `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// p50, p99 and max of `ms` (milliseconds); NaN for no samples.
pub fn percentiles_ms(mut ms: Vec<f64>) -> (f64, f64, f64) {
    if ms.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), ms[ms.len() - 1])
}

/// Fewer samples than this give a maximum, not a p99.
pub const MIN_SAMPLES_FOR_P99: usize = 100;

/// `n=… p50 … p99 … max …` in milliseconds with `decimals` decimals; with
/// fewer than [`MIN_SAMPLES_FOR_P99`] samples the p99 is left out (the max
/// is then the tail figure).
pub fn describe_ms(ms: Vec<f64>, decimals: usize) -> String {
    let n = ms.len();
    let (p50, p99, max) = percentiles_ms(ms);
    if n < MIN_SAMPLES_FOR_P99 {
        format!(
            "n={n} p50 {p50:.decimals$} ms  max {max:.decimals$} ms (under {MIN_SAMPLES_FOR_P99} samples: no p99)"
        )
    } else {
        format!("n={n} p50 {p50:.decimals$} ms  p99 {p99:.decimals$} ms  max {max:.decimals$} ms")
    }
}
