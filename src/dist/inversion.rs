//! Inversion of a discrete distribution's CDF table with a guide table (Chen & Asau 1974).
//!
//! A draw for a uniform `u` in `[0, 1)` is the number of table entries `<= u` (the table is
//! non-decreasing and ends with `+inf`). A guide of `G` buckets (`G` a power of two, so `u · G`
//! and `b / G` are exact) stores for each bucket `b` the count at `u = b / G`; the count at `u`
//! is at least the guide's, and a short forward walk (usually zero or one step) finishes it.
//! The result is exactly the count over the whole table, in a few instructions whatever its
//! length.

/// A CDF table with its guide.
#[derive(Debug, Clone)]
pub(super) struct CdfTable {
    /// Non-decreasing cumulative probabilities; the last entry is `+inf`.
    cdf: Vec<f64>,
    /// `guide[b]` = number of entries `<= b / G`.
    guide: Vec<u32>,
}

impl CdfTable {
    /// The table for cumulative probabilities `cdf` (non-decreasing; its last entry is replaced
    /// by `+inf` so every `u` is caught).
    pub(super) fn new(mut cdf: Vec<f64>) -> CdfTable {
        debug_assert!(cdf.windows(2).all(|w| w[0] <= w[1]));
        if let Some(last) = cdf.last_mut() {
            *last = f64::INFINITY;
        }
        // About four buckets per entry: the walk takes one step or none almost always.
        let buckets = (4 * cdf.len()).next_power_of_two().clamp(16, 1 << 16);
        let guide = (0..buckets)
            .map(|b| {
                let u = b as f64 / buckets as f64;
                cdf.partition_point(|&c| c <= u) as u32
            })
            .collect();
        CdfTable { cdf, guide }
    }

    /// The number of entries `<= u`, for `u` in `[0, 1)`.
    #[inline]
    pub(super) fn count_at_or_below(&self, u: f64) -> usize {
        let bucket = ((u * self.guide.len() as f64) as usize).min(self.guide.len() - 1);
        let mut k = self.guide[bucket] as usize;
        // The last entry is +inf, so the walk stops inside the table.
        while self.cdf[k] <= u {
            k += 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_by_scan(cdf: &[f64], u: f64) -> usize {
        cdf.iter().filter(|&&c| c <= u).count()
    }

    #[test]
    fn the_guided_walk_counts_exactly_what_a_scan_counts() {
        // A Poisson(5)-like table, with repeated entries and entries on bucket edges.
        let cdf = vec![
            0.006_737_946_999_085_467,
            0.040_427_681_994_512_8,
            0.125,
            0.125,
            0.265_025_100_202_385_7,
            0.5,
            0.615_960_654_833_063_2,
            0.762_183_462_599_741_3,
            0.866_628_325_232_654_9,
            0.931_906_365_625_737_2,
            0.968_171_943_177_449_6,
            0.999_999_999_999_999_9,
            1.0,
        ];
        let table = CdfTable::new(cdf.clone());
        let mut scan = cdf;
        *scan.last_mut().unwrap() = f64::INFINITY;
        let mut probes: Vec<f64> = scan[..scan.len() - 1]
            .iter()
            .flat_map(|&c| {
                [
                    c,
                    f64::from_bits(c.to_bits() - 1),
                    f64::from_bits(c.to_bits() + 1),
                ]
            })
            .filter(|u| (0.0..1.0).contains(u))
            .collect();
        probes.extend((0..100_000).map(|i| i as f64 / 100_000.0));
        probes.extend([0.0, 1.0 - f64::EPSILON / 2.0]);
        for u in probes {
            assert_eq!(
                table.count_at_or_below(u),
                count_by_scan(&scan, u),
                "u = {u}"
            );
        }
    }
}
