//! Seats over time: closed-form adoption curves.
//!
//! - Logistic S-curve: `S(t) = K / (1 + exp(-r (t - t0)))`.
//! - Bass diffusion (Bass 1969): cumulative adopters of a market `M` with innovation `p` and
//!   imitation `q`: `S(t) = M (1 - exp(-(p+q) t)) / (1 + (q/p) exp(-(p+q) t))`.
//! - A piecewise-linear table of (month, seats) points, held flat before the first and after
//!   the last point.
//!
//! `t` is the month number, 1 for the first forecast month. Seats are rounded to whole seats
//! by the simulation, not here. `exp` is the crate's portable one (`crate::dist::exp`), so the
//! curves give the same bits on every machine.

use crate::dist::exp;

/// An adoption curve with its parameters drawn for one trial.
#[derive(Debug, Clone, PartialEq)]
pub enum Curve {
    /// Logistic S-curve.
    Logistic {
        /// Seats at saturation.
        capacity: f64,
        /// Month of the inflection point.
        midpoint: f64,
        /// Growth rate per month.
        rate: f64,
    },
    /// Bass diffusion.
    Bass {
        /// Market size in seats.
        market: f64,
        /// Coefficient of innovation per month.
        p: f64,
        /// Coefficient of imitation per month.
        q: f64,
    },
    /// Piecewise-linear table of `(month, seats)`, months increasing.
    Table(Vec<(f64, f64)>),
}

impl Curve {
    /// Seats in month `t` (1-based), before rounding.
    pub fn seats(&self, t: f64) -> f64 {
        match self {
            Curve::Logistic {
                capacity,
                midpoint,
                rate,
            } => capacity / (1.0 + exp(-rate * (t - midpoint))),
            Curve::Bass { market, p, q } => {
                let e = exp(-(p + q) * t);
                market * (1.0 - e) / (1.0 + (q / p) * e)
            }
            Curve::Table(points) => piecewise(points, t),
        }
    }
}

fn piecewise(points: &[(f64, f64)], t: f64) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return 0.0;
    };
    if t <= first.0 {
        return first.1;
    }
    if t >= last.0 {
        return last.1;
    }
    for w in points.windows(2) {
        let ((t0, s0), (t1, s1)) = (w[0], w[1]);
        if t <= t1 {
            return s0 + (s1 - s0) * (t - t0) / (t1 - t0);
        }
    }
    last.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_is_half_capacity_at_the_midpoint() {
        let c = Curve::Logistic {
            capacity: 1000.0,
            midpoint: 6.0,
            rate: 0.5,
        };
        assert!((c.seats(6.0) - 500.0).abs() < 1e-9);
        // Symmetry: S(t0 + d) + S(t0 - d) = K.
        assert!((c.seats(9.0) + c.seats(3.0) - 1000.0).abs() < 1e-9);
    }

    #[test]
    fn bass_solves_its_differential_equation() {
        // dS/dt = (p + q S/M)(M - S).
        let (m, p, q) = (5000.0, 0.03, 0.4);
        let c = Curve::Bass { market: m, p, q };
        for t in [1.0, 5.0, 12.0, 30.0] {
            let h = 1e-5;
            let ds = (c.seats(t + h) - c.seats(t - h)) / (2.0 * h);
            let s = c.seats(t);
            let rhs = (p + q * s / m) * (m - s);
            assert!(
                (ds - rhs).abs() < 1e-4 * rhs.max(1.0),
                "t={t}: {ds} vs {rhs}"
            );
        }
        assert_eq!(c.seats(0.0), 0.0);
    }

    #[test]
    fn tables_interpolate_linearly_and_hold_flat_outside() {
        let c = Curve::Table(vec![(2.0, 100.0), (6.0, 500.0)]);
        assert_eq!(c.seats(1.0), 100.0);
        assert_eq!(c.seats(4.0), 300.0);
        assert_eq!(c.seats(9.0), 500.0);
    }
}
