//! Minimising a smooth function of a few parameters, and the curvature at the minimum.
//!
//! - [`nelder_mead`]: the downhill simplex (Nelder & Mead 1965, with the standard coefficients
//!   1, 2, ½, ½), restarted from its best point until a restart no longer improves it (a
//!   collapsed simplex is the method's known failure; a restart is the usual remedy).
//! - [`hessian`]: central second differences, step `h_i = 1e-4 · max(1, |x_i|)`.
//! - [`invert`]: Gauss–Jordan with partial pivoting; `None` for a singular matrix.
//!
//! Maximum-likelihood fits use them as: minimise the negative log-likelihood, invert its
//! Hessian (the observed information) for the covariance of the estimates.

/// Where [`nelder_mead`] stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    /// The best point found.
    pub x: Vec<f64>,
    /// The function there.
    pub value: f64,
    /// Function evaluations spent.
    pub evaluations: usize,
}

/// Minimises `f` from `start`, the first simplex spread by `step` along each axis. Stops when
/// the simplex's values span less than `1e-12 · (1 + |f|)` or after `max_evaluations`.
/// Non-finite values count as `+∞` (a wall the simplex turns away from).
pub fn nelder_mead(
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    max_evaluations: usize,
) -> Minimum {
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut best = Minimum {
        x: start.to_vec(),
        value: eval(start),
        evaluations: 1,
    };
    for _restart in 0..8 {
        let before = best.value;
        let run = simplex(
            &eval,
            &best.x,
            step,
            max_evaluations - best.evaluations.min(max_evaluations),
        );
        best.evaluations += run.evaluations;
        if run.value <= best.value {
            best.x = run.x;
            best.value = run.value;
        }
        let settled = before - best.value <= 1e-10 * (1.0 + best.value.abs());
        if settled || best.evaluations >= max_evaluations {
            break;
        }
    }
    best
}

fn simplex(f: &impl Fn(&[f64]) -> f64, start: &[f64], step: &[f64], budget: usize) -> Minimum {
    let n = start.len();
    let mut points: Vec<Vec<f64>> = vec![start.to_vec()];
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step[i];
        points.push(p);
    }
    let mut values: Vec<f64> = points.iter().map(|p| f(p)).collect();
    let mut evaluations = n + 1;
    while evaluations < budget {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
        let (lo, hi, second) = (order[0], order[n], order[n - 1]);
        let spread = values[hi] - values[lo];
        if spread.is_finite() && spread <= 1e-12 * (1.0 + values[lo].abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| order[..n].iter().map(|&i| points[i][j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (points[hi][j] - centroid[j]))
                .collect()
        };
        let reflected = along(-1.0);
        let fr = f(&reflected);
        evaluations += 1;
        if fr < values[lo] {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            evaluations += 1;
            if fe < fr {
                points[hi] = expanded;
                values[hi] = fe;
            } else {
                points[hi] = reflected;
                values[hi] = fr;
            }
        } else if fr < values[second] {
            points[hi] = reflected;
            values[hi] = fr;
        } else {
            let (contracted, fc) = if fr < values[hi] {
                let c = along(-0.5);
                let v = f(&c);
                (c, v)
            } else {
                let c = along(0.5);
                let v = f(&c);
                (c, v)
            };
            evaluations += 1;
            if fc < values[hi].min(fr) {
                points[hi] = contracted;
                values[hi] = fc;
            } else {
                // Shrink toward the best point.
                let best = points[lo].clone();
                for &i in &order[1..] {
                    for (p, b) in points[i].iter_mut().zip(&best) {
                        *p = b + 0.5 * (*p - b);
                    }
                    values[i] = f(&points[i]);
                    evaluations += 1;
                }
            }
        }
    }
    let lo = (0..=n)
        .min_by(|&a, &b| values[a].total_cmp(&values[b]))
        .unwrap_or(0);
    Minimum {
        x: points[lo].clone(),
        value: values[lo],
        evaluations,
    }
}

/// The Hessian of `f` at `x` by central differences.
pub fn hessian(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let h: Vec<f64> = x.iter().map(|v| 1e-4 * v.abs().max(1.0)).collect();
    let at = |moves: &[(usize, f64)]| {
        let mut p = x.to_vec();
        for &(i, d) in moves {
            p[i] += d;
        }
        f(&p)
    };
    let f0 = f(x);
    let mut out = vec![vec![0.0; n]; n];
    for i in 0..n {
        out[i][i] = (at(&[(i, h[i])]) - 2.0 * f0 + at(&[(i, -h[i])])) / (h[i] * h[i]);
        for j in 0..i {
            let v = (at(&[(i, h[i]), (j, h[j])])
                - at(&[(i, h[i]), (j, -h[j])])
                - at(&[(i, -h[i]), (j, h[j])])
                + at(&[(i, -h[i]), (j, -h[j])]))
                / (4.0 * h[i] * h[j]);
            out[i][j] = v;
            out[j][i] = v;
        }
    }
    out
}

/// The inverse of a square matrix, or `None` when it is singular (a pivot below `1e-300` or a
/// non-finite entry).
pub fn invert(m: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = m.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            r
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if !a[pivot][col].is_finite() || a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        let p = a[col][col];
        for v in a[col].iter_mut() {
            *v /= p;
        }
        for row in 0..n {
            if row != col {
                let factor = a[row][col];
                if factor != 0.0 {
                    let pivot_row = a[col].clone();
                    for (v, p) in a[row].iter_mut().zip(&pivot_row) {
                        *v -= factor * p;
                    }
                }
            }
        }
    }
    let out: Vec<Vec<f64>> = a.into_iter().map(|r| r[n..].to_vec()).collect();
    out.iter().flatten().all(|v| v.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = nelder_mead(f, &[-1.2, 1.0], &[0.5, 0.5], 20_000);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    #[test]
    fn the_inverse_hessian_of_a_quadratic_is_its_covariance() {
        // f = ½ xᵀ A x with A = [[4, 1], [1, 3]]: Hessian A, inverse [[3, −1], [−1, 4]] / 11.
        let f = |x: &[f64]| 0.5 * (4.0 * x[0] * x[0] + 2.0 * x[0] * x[1] + 3.0 * x[1] * x[1]);
        let h = hessian(f, &[0.3, -0.2]);
        let inv = invert(&h).unwrap();
        let expect = [[3.0 / 11.0, -1.0 / 11.0], [-1.0 / 11.0, 4.0 / 11.0]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inv[i][j] - expect[i][j]).abs() < 1e-6, "{inv:?}");
            }
        }
        assert!(invert(&[vec![1.0, 2.0], vec![2.0, 4.0]]).is_none());
    }
}
