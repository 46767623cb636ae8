//! Mergeable moments: count, mean, sum of squared deviations, min and max.
//!
//! Chunks accumulate shifted sums (`Σ(x−K)`, `Σ(x−K)²` with K the chunk's first value, which
//! avoids cancellation and costs two multiply-adds per value); chunks then merge by Chan et al.'s
//! pairwise formula ("Updating formulae and a pairwise algorithm for computing sample
//! variances", 1979). Merging in a fixed order gives bit-identical results at any thread count.

use serde::Serialize;

/// Moments of a sample, mergeable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moments {
    /// Number of values.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    /// Smallest value (+inf when empty).
    pub min: f64,
    /// Largest value (−inf when empty).
    pub max: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Moments {
    /// Moments of a slice (shifted sums, as in a chunk).
    pub fn of(values: &[f64]) -> Moments {
        let mut sums = ChunkSums::default();
        for &v in values {
            sums.push(v);
        }
        sums.finish()
    }

    /// Adds another sample's moments (Chan's pairwise update). Not commutative in floating
    /// point: merge in a fixed order for reproducible bits.
    pub fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let (na, nb, nf) = (self.n as f64, other.n as f64, n as f64);
        self.mean += delta * nb / nf;
        self.m2 += other.m2 + delta * delta * na * nb / nf;
        self.n = n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Sample variance (n − 1 denominator); 0 for fewer than two values.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).max(0.0)
        }
    }

    /// Sample standard deviation.
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }

    /// Standard error of the mean, `sd / sqrt(n)`.
    pub fn se(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sd() / (self.n as f64).sqrt()
        }
    }
}

/// Fast per-chunk accumulator: shifted sums, turned into [`Moments`] at the end of a chunk.
#[derive(Debug, Clone, Copy)]
pub struct ChunkSums {
    n: u64,
    shift: f64,
    s1: f64,
    s2: f64,
    min: f64,
    max: f64,
}

impl Default for ChunkSums {
    fn default() -> Self {
        ChunkSums {
            n: 0,
            shift: 0.0,
            s1: 0.0,
            s2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl ChunkSums {
    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        if self.n == 0 {
            self.shift = x;
        }
        let d = x - self.shift;
        self.n += 1;
        self.s1 += d;
        self.s2 += d * d;
        // Plain comparisons (one minsd/maxsd each) rather than f64::min/max, whose NaN rules
        // cost several instructions; metric values are never NaN.
        self.min = if x < self.min { x } else { self.min };
        self.max = if x > self.max { x } else { self.max };
    }

    /// The sums of `n` copies of `value`.
    pub fn constant(n: u64, value: f64) -> ChunkSums {
        if n == 0 {
            return ChunkSums::default();
        }
        ChunkSums {
            n,
            shift: value,
            s1: 0.0,
            s2: 0.0,
            min: value,
            max: value,
        }
    }

    /// The moments of the values pushed so far.
    pub fn finish(&self) -> Moments {
        if self.n == 0 {
            return Moments::default();
        }
        let n = self.n as f64;
        let mean_d = self.s1 / n;
        Moments {
            n: self.n,
            mean: self.shift + mean_d,
            m2: (self.s2 - self.s1 * mean_d).max(0.0),
            min: self.min,
            max: self.max,
        }
    }
}

/// Shifted sums of several metrics at once, stored column-wise (one array per statistic) so the
/// per-row update is a straight, vectorisable loop: the hot-loop form of [`ChunkSums`].
#[derive(Debug, Clone)]
pub struct MomentsBlock {
    n: u64,
    shift: Vec<f64>,
    s1: Vec<f64>,
    s2: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

impl MomentsBlock {
    /// An empty block of `width` metrics.
    pub fn new(width: usize) -> Self {
        MomentsBlock {
            n: 0,
            shift: vec![0.0; width],
            s1: vec![0.0; width],
            s2: vec![0.0; width],
            min: vec![f64::INFINITY; width],
            max: vec![f64::NEG_INFINITY; width],
        }
    }

    /// Adds one row: a value per metric (`row.len()` must equal the width).
    #[inline]
    pub fn push_row(&mut self, row: &[f64]) {
        let w = self.shift.len();
        assert_eq!(row.len(), w, "a row has one value per metric");
        if self.n == 0 {
            self.shift.copy_from_slice(row);
        }
        self.n += 1;
        let (shift, s1, s2) = (&self.shift[..w], &mut self.s1[..w], &mut self.s2[..w]);
        let (min, max) = (&mut self.min[..w], &mut self.max[..w]);
        for j in 0..w {
            let x = row[j];
            let d = x - shift[j];
            s1[j] += d;
            s2[j] += d * d;
            min[j] = if x < min[j] { x } else { min[j] };
            max[j] = if x > max[j] { x } else { max[j] };
        }
    }

    /// Adds rows stored one after another in `rows` (whose length must be a multiple of the
    /// width): the same sums, in the same order, as [`MomentsBlock::push_row`] on each row, so
    /// the results are bit-identical.
    ///
    /// Column-wise, four columns at a time with the sums in registers (two two-lane SIMD
    /// registers per statistic; the loop's own work shared by four columns): no reloading of
    /// the sums and no runtime alias checks (which the row-at-a-time loop pays on every row).
    pub fn push_rows(&mut self, rows: &[f64]) {
        let w = self.shift.len();
        if w == 0 || rows.is_empty() {
            return;
        }
        assert_eq!(rows.len() % w, 0, "rows hold one value per metric");
        if self.n == 0 {
            self.shift.copy_from_slice(&rows[..w]);
        }
        self.n += (rows.len() / w) as u64;
        let mut j = 0;
        while j + 4 <= w {
            self.push_columns::<4>(rows, j);
            j += 4;
        }
        if j + 2 <= w {
            self.push_columns::<2>(rows, j);
            j += 2;
        }
        if j < w {
            self.push_columns::<1>(rows, j);
        }
    }

    /// Accumulates columns `j..j + L` of `rows` (rows of the block's width).
    #[inline(always)]
    fn push_columns<const L: usize>(&mut self, rows: &[f64], j: usize) {
        let w = self.shift.len();
        let lanes = |v: &[f64]| -> [f64; L] { v[j..j + L].try_into().expect("L lanes") };
        let shift = lanes(&self.shift);
        let (mut s1, mut s2) = (lanes(&self.s1), lanes(&self.s2));
        let (mut min, mut max) = (lanes(&self.min), lanes(&self.max));
        for row in rows.chunks_exact(w) {
            let x = lanes(row);
            for l in 0..L {
                let d = x[l] - shift[l];
                s1[l] += d;
                s2[l] += d * d;
                min[l] = if x[l] < min[l] { x[l] } else { min[l] };
                max[l] = if x[l] > max[l] { x[l] } else { max[l] };
            }
        }
        self.s1[j..j + L].copy_from_slice(&s1);
        self.s2[j..j + L].copy_from_slice(&s2);
        self.min[j..j + L].copy_from_slice(&min);
        self.max[j..j + L].copy_from_slice(&max);
    }

    /// The moments of each metric.
    pub fn finish(&self) -> Vec<Moments> {
        (0..self.shift.len())
            .map(|j| {
                ChunkSums {
                    n: self.n,
                    shift: self.shift[j],
                    s1: self.s1[j],
                    s2: self.s2[j],
                    min: self.min[j],
                    max: self.max[j],
                }
                .finish()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_match_the_textbook_formulas() {
        let m = Moments::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m.n, 8);
        assert!((m.mean - 5.0).abs() < 1e-12);
        assert!((m.variance() - 32.0 / 7.0).abs() < 1e-12);
        assert_eq!((m.min, m.max), (2.0, 9.0));
    }

    #[test]
    fn merging_halves_equals_the_whole() {
        let values: Vec<f64> = (0..1000).map(|i| 1e6 + (i as f64 * 0.37).sin()).collect();
        let whole = Moments::of(&values);
        let mut a = Moments::of(&values[..313]);
        a.merge(&Moments::of(&values[313..]));
        assert!((a.mean - whole.mean).abs() < 1e-9);
        assert!((a.variance() - whole.variance()).abs() < 1e-9 * whole.variance().max(1.0));
        assert_eq!(a.n, whole.n);
    }

    #[test]
    fn a_block_equals_one_accumulator_per_column() {
        let rows = [[1.0, 10.0], [2.0, 0.0], [4.5, 7.0]];
        let mut block = MomentsBlock::new(2);
        let mut cols = [ChunkSums::default(); 2];
        for row in &rows {
            block.push_row(row);
            for (c, &v) in cols.iter_mut().zip(row) {
                c.push(v);
            }
        }
        let got = block.finish();
        assert_eq!(got, vec![cols[0].finish(), cols[1].finish()]);
        assert_eq!(MomentsBlock::new(3).finish(), vec![Moments::default(); 3]);
    }

    #[test]
    fn pushing_rows_at_once_equals_pushing_each() {
        for width in [1, 2, 3, 4, 5, 6, 7, 11, 28] {
            let rows: Vec<f64> = (0..width * 37)
                .map(|i| 1e3 + (i as f64 * 0.731).sin() * 1e2)
                .collect();
            let mut each = MomentsBlock::new(width);
            for row in rows.chunks_exact(width) {
                each.push_row(row);
            }
            let mut all = MomentsBlock::new(width);
            all.push_rows(&rows[..width * 10]);
            all.push_rows(&[]);
            all.push_rows(&rows[width * 10..]);
            assert_eq!(all.finish(), each.finish(), "width {width}");
        }
    }

    #[test]
    fn constant_sums_equal_pushed_values() {
        let mut pushed = ChunkSums::default();
        for _ in 0..7 {
            pushed.push(2.5);
        }
        assert_eq!(ChunkSums::constant(7, 2.5).finish(), pushed.finish());
        assert_eq!(ChunkSums::constant(0, 2.5).finish(), Moments::default());
    }

    #[test]
    fn empty_and_single_values_are_safe() {
        let mut m = Moments::default();
        m.merge(&Moments::default());
        assert_eq!(m.n, 0);
        assert_eq!(m.se(), 0.0);
        let one = Moments::of(&[3.0]);
        assert_eq!((one.mean, one.variance()), (3.0, 0.0));
    }
}
