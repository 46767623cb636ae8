//! Mergeable co-moments of pairs of metrics, and the standard error of a ratio of means (a
//! share) by the delta method.
//!
//! A chunk accumulates shifted cross sums `Σ(x−Kx)(y−Ky)` (K the chunk's first values, as in
//! [`super::ChunkSums`]); chunks merge by the pairwise update of Chan, Golub & LeVeque
//! ("Algorithms for computing the sample variance", 1983) extended to co-moments:
//! `C = Ca + Cb + δx δy na nb / n`. Merging in a fixed order gives bit-identical results at any
//! thread count.
//!
//! A share `s = Σ xᵢ / Σ yᵢ` (a part `x` of a total `y`) is a ratio estimator; its delta-method
//! standard error is `SE² = Σ(xᵢ − s yᵢ)² / (n (n − 1) ȳ²)` (Cochran, *Sampling Techniques*,
//! 3rd ed., §6.4), where `Σ(xᵢ − s yᵢ)² = M2x − 2 s Cxy + s² M2y` from the moments and the
//! co-moment.

use serde::Serialize;

use super::moments::Moments;

/// The co-moment of two metrics `x` and `y` over a sample, mergeable: `n`, both means and
/// `Σ(x − x̄)(y − ȳ)`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct CoMoments {
    /// Number of pairs.
    pub n: u64,
    /// Mean of `x`.
    pub mean_x: f64,
    /// Mean of `y`.
    pub mean_y: f64,
    /// Sum of products of deviations from the means.
    pub cxy: f64,
}

impl CoMoments {
    /// The co-moment of `x` and `y`, read from `rows` laid out `width` values a row, `x` in
    /// column `x` and `y` in column `y` (shifted sums in row order, as a chunk does).
    pub fn of_columns(rows: &[f64], width: usize, x: usize, y: usize) -> CoMoments {
        let mut iter = rows.chunks_exact(width);
        let Some(first) = iter.next() else {
            return CoMoments::default();
        };
        let (kx, ky) = (first[x], first[y]);
        let (mut sx, mut sy, mut sxy) = (0.0, 0.0, 0.0);
        let mut n = 1u64;
        for row in iter {
            let dx = row[x] - kx;
            let dy = row[y] - ky;
            sx += dx;
            sy += dy;
            sxy += dx * dy;
            n += 1;
        }
        let nf = n as f64;
        CoMoments {
            n,
            mean_x: kx + sx / nf,
            mean_y: ky + sy / nf,
            cxy: sxy - sx * sy / nf,
        }
    }

    /// Adds another sample's co-moment (pairwise update). Not commutative in floating point:
    /// merge in a fixed order for reproducible bits.
    pub fn merge(&mut self, other: &CoMoments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let (na, nb, nf) = (self.n as f64, other.n as f64, n as f64);
        let dx = other.mean_x - self.mean_x;
        let dy = other.mean_y - self.mean_y;
        self.mean_x += dx * nb / nf;
        self.mean_y += dy * nb / nf;
        self.cxy += other.cxy + dx * dy * na * nb / nf;
        self.n = n;
    }
}

/// A share of a total with its delta-method standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    /// `Σ part / Σ total` (0 when the total is 0).
    pub share: f64,
    /// Its standard error (0 when the total is 0 or there is one trial).
    pub se: f64,
}

impl Share {
    /// The share `x̄ / ȳ` of a part `x` in a total `y`, from their moments and co-moment, with
    /// `SE² = (M2x − 2 s Cxy + s² M2y) / (n (n − 1) ȳ²)` (clamped at 0 against rounding).
    pub fn of(part: &Moments, total: &Moments, co: &CoMoments) -> Share {
        if total.n == 0 || total.mean == 0.0 {
            return Share {
                share: 0.0,
                se: 0.0,
            };
        }
        let s = part.mean / total.mean;
        let n = total.n as f64;
        let residual = (part.m2 - 2.0 * s * co.cxy + s * s * total.m2).max(0.0);
        let se = if total.n < 2 {
            0.0
        } else {
            (residual / (n * (n - 1.0))).sqrt() / total.mean.abs()
        };
        Share { share: s, se }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(f64, f64)]) -> Vec<f64> {
        pairs.iter().flat_map(|&(x, y)| [x, y]).collect()
    }

    #[test]
    fn co_moment_matches_the_textbook_formula() {
        let pairs = [(1.0, 2.0), (2.0, 3.5), (4.0, 4.0), (7.0, 11.0), (0.5, 1.0)];
        let c = CoMoments::of_columns(&rows(&pairs), 2, 0, 1);
        let mx = pairs.iter().map(|p| p.0).sum::<f64>() / 5.0;
        let my = pairs.iter().map(|p| p.1).sum::<f64>() / 5.0;
        let cxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        assert_eq!(c.n, 5);
        assert!((c.mean_x - mx).abs() < 1e-12 && (c.mean_y - my).abs() < 1e-12);
        assert!((c.cxy - cxy).abs() < 1e-12, "{} vs {cxy}", c.cxy);
    }

    #[test]
    fn merging_parts_equals_the_whole() {
        let pairs: Vec<(f64, f64)> = (0..1000)
            .map(|i| {
                let x = 1e3 + (i as f64 * 0.37).sin() * 50.0;
                (x, 2.0 * x + (i as f64 * 0.11).cos() * 30.0)
            })
            .collect();
        let all = rows(&pairs);
        let whole = CoMoments::of_columns(&all, 2, 0, 1);
        let mut merged = CoMoments::default();
        for part in all.chunks(2 * 137) {
            merged.merge(&CoMoments::of_columns(part, 2, 0, 1));
        }
        merged.merge(&CoMoments::default());
        assert_eq!(merged.n, whole.n);
        assert!((merged.cxy - whole.cxy).abs() < 1e-9 * whole.cxy.abs());
        assert!((merged.mean_y - whole.mean_y).abs() < 1e-9);
    }

    #[test]
    fn share_se_matches_the_direct_residual_sum() {
        let pairs = [
            (1.0, 3.0),
            (2.0, 3.5),
            (0.0, 4.0),
            (3.0, 5.0),
            (1.5, 2.0),
            (0.2, 1.0),
        ];
        let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let co = CoMoments::of_columns(&rows(&pairs), 2, 0, 1);
        let got = Share::of(&Moments::of(&xs), &Moments::of(&ys), &co);
        let s = xs.iter().sum::<f64>() / ys.iter().sum::<f64>();
        let n = 6.0;
        let my = ys.iter().sum::<f64>() / n;
        let resid: f64 = pairs.iter().map(|p| (p.0 - s * p.1).powi(2)).sum();
        let se = (resid / (n * (n - 1.0))).sqrt() / my;
        assert!((got.share - s).abs() < 1e-15);
        assert!((got.se - se).abs() < 1e-12 * se, "{} vs {se}", got.se);
    }

    #[test]
    fn a_constant_share_has_no_error_and_empty_input_is_safe() {
        // x = 0.25 y in every row: the share is exact.
        let pairs: Vec<(f64, f64)> = (1..50).map(|i| (0.25 * i as f64, i as f64)).collect();
        let xs: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let co = CoMoments::of_columns(&rows(&pairs), 2, 0, 1);
        let got = Share::of(&Moments::of(&xs), &Moments::of(&ys), &co);
        assert_eq!(got.share, 0.25);
        assert!(got.se < 1e-9, "{}", got.se);
        let empty = Share::of(
            &Moments::default(),
            &Moments::default(),
            &CoMoments::default(),
        );
        assert_eq!((empty.share, empty.se), (0.0, 0.0));
        assert_eq!(CoMoments::of_columns(&[], 2, 0, 1), CoMoments::default());
    }
}
