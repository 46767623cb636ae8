//! A streamed, mergeable summary of one quantity over trials whose memory does not grow with
//! the number of values: exact moments (count, mean, sum of squared deviations; Chan's pairwise
//! merge, see [`Moments`]), exact minimum and maximum, and quantiles from a log-linear histogram
//! ([`QuantileSketch`]) within [`RELATIVE_ERROR`] of the exact order statistic.
//!
//! Negative values go into a second sketch of their magnitudes, so any finite value can be
//! summarised. Reported quantiles are clamped to the exact `[min, max]`, which keeps them within
//! the stated error and makes them exact when every value is equal. The accumulator also counts
//! exactly how many values equal the minimum and how many equal the maximum, so that an order
//! statistic among them is reported exactly: a series that is constant above a floor (a
//! commitment's $40,000 in most months) or below a ceiling has the floor (ceiling) as its
//! percentiles there, never the midpoint of the histogram bucket holding it.
//!
//! Sketch counts merge exactly in any order; the moments are floating-point sums, so callers
//! that want bit-identical results at any thread count merge in a fixed (trial) order.

use super::codec::{DecodeError, Decoder, Encoder};
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
    /// How many values equal the minimum (`moments.min`).
    at_min: u64,
    /// How many values equal the maximum (`moments.max`).
    at_max: u64,
}

/// `(extreme, count)` of two parts merged: the more extreme one's count, or the sum when both
/// share the extreme (`lower`: the minimum).
fn merge_extreme(a: (f64, u64), b: (f64, u64), lower: bool) -> u64 {
    match (a.1, b.1) {
        (0, _) => b.1,
        (_, 0) => a.1,
        _ if a.0 == b.0 => a.1 + b.1,
        _ if (a.0 < b.0) == lower => a.1,
        _ => b.1,
    }
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
        let block = sums.finish();
        let at_min = values.iter().filter(|&&v| v == block.min).count() as u64;
        let at_max = values.iter().filter(|&&v| v == block.max).count() as u64;
        self.merge_extremes(&block, at_min, at_max);
        self.moments.merge(&block);
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
        self.merge_extremes(&other.moments, other.at_min, other.at_max);
        self.moments.merge(&other.moments);
        self.below_zero.merge(&other.below_zero);
        self.at_or_above_zero.merge(&other.at_or_above_zero);
    }

    /// Counts the values at the minimum and maximum of `self` with another part's (`other`
    /// and its counts); call before merging the moments.
    fn merge_extremes(&mut self, other: &crate::stats::Moments, at_min: u64, at_max: u64) {
        let m = &self.moments;
        self.at_min = merge_extreme((m.min, self.at_min), (other.min, at_min), true);
        self.at_max = merge_extreme((m.max, self.at_max), (other.max, at_max), false);
    }

    /// Writes the part whose merge depends on order (moments and the extremes' counts), for
    /// a shard (the sketches are summed apart: [`DistAccumulator::take_counts`]).
    pub fn encode_ordered(&self, e: &mut Encoder) {
        e.put(&self.moments);
        e.u64(self.at_min);
        e.u64(self.at_max);
    }

    /// Merges a part written by [`DistAccumulator::encode_ordered`], exactly as
    /// [`DistAccumulator::merge`] merges that part.
    pub fn merge_ordered(&mut self, d: &mut Decoder) -> Result<(), DecodeError> {
        let moments: Moments = d.get()?;
        let (at_min, at_max) = (d.u64()?, d.u64()?);
        self.merge_extremes(&moments, at_min, at_max);
        self.moments.merge(&moments);
        Ok(())
    }

    /// Takes the histogram counts out (they merge exactly in any order), leaving them empty.
    pub fn take_counts(&mut self) -> [QuantileSketch; 2] {
        [
            std::mem::take(&mut self.below_zero),
            std::mem::take(&mut self.at_or_above_zero),
        ]
    }

    /// Adds histogram counts taken by [`DistAccumulator::take_counts`].
    pub fn add_counts(&mut self, counts: &[QuantileSketch; 2]) {
        self.below_zero.merge(&counts[0]);
        self.at_or_above_zero.merge(&counts[1]);
    }

    /// How many values equal the minimum and how many the maximum (exact).
    pub fn extreme_counts(&self) -> (u64, u64) {
        (self.at_min, self.at_max)
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.moments.n
    }

    /// The nearest-rank `q`-quantiles (`0 ≤ q ≤ 1`): the order statistic of rank
    /// `max(1, ceil(q n))`, within [`RELATIVE_ERROR`] of it (in magnitude); with `integers`, a
    /// histogram bucket holding a single integer reports it exactly; ranks among the values
    /// equal to the minimum (rank 1 at least) are the exact minimum, ranks among those equal to
    /// the maximum (rank `n` at least) the exact maximum. NaN when empty.
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
                if rank <= self.at_min.max(1) {
                    self.moments.min
                } else if rank > n - self.at_max.max(1) {
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

    #[test]
    fn a_series_constant_above_a_floor_or_below_a_ceiling_has_exact_percentiles_there() {
        // 95% of months at a $40,000 commitment, the rest above it: P5 to P95 are exactly
        // $40,000 (the floor's histogram bucket, [40,000, 40,032), would read its midpoint $40,016). Blocks and merges in
        // any grouping count the floor the same.
        let mut values = vec![40_000.0; 950];
        values.extend((1..=50).map(|i| 40_000.0 + 123.0 * i as f64));
        let mut acc = DistAccumulator::default();
        for block in values.chunks(64) {
            acc.insert_block(block);
        }
        assert_eq!(acc.extreme_counts(), (950, 1));
        let q = acc.quantiles(&[0.05, 0.5, 0.9, 0.95, 0.951, 0.99], false);
        assert_eq!(&q[..4], &[40_000.0; 4]);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for (got, q) in q[4..].iter().zip([0.951, 0.99]) {
            let e = exact(&sorted, q);
            assert!((got - e).abs() <= RELATIVE_ERROR * e, "q={q}: {got} vs {e}");
        }
        let mut merged = DistAccumulator::default();
        for block in values.chunks(7).rev() {
            let mut part = DistAccumulator::default();
            part.insert_block(block);
            merged.merge(&part);
        }
        assert_eq!(merged.extreme_counts(), (950, 1));
        assert_eq!(merged.quantile(0.9, false), 40_000.0);
        // A ceiling: usage capped at 500 in 30% of trials, below it otherwise; and a floor at
        // zero among negatives.
        let mut capped: Vec<f64> = (0..70).map(|i| 100.0 + 3.7 * i as f64).collect();
        capped.extend([500.0; 30]);
        let mut acc = DistAccumulator::default();
        acc.insert_block(&capped);
        assert_eq!(acc.quantiles(&[0.71, 0.9, 0.99], false), vec![500.0; 3]);
        assert_ne!(acc.quantile(0.7, false), 500.0);
        let mut acc = DistAccumulator::default();
        acc.insert_block(&[-3.0, -3.0, -3.0, -1.0, 2.0]);
        assert_eq!(acc.quantiles(&[0.2, 0.6], false), vec![-3.0, -3.0]);
    }
}
