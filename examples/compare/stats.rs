//! Medians, percentiles and the fairness metrics.

use crate::workloads::Wait;
use std::time::{Duration, Instant};

/// The median of `xs` (mean of the middle two for an even count); NaN when empty.
pub(crate) fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Smallest and largest of `xs` (ignoring NaN).
pub(crate) fn min_max(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold((f64::NAN, f64::NAN), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// The `q`-quantile (0..=1) of sorted `sorted`, nearest rank.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Jain's fairness index (Σx)² / (n·Σx²): 1 when all equal, 1/n when one takes everything.
pub(crate) fn jain(counts: &[u64]) -> f64 {
    let n = counts.len() as f64;
    let sum: f64 = counts.iter().map(|&c| c as f64).sum();
    let squares: f64 = counts.iter().map(|&c| (c as f64) * (c as f64)).sum();
    if squares == 0.0 {
        return f64::NAN;
    }
    sum * sum / (n * squares)
}

/// Fairness of one run of the fairness workload.
#[derive(Clone, Debug)]
pub(crate) struct Fairness {
    /// Messages delivered to each receiver.
    pub(crate) counts: Vec<u64>,
    /// Share of deliveries made while an older waiter still waited, in percent.
    pub(crate) overtaken_pct: f64,
    /// (older waiter, delivery) pairs served out of order, per delivery.
    pub(crate) inversions_per_msg: f64,
    /// Jain's index over `counts`.
    pub(crate) jain: f64,
    /// Every delivered message's wait, sorted.
    pub(crate) waits: Vec<Duration>,
}

impl Fairness {
    /// `q`-quantile of the waits.
    pub(crate) fn wait_quantile(&self, q: f64) -> Duration {
        quantile(&self.waits, q)
    }
}

/// Computes the fairness metrics from every receiver's timed `recv` calls.
///
/// A delivery to receiver B (wait `[sB, eB]`) is **overtaken** if some other receiver A was in a
/// `recv` call `[sA, eA]` that began earlier (`sA < sB`) and was still going on when B's ended
/// (`eA > eB`): A was waiting in line ahead of B and B was served first. Each such (A, B) pair
/// is one **inversion**. A receiver's calls do not overlap, so at most one call of A can
/// contain `eB`; it is found by binary search. A's last call (the one that ends with the
/// channel closed) counts as waiting too.
///
/// A wait is measured from `from` (when sending began) if the call started before it.
pub(crate) fn fairness(per_receiver: &[Vec<Wait>], from: Instant) -> Fairness {
    let counts: Vec<u64> = per_receiver
        .iter()
        .map(|w| w.iter().filter(|w| w.delivered).count() as u64)
        .collect();
    let mut deliveries = 0u64;
    let mut overtaken = 0u64;
    let mut inversions = 0u64;
    let mut waits = Vec::new();
    for (b, calls) in per_receiver.iter().enumerate() {
        for w in calls.iter().filter(|w| w.delivered) {
            deliveries += 1;
            waits.push(w.end.saturating_duration_since(w.start.max(from)));
            let mut older = 0u64;
            for (a, other) in per_receiver.iter().enumerate() {
                if a == b {
                    continue;
                }
                // The last call of A that started at or before B's end.
                let i = other.partition_point(|x| x.start <= w.end);
                if i == 0 {
                    continue;
                }
                let x = &other[i - 1];
                if x.start < w.start && x.end > w.end {
                    older += 1;
                }
            }
            overtaken += u64::from(older > 0);
            inversions += older;
        }
    }
    waits.sort_unstable();
    let per = |x: u64| {
        if deliveries == 0 {
            f64::NAN
        } else {
            x as f64 / deliveries as f64
        }
    };
    Fairness {
        jain: jain(&counts),
        counts,
        overtaken_pct: 100.0 * per(overtaken),
        inversions_per_msg: per(inversions),
        waits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_bounds() {
        assert!((jain(&[5, 5, 5, 5]) - 1.0).abs() < 1e-12);
        assert!((jain(&[8, 0, 0, 0]) - 0.25).abs() < 1e-12);
    }

    /// A barging receiver B takes two messages while A, which started waiting first, waits on.
    #[test]
    fn barging_overtakes_without_adjacent_inversion() {
        let base = Instant::now();
        let t = |us: u64| base + Duration::from_micros(us);
        let call = |s, e| Wait {
            start: t(s),
            end: t(e),
            delivered: true,
        };
        let a = vec![call(0, 100)];
        let b = vec![call(10, 20), call(21, 30)];
        let f = fairness(&[a, b], base);
        assert_eq!(f.counts, [1, 2]);
        assert!((f.overtaken_pct - 200.0 / 3.0).abs() < 1e-9);
        assert!((f.inversions_per_msg - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(f.wait_quantile(1.0), Duration::from_micros(100));
    }

    /// Served in the order they blocked: no overtaking.
    #[test]
    fn fifo_service_is_not_overtaking() {
        let base = Instant::now();
        let t = |us: u64| base + Duration::from_micros(us);
        let call = |s, e, delivered| Wait {
            start: t(s),
            end: t(e),
            delivered,
        };
        let a = vec![call(0, 10, true), call(11, 30, true), call(31, 50, false)];
        let b = vec![call(1, 20, true), call(21, 40, true), call(41, 50, false)];
        let f = fairness(&[a, b], base);
        assert_eq!(f.overtaken_pct, 0.0);
        assert_eq!(f.jain, 1.0);
    }

    #[test]
    fn median_even_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
