//! A mergeable quantile sketch for non-negative values with a guaranteed relative error.
//!
//! Method: a log-linear histogram in the style of HdrHistogram. A positive `f64` is bucketed by
//! its exponent and the top [`SUB_BITS`] bits of its mantissa, i.e. by `bits >> (52 − SUB_BITS)`:
//! within each power of two there are `2^SUB_BITS` equal-width buckets, so a bucket's width is at
//! most `2^−SUB_BITS` of its lower edge, and its midpoint lies within
//! [`RELATIVE_ERROR`] `= 2^−(SUB_BITS+1)` (0.049%) of any value in it. Zero has a bucket of its
//! own. Counts are integers, so merging is exact and order-free. Memory is one counter per bucket
//! between the smallest and largest value seen (about 1,024 per doubling of the range), whatever
//! the number of values.

use serde::Serialize;

use super::codec::{DecodeError, Decoder, Encoder, Partial};

/// Mantissa bits kept per bucket.
pub const SUB_BITS: u32 = 10;
/// Largest relative distance between a reported quantile and the true order statistic.
pub const RELATIVE_ERROR: f64 = 1.0 / (1u64 << (SUB_BITS + 1)) as f64;
const SHIFT: u32 = 52 - SUB_BITS;

/// Log-linear histogram of non-negative values.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuantileSketch {
    zeros: u64,
    /// Key of `counts[0]`.
    offset: u32,
    counts: Vec<u64>,
}

#[inline]
fn key_of(x: f64) -> u32 {
    (x.to_bits() >> SHIFT) as u32
}

fn lower_edge(key: u32) -> f64 {
    f64::from_bits((key as u64) << SHIFT)
}

impl QuantileSketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of values inserted.
    pub fn count(&self) -> u64 {
        // Derived rather than stored: one increment fewer per insert in the hot loop.
        self.zeros + self.counts.iter().sum::<u64>()
    }

    /// Adds a value. Values must be non-negative: zero, negative values and NaN count as zero
    /// (and are rejected in debug builds); +inf counts in the bucket of `f64::MAX`.
    #[inline]
    pub fn insert(&mut self, x: f64) {
        debug_assert!(x >= 0.0, "sketch values must be >= 0, got {x}");
        if x > 0.0 {
            let key = key_of(x);
            let i = key.wrapping_sub(self.offset) as usize;
            match self.counts.get_mut(i) {
                Some(c) => *c += 1,
                None => self.insert_new_key(key),
            }
        } else {
            self.zeros += 1;
        }
    }

    /// Adds every value of `values`, as [`QuantileSketch::insert`] on each, with the sketch's
    /// range held in registers between inserts outside it.
    pub fn insert_all(&mut self, values: impl IntoIterator<Item = f64>) {
        let mut values = values.into_iter();
        let mut zeros = 0;
        loop {
            let offset = self.offset;
            let counts = self.counts.as_mut_slice();
            let mut outside = None;
            for x in values.by_ref() {
                debug_assert!(x >= 0.0, "sketch values must be >= 0, got {x}");
                if x > 0.0 {
                    let key = key_of(x);
                    match counts.get_mut(key.wrapping_sub(offset) as usize) {
                        Some(c) => *c += 1,
                        None => {
                            outside = Some(key);
                            break;
                        }
                    }
                } else {
                    zeros += 1;
                }
            }
            match outside {
                Some(key) => self.insert_new_key(key),
                None => break,
            }
        }
        self.zeros += zeros;
    }

    /// Adds column `column` of a row-major table of `stride` values per row (`rows[column]`,
    /// `rows[column + stride]`, …), as [`QuantileSketch::insert`] on each of them.
    ///
    /// One range test per value: once the range starts above key 0, the key of +0 lies below it,
    /// and negative values and NaN (sign or exponent bits set) have keys above every finite
    /// positive one, past its end; all of them fall outside and are sorted out on the slow path.
    pub fn insert_column(&mut self, rows: &[f64], column: usize, stride: usize) {
        assert!(stride > 0, "a row holds at least one value");
        let mut i = column;
        let mut zeros = 0;
        while i < rows.len() {
            let offset = self.offset;
            let end = offset as usize + self.counts.len();
            if offset == 0 || end > key_of(f64::MAX) as usize + 1 {
                // Empty, reaching down to key 0 (where +0 would land in a bucket), or up past
                // the largest finite key (where +inf and NaN would): one value at a time.
                self.insert(rows[i]);
                i += stride;
                continue;
            }
            let counts = self.counts.as_mut_slice();
            let mut outside = None;
            while i < rows.len() {
                let x = rows[i];
                debug_assert!(x >= 0.0, "sketch values must be >= 0, got {x}");
                match counts.get_mut(key_of(x).wrapping_sub(offset) as usize) {
                    Some(c) => *c += 1,
                    None => {
                        outside = Some(x);
                        break;
                    }
                }
                i += stride;
            }
            if let Some(x) = outside {
                if x > 0.0 {
                    self.insert_new_key(key_of(x));
                } else {
                    zeros += 1;
                }
                i += stride;
            }
        }
        self.zeros += zeros;
    }

    /// Adds `n` copies of a value.
    pub fn insert_repeated(&mut self, x: f64, n: u64) {
        if n == 0 {
            return;
        }
        self.insert(x);
        if x > 0.0 {
            let i = (key_of(x).min(key_of(f64::MAX)) - self.offset) as usize;
            self.counts[i] += n - 1;
        } else {
            self.zeros += n - 1;
        }
    }

    /// The slow path of [`QuantileSketch::insert`]: the key lies outside the current range.
    #[cold]
    fn insert_new_key(&mut self, key: u32) {
        let key = key.min(key_of(f64::MAX));
        if self.counts.is_empty() {
            self.offset = key;
            self.counts.push(1);
            return;
        }
        if key < self.offset {
            // Grow downwards by at least the current length (and one octave), so a run of
            // ever smaller values costs amortised O(1) per value, not a shift each time.
            let needed = (self.offset - key) as usize;
            let grow = needed
                .max(self.counts.len())
                .max(1 << SUB_BITS)
                .min(self.offset as usize);
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset -= grow as u32;
        }
        let i = (key - self.offset) as usize;
        if i >= self.counts.len() {
            let len = (i + 1).max(self.counts.len() + (1 << SUB_BITS));
            self.counts.resize(len, 0);
        }
        self.counts[i] += 1;
    }

    /// Adds every count of `other` (exact; the result does not depend on merge order).
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.zeros += other.zeros;
        if other.counts.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.offset = other.offset;
            self.counts = other.counts.clone();
            return;
        }
        let lo = self.offset.min(other.offset);
        let hi = (self.offset as usize + self.counts.len())
            .max(other.offset as usize + other.counts.len());
        if lo < self.offset {
            let grow = (self.offset - lo) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = lo;
        }
        self.counts.resize(hi - lo as usize, 0);
        let start = (other.offset - self.offset) as usize;
        for (dst, src) in self.counts[start..].iter_mut().zip(&other.counts) {
            *dst += src;
        }
    }

    /// The value of the order statistic of 1-based `rank` (clamped to `1..=count`), within
    /// [`RELATIVE_ERROR`]. With `integers`, a bucket holding exactly one integer reports it
    /// exactly. `None` when empty.
    pub fn value_at_rank(&self, rank: u64, integers: bool) -> Option<f64> {
        self.values_at_ranks(&[rank], integers)[0]
    }

    /// [`QuantileSketch::value_at_rank`] of each of `ranks` (in any order), in one pass over
    /// the buckets: a summary reads a score of order statistics.
    pub fn values_at_ranks(&self, ranks: &[u64], integers: bool) -> Vec<Option<f64>> {
        let total = self.count();
        if total == 0 {
            return vec![None; ranks.len()];
        }
        let mut order: Vec<(u64, usize)> = ranks
            .iter()
            .enumerate()
            .map(|(i, &r)| (r.clamp(1, total), i))
            .collect();
        order.sort_unstable();
        let mut values = vec![None; ranks.len()];
        let mut pending = order.iter().peekable();
        while let Some(&&(rank, i)) = pending.peek() {
            if rank > self.zeros {
                break;
            }
            values[i] = Some(0.0);
            pending.next();
        }
        let mut seen = self.zeros;
        // Blocks of bins whose counts do not reach the next rank are skipped whole (their sum
        // vectorises); the bins of the block that does are walked one by one.
        const BLOCK: usize = 64;
        for (k, block) in self.counts.chunks(BLOCK).enumerate() {
            let Some(&&(next, _)) = pending.peek() else {
                break;
            };
            let sum: u64 = block.iter().sum();
            if seen + sum < next {
                seen += sum;
                continue;
            }
            for (j, &c) in block.iter().enumerate() {
                seen += c;
                while let Some(&&(rank, i)) = pending.peek() {
                    if rank > seen {
                        break;
                    }
                    let b = k * BLOCK + j;
                    values[i] = Some(self.representative(self.offset + b as u32, integers));
                    pending.next();
                }
            }
        }
        values
    }

    /// The rank read as the `q`-quantile (0 ≤ q ≤ 1) of this sketch: `max(1, ceil(q n))`.
    pub fn quantile_rank(&self, q: f64) -> u64 {
        ((q.clamp(0.0, 1.0) * self.count() as f64).ceil() as u64).max(1)
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) as the order statistic of rank `max(1, ceil(q n))`.
    pub fn quantile(&self, q: f64, integers: bool) -> Option<f64> {
        self.value_at_rank(self.quantile_rank(q), integers)
    }

    /// Mean of the values above the `q`-quantile (the expected value beyond it), from bucket
    /// midpoints; `None` when empty.
    pub fn mean_above(&self, q: f64, integers: bool) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let skip = (q.clamp(0.0, 1.0) * total as f64).floor() as u64;
        let keep = total - skip;
        if keep == 0 {
            return self.value_at_rank(total, integers);
        }
        let mut to_skip = skip;
        let mut sum = 0.0;
        let zero_skipped = to_skip.min(self.zeros);
        to_skip -= zero_skipped;
        for (i, &c) in self.counts.iter().enumerate() {
            let skipped = to_skip.min(c);
            to_skip -= skipped;
            let kept = c - skipped;
            if kept > 0 {
                sum += kept as f64 * self.representative(self.offset + i as u32, integers);
            }
        }
        Some(sum / keep as f64)
    }

    fn representative(&self, key: u32, integers: bool) -> f64 {
        let lo = lower_edge(key);
        let hi = lower_edge(key + 1);
        if integers {
            let first = lo.ceil();
            if first < hi && first + 1.0 >= hi {
                return first;
            }
        }
        0.5 * (lo + hi)
    }

    /// The non-empty buckets in increasing order as `(lower edge, upper edge, count)`; zeros
    /// come first as `(0, 0, count)`. Every value counted in a bucket lies within its edges.
    pub fn bins(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        let zeros = (self.zeros > 0).then_some((0.0, 0.0, self.zeros));
        zeros
            .into_iter()
            .chain(
                self.counts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| **c > 0)
                    .map(|(i, &c)| {
                        let key = self.offset + i as u32;
                        (lower_edge(key), lower_edge(key + 1), c)
                    }),
            )
    }

    /// How many values lie in the buckets below the one that would hold `x`, in it, and above
    /// it (exact counts). A value in a bucket above is larger than `x`, one below smaller; one in
    /// the same bucket is within the bucket's relative width (`2^−SUB_BITS`) of it.
    pub fn counts_around(&self, x: f64) -> (u64, u64, u64) {
        let total = self.count();
        if x <= 0.0 || x.is_nan() {
            return (0, self.zeros, total - self.zeros);
        }
        let key = key_of(x);
        let (below, same) = if key < self.offset {
            (self.zeros, 0)
        } else {
            let i = ((key - self.offset) as usize).min(self.counts.len());
            let below: u64 = self.zeros + self.counts[..i].iter().sum::<u64>();
            (below, self.counts.get(i).copied().unwrap_or(0))
        };
        (below, same, total - below - same)
    }

    /// Bytes held on the heap by the counters.
    pub fn heap_bytes(&self) -> usize {
        self.counts.capacity() * std::mem::size_of::<u64>()
    }

    /// Number of non-empty buckets (a measure of the sketch's size).
    pub fn buckets(&self) -> usize {
        self.counts.iter().filter(|&&c| c > 0).count() + (self.zeros > 0) as usize
    }
}

/// Written as the zero count, then the non-empty buckets: densely (first key, every count of
/// the span) or sparsely (pairs of key offset and count), whichever is smaller; read back, it
/// gives the same counts (and so the same figures).
impl Partial for QuantileSketch {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.zeros);
        let nonzero = self.counts.iter().filter(|&&c| c > 0).count();
        let first = self.counts.iter().position(|&c| c > 0);
        let last = self.counts.iter().rposition(|&c| c > 0);
        let (Some(a), Some(b)) = (first, last) else {
            e.u64(0); // dense, empty
            e.u64(0);
            e.u64(0);
            return;
        };
        let base = u64::from(self.offset) + a as u64;
        if 2 * nonzero < b - a + 1 {
            e.u64(1); // sparse
            e.u64(base);
            e.u64(nonzero as u64);
            for (i, &c) in self.counts[a..=b].iter().enumerate() {
                if c > 0 {
                    e.u64(i as u64);
                    e.u64(c);
                }
            }
        } else {
            e.u64(0);
            e.u64(base);
            e.put(&self.counts[a..=b].to_vec());
        }
    }

    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let zeros = d.u64()?;
        let sparse = d.u64()?;
        let offset = d.u64()?;
        let counts: Vec<u64> = match sparse {
            0 => d.get()?,
            1 => {
                let n = d.len(16)?;
                let mut counts = Vec::new();
                for _ in 0..n {
                    let (i, c) = (d.u64()?, d.u64()?);
                    if i < counts.len() as u64 || i > u64::from(u32::MAX) {
                        return Err(d.error(format!("a sketch bucket out of order: {i}")));
                    }
                    counts.resize(i as usize, 0);
                    counts.push(c);
                }
                counts
            }
            other => return Err(d.error(format!("a sketch layout {other}, expected 0 or 1"))),
        };
        let end = offset + counts.len() as u64;
        if end > u64::from(u32::MAX) + 1 {
            return Err(d.error(format!(
                "a sketch bucket key of {end}, beyond the largest (2^32)"
            )));
        }
        Ok(QuantileSketch {
            zeros,
            offset: offset as u32,
            counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1]
    }

    #[test]
    fn quantiles_are_within_the_stated_relative_error() {
        let mut values: Vec<f64> = (1..=20_000)
            .map(|i| (12.0 * ((i as f64) * 0.618_034).fract()).exp() * 0.01)
            .collect();
        let mut sketch = QuantileSketch::new();
        for &v in &values {
            sketch.insert(v);
        }
        values.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0] {
            let exact = exact_quantile(&values, q);
            let got = sketch.quantile(q, false).unwrap();
            assert!(
                (got - exact).abs() <= RELATIVE_ERROR * exact * (1.0 + 1e-12),
                "q={q} exact={exact} got={got}"
            );
        }
    }

    #[test]
    fn ranks_read_in_one_pass_equal_ranks_read_one_by_one() {
        let mut sketch = QuantileSketch::new();
        for i in 0..3000 {
            sketch.insert(if i % 5 == 0 {
                0.0
            } else {
                (i as f64).powf(1.3)
            });
        }
        let ranks = [3000, 1, 0, 600, 601, 1500, 5000, 2999, 1500, 42];
        let together = sketch.values_at_ranks(&ranks, true);
        for (&rank, got) in ranks.iter().zip(&together) {
            assert_eq!(
                *got,
                sketch.values_at_ranks(&[rank], true)[0],
                "rank {rank}"
            );
        }
        assert_eq!(together[1], Some(0.0));
        assert_eq!(
            together[6], together[0],
            "ranks past the count read the maximum"
        );
        assert_eq!(
            QuantileSketch::new().values_at_ranks(&[1, 2], false),
            [None, None]
        );
    }

    #[test]
    fn ranks_read_by_blocks_equal_a_bin_by_bin_walk() {
        // Values over many bins, with ranks falling at block edges, inside blocks and past the
        // count: the block skip reads what walking every bin reads.
        let mut sketch = QuantileSketch::new();
        for i in 1..20_000u32 {
            sketch.insert(f64::from(i).powf(1.7) * if i % 7 == 0 { 1e-3 } else { 1.0 });
        }
        let walk = |rank: u64| {
            let mut seen = sketch.zeros;
            for (b, &c) in sketch.counts.iter().enumerate() {
                seen += c;
                if rank.clamp(1, sketch.count()) <= seen {
                    return Some(sketch.representative(sketch.offset + b as u32, false));
                }
            }
            None
        };
        let ranks: Vec<u64> = (0..400)
            .map(|k| k * 53)
            .chain([1, 19_999, 25_000])
            .collect();
        let got = sketch.values_at_ranks(&ranks, false);
        for (&rank, got) in ranks.iter().zip(&got) {
            assert_eq!(*got, walk(rank), "rank {rank}");
        }
    }

    #[test]
    fn small_integers_are_exact() {
        let mut sketch = QuantileSketch::new();
        for v in [0.0, 1.0, 2.0, 3.0, 7.0, 500.0, 1023.0] {
            sketch.insert(v);
        }
        assert_eq!(sketch.value_at_rank(1, true), Some(0.0));
        assert_eq!(sketch.value_at_rank(5, true), Some(7.0));
        assert_eq!(sketch.value_at_rank(6, true), Some(500.0));
        assert_eq!(sketch.value_at_rank(7, true), Some(1023.0));
    }

    #[test]
    fn merge_is_exact_and_order_free() {
        let mut a = QuantileSketch::new();
        let mut b = QuantileSketch::new();
        let mut all = QuantileSketch::new();
        for i in 0..5000 {
            let v = (i as f64).powf(1.7);
            if i % 3 == 0 {
                a.insert(v)
            } else {
                b.insert(v)
            }
            all.insert(v);
        }
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        for q in [0.1, 0.5, 0.99] {
            assert_eq!(ab.quantile(q, false), all.quantile(q, false));
            assert_eq!(ba.quantile(q, false), all.quantile(q, false));
        }
    }

    #[test]
    fn inserting_all_at_once_equals_one_by_one() {
        // Zeros, values spreading the range up and down, and repeats.
        let values: Vec<f64> = (0..5000)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => 1e-3 * (i as f64),
                2 => 1e9 / (1 + i) as f64,
                _ => ((i as f64) * 0.37).sin().abs() * 1e4,
            })
            .collect();
        let mut one = QuantileSketch::new();
        for &v in &values {
            one.insert(v);
        }
        let mut all = QuantileSketch::new();
        all.insert_all(values[..100].iter().copied());
        all.insert_all(values[100..].iter().copied());
        assert_eq!(all, one);
        // Column by column from a table of 7 values per row: every column equals inserting its
        // values one by one.
        assert!(values.iter().filter(|&&v| v == 0.0).count() > 100);
        for column in 0..7 {
            let mut by_column = QuantileSketch::new();
            by_column.insert_column(&values, column, 7);
            let mut one = QuantileSketch::new();
            for &v in values[column..].iter().step_by(7) {
                one.insert(v);
            }
            assert_eq!(by_column, one, "column {column}");
        }
    }

    #[test]
    fn column_inserts_sort_out_zeros_and_the_ends_of_the_range() {
        // Zeros before and after the range exists, subnormals (key 0), the largest doubles and
        // +inf (past the largest finite key), in one column; compared with single inserts.
        let tiny = f64::from_bits(1);
        let values = [
            0.0,
            5.0,
            0.0,
            tiny,
            0.0,
            7.5,
            f64::MAX,
            0.0,
            f64::INFINITY,
            0.0,
            3.0,
            tiny,
            1e300,
            0.0,
        ];
        let mut rows = Vec::new();
        for &v in &values {
            rows.extend([1.0, v]);
        }
        let mut by_column = QuantileSketch::new();
        by_column.insert_column(&rows, 1, 2);
        let mut one = QuantileSketch::new();
        for &v in &values {
            one.insert(v);
        }
        assert_eq!(by_column, one);
        assert_eq!(by_column.count(), values.len() as u64);
    }

    #[test]
    fn repeated_inserts_equal_single_ones() {
        let mut a = QuantileSketch::new();
        let mut b = QuantileSketch::new();
        for (x, n) in [(0.0, 3), (5.5, 4), (1e6, 2), (5.5, 0)] {
            a.insert_repeated(x, n);
            for _ in 0..n {
                b.insert(x);
            }
        }
        assert_eq!(a, b);
    }

    #[test]
    fn bins_hold_every_value_between_their_edges() {
        let mut s = QuantileSketch::new();
        let values = [0.0, 0.0, 1.0, 1.0, 3.5, 1e6];
        values.iter().for_each(|&v| s.insert(v));
        let bins: Vec<_> = s.bins().collect();
        assert_eq!(bins.iter().map(|b| b.2).sum::<u64>(), 6);
        assert_eq!(bins[0], (0.0, 0.0, 2));
        for v in [1.0, 3.5, 1e6] {
            assert!(bins.iter().any(|&(lo, hi, _)| lo <= v && v < hi), "{v}");
        }
        assert!(bins.windows(2).all(|w| w[0].1 <= w[1].0));
    }

    #[test]
    fn mean_above_the_median_of_one_to_a_hundred() {
        let mut s = QuantileSketch::new();
        for i in 1..=100 {
            s.insert(i as f64);
        }
        // Values 51..=100 have mean 75.5; small integers are reported exactly.
        assert_eq!(s.mean_above(0.5, true), Some(75.5));
    }

    #[test]
    fn counts_around_a_value_are_exact() {
        let mut s = QuantileSketch::new();
        s.insert_repeated(0.0, 2);
        s.insert_repeated(1.0, 3);
        s.insert_repeated(1.0005, 4); // the same bucket as 1 (width 2^-10)
        s.insert_repeated(1.01, 5);
        s.insert_repeated(7.0, 6);
        assert_eq!(s.counts_around(1.0), (2, 7, 11));
        assert_eq!(s.counts_around(1.01), (9, 5, 6));
        assert_eq!(s.counts_around(0.0), (0, 2, 18));
        assert_eq!(s.counts_around(0.5), (2, 0, 18));
        assert_eq!(s.counts_around(100.0), (20, 0, 0));
    }
}
