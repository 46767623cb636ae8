//! A streamed, mergeable summary of one quantity over trials whose memory does not grow with
//! the number of values: exact moments (count, mean, sum of squared deviations; Chan's pairwise
//! merge, see [`Moments`]), exact minimum and maximum, and quantiles from a log-linear histogram
//! ([`QuantileSketch`]) within [`RELATIVE_ERROR`] of the exact order statistic.
//!
//! Negative values go into a second sketch of their magnitudes, so any finite value can be
//! summarised. Reported quantiles are clamped to the exact `[min, max]`, which keeps them within
//! the stated error and makes them exact when every value is equal.
//!
//! Sketch counts merge exactly in any order; the moments are floating-point sums, so callers
//! that want bit-identical results at any thread count merge in a fixed (trial) order.

use super::sketch::{QuantileSketch, RELATIVE_ERROR};
use super::{ChunkSums, Moments};

/// Moments, extremes and quantiles of a stream of values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistAccumulator {
    /// Moments over every value (min and max exact).
    pub moments: Moments,
    /// Magnitudes of the negative values.
    below_zero: QuantileSketch,
    /// Values at or above zero.
    at_or_above_zero: QuantileSketch,
}

impl DistAccumulator {
    /// Adds a block of values (e.g. one chunk of trials): their moments are merged as one block
    /// (shifted sums, then Chan's update), their values counted in the sketches.
    pub fn insert_block(&mut self, values: &[f64]) {
        if values.is_empty() {
            return;
        }
        let mut sums = ChunkSums::default();
        for &v in values {
            sums.push(v);
        }
        self.moments.merge(&sums.finish());
        if values.iter().all(|&v| v >= 0.0) {
            self.at_or_above_zero.insert_all(values.iter().copied());
        } else {
            for &v in values {
                if v < 0.0 {
                    self.below_zero.insert(-v);
                } else {
                    self.at_or_above_zero.insert(v);
                }
            }
        }
    }

    /// Adds everything `other` holds (moments: merge in a fixed order for reproducible bits).
    pub fn merge(&mut self, other: &DistAccumulator) {
        self.moments.merge(&other.moments);
        self.below_zero.merge(&other.below_zero);
        self.at_or_above_zero.merge(&other.at_or_above_zero);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.moments.n
    }

    /// The nearest-rank `q`-quantiles (`0 ≤ q ≤ 1`): the order statistic of rank
    /// `max(1, ceil(q n))`, within [`RELATIVE_ERROR`] of it (in magnitude); with `integers`, a
    /// histogram bucket holding a single integer reports it exactly; ranks 1 and `n` are the
    /// exact min and max. NaN when empty.
    pub fn quantiles(&self, qs: &[f64], integers: bool) -> Vec<f64> {
        let n = self.count();
        if n == 0 {
            return vec![f64::NAN; qs.len()];
        }
        let negatives = self.below_zero.count();
        let ranks: Vec<u64> = qs
            .iter()
            .map(|&q| ((q.clamp(0.0, 1.0) * n as f64).ceil() as u64).clamp(1, n))
            .collect();
        // One pass over each sketch: the r-th smallest value is minus the (negatives − r + 1)-th
        // smallest magnitude among the negatives, or the (r − negatives)-th value at or above 0.
        let below: Vec<u64> = ranks
            .iter()
            .filter(|&&r| r <= negatives)
            .map(|&r| negatives - r + 1)
            .collect();
        let above: Vec<u64> = ranks
            .iter()
            .filter(|&&r| r > negatives)
            .map(|&r| r - negatives)
            .collect();
        let mut below = self
            .below_zero
            .values_at_ranks(&below, integers)
            .into_iter();
        let mut above = self
            .at_or_above_zero
            .values_at_ranks(&above, integers)
            .into_iter();
        ranks
            .iter()
            .map(|&rank| {
                let value = if rank <= negatives {
                    below.next().flatten().map(|v| -v)
                } else {
                    above.next().flatten()
                };
                if rank == 1 {
                    self.moments.min
                } else if rank == n {
                    self.moments.max
                } else {
                    value
                        .unwrap_or(f64::NAN)
                        .clamp(self.moments.min, self.moments.max)
                }
            })
            .collect()
    }

    /// One nearest-rank quantile (see [`DistAccumulator::quantiles`]).
    pub fn quantile(&self, q: f64, integers: bool) -> f64 {
        self.quantiles(&[q], integers)[0]
    }

    /// Largest relative error of a reported quantile.
    pub fn relative_error(&self) -> f64 {
        RELATIVE_ERROR
    }

    /// Bytes held on the heap (the sketches' counters).
    pub fn heap_bytes(&self) -> usize {
        self.below_zero.heap_bytes() + self.at_or_above_zero.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(sorted: &[f64], q: f64) -> f64 {
        let n = sorted.len();
        sorted[((q * n as f64).ceil() as usize).clamp(1, n) - 1]
    }

    #[test]
    fn quantiles_of_signed_values_are_within_the_relative_error() {
        let values: Vec<f64> = (0..7001)
            .map(|i| ((i as f64) * 0.618_034).fract() * 2000.0 - 600.0)
            .collect();
        let mut acc = DistAccumulator::default();
        for block in values.chunks(64) {
            acc.insert_block(block);
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.05, 0.2, 0.3, 0.5, 0.9, 0.99, 1.0] {
            let (e, got) = (exact(&sorted, q), acc.quantile(q, false));
            assert!(
                (got - e).abs() <= RELATIVE_ERROR * e.abs() * (1.0 + 1e-12),
                "q={q}: exact {e}, got {got}"
            );
        }
        assert_eq!(acc.quantile(0.0, false), sorted[0]);
        assert_eq!(acc.quantile(1.0, false), sorted[sorted.len() - 1]);
        assert_eq!(acc.count(), 7001);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((acc.moments.mean - mean).abs() < 1e-9);
    }

    #[test]
    fn a_constant_is_reported_exactly_and_merging_equals_inserting() {
        let mut acc = DistAccumulator::default();
        acc.insert_block(&[3.7; 100]);
        assert_eq!(acc.quantiles(&[0.05, 0.5, 0.99], false), vec![3.7; 3]);
        let mut a = DistAccumulator::default();
        let mut b = DistAccumulator::default();
        a.insert_block(&[1.0, -2.0, 5.0]);
        b.insert_block(&[0.0, 7.5]);
        a.merge(&b);
        let mut all = DistAccumulator::default();
        all.insert_block(&[1.0, -2.0, 5.0]);
        all.insert_block(&[0.0, 7.5]);
        assert_eq!(a.moments, all.moments);
        let qs = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
        assert_eq!(a.quantiles(&qs, false), all.quantiles(&qs, false));
        assert_eq!(a.quantile(0.2, true), -2.0);
        assert_eq!(a.quantile(0.4, true), 0.0);
        assert!(DistAccumulator::default().quantile(0.5, false).is_nan());
    }
}
