//! Rank correlation: Spearman's coefficient with tied values given their average rank, and
//! its standard error by Fieller, Hartley & Pearson (1957): `var(atanh r_s) ≈ 1.06 / (n − 3)`
//! for a bivariate normal population, carried back by the delta method.

/// The ranks `1..=n` of `values` (ties share their average rank; NaN sorts last).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j: their average.
        let rank = (i + 1 + j) as f64 / 2.0;
        for &o in &order[i..j] {
            ranks[o] = rank;
        }
        i = j;
    }
    ranks
}

/// Spearman's rank correlation of two equally long samples: Pearson's correlation of their
/// average ranks. NaN when either sample is constant or there are fewer than 2 values.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "samples of equal length");
    pearson(&average_ranks(a), &average_ranks(b))
}

/// The standard error of a Spearman correlation `r` over `n` pairs (see the module docs).
pub fn spearman_se(r: f64, n: u64) -> f64 {
    if n <= 3 {
        return f64::NAN;
    }
    (1.0 - r * r) * (1.06 / (n as f64 - 3.0)).sqrt()
}

/// Pearson's correlation of two equally long samples (NaN when either is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    if x.len() < 2 {
        return f64::NAN;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    sxy / (sxx * syy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5, 1.0, 3.5, 2.0]
        );
    }

    #[test]
    fn spearman_of_monotone_and_reversed_samples() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1.0, 4.0, 9.0, 16.0, 25.0];
        assert!((spearman(&a, &b) - 1.0).abs() < 1e-15);
        let c = [5.0, 4.0, 3.0, 2.0, 1.0];
        assert!((spearman(&a, &c) + 1.0).abs() < 1e-15);
        // A textbook value: ranks (1,2,3,4,5) against (2,1,4,3,5): 1 − 6·4/(5·24) = 0.8.
        let d = [2.0, 1.0, 4.0, 3.0, 5.0];
        assert!((spearman(&a, &d) - 0.8).abs() < 1e-15);
    }
}
