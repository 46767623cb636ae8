//! Kolmogorov–Smirnov distances: one sample against a continuous CDF, counts against a discrete
//! CDF, and two samples against each other (with the asymptotic p-value of Kolmogorov's
//! distribution, using the effective size `nm/(n + m)` and Stephens' (1970) correction).

use crate::stats::special::kolmogorov_tail;

/// `sup |F_n(x) − F(x)|` for a sample and a continuous CDF (the sample need not be sorted).
pub fn ks_continuous(data: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut sorted = data.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let mut d = 0.0f64;
    for (i, &x) in sorted.iter().enumerate() {
        let f = cdf(x);
        d = d.max(f - i as f64 / n).max((i + 1) as f64 / n - f);
    }
    d
}

/// `max_k |F_n(k) − F(k)|` over the integers up to the sample's maximum, for counts given as
/// (value, frequency) pairs in increasing order, and `cdf[k] = F(k)` for `k` up to that maximum.
pub fn ks_discrete(freq: &[(u64, f64)], n: usize, cdf: &[f64]) -> f64 {
    let mut d = 0.0f64;
    let mut cum = 0.0;
    let mut next = freq.iter().peekable();
    for (k, &f) in cdf.iter().enumerate() {
        while let Some(&&(v, c)) = next.peek() {
            if v as usize == k {
                cum += c;
                next.next();
            } else {
                break;
            }
        }
        d = d.max((cum / n as f64 - f).abs());
    }
    d
}

/// The two-sample KS distance between `a` and `b` and its asymptotic p-value.
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let ne = (n * m / (n + m)).sqrt();
    (d, kolmogorov_tail((ne + 0.12 + 0.11 / ne) * d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_by_hand() {
        // Uniform(0,1) CDF against {0.1, 0.5, 0.9}: max over i of (i+1)/3 − x and x − i/3.
        let d = ks_continuous(&[0.5, 0.1, 0.9], |x| x);
        assert!((d - (2.0f64 / 3.0 - 0.5).max(0.9 - 2.0 / 3.0)).abs() < 1e-15);
        let (d, _) = ks_two_sample(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]);
        assert_eq!(d, 0.0);
        let (d, p) = ks_two_sample(&[1.0, 2.0], &[3.0, 4.0]);
        assert_eq!(d, 1.0);
        assert!(p < 0.5);
        // Counts {0, 0, 1, 3} against F = (0.5, 0.75, 0.9, 1.0): |0.5−0.5|, |0.75−0.75|, |0.75−0.9|.
        let freq = [(0, 2.0), (1, 1.0), (3, 1.0)];
        let d = ks_discrete(&freq, 4, &[0.5, 0.75, 0.9, 1.0]);
        assert!((d - 0.15).abs() < 1e-12);
    }
}
