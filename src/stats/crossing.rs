//! Where a paired difference curve crosses zero, with a confidence interval for the crossing.
//!
//! The input is a difference `d(x) = cost_a(x) − cost_b(x)` estimated at increasing values `x`
//! of one input (a sweep), each with its standard error. Between two points where the sign of
//! `d` changes, the crossing is the zero of the straight line through them (linear
//! interpolation). Its confidence interval is found by **test inversion**: the set of `x` at
//! which the hypothesis `d(x) = 0` is not rejected at level `z`, that is where the band
//! `d(x) ± z·se(x)` (interpolated linearly between the points) contains zero. Walking away from
//! the crossing on each side, the interval ends where the band first lies wholly on that side's
//! sign (a Fieller-type interval for the root of a regression line, Fieller 1954, read off the
//! piecewise-linear band). Where the band still contains zero at the end of the swept range, that
//! side of the interval is open (`None`): the sweep cannot place it.
//!
//! With zero standard errors the interval is the crossing itself; with a straight line
//! `d(x) = m·x + c` and a constant SE `σ` it is exactly `x* ± z·σ/|m|`.
//!
//! **Steps.** A bill that jumps (another provisioned compute unit, a tier) makes the difference
//! a step function: it changes sign between two points without passing near zero, and no
//! straight line through them says where. A crossing is a step when the band excludes zero at
//! both points around it and the change across them is more than [`STEP_RATIO`] times what
//! the slopes of the neighbouring intervals explain (plus `z` combined standard errors). A
//! step's place is then only known to lie between its two points: its interval is that
//! bracket, never a narrower one read off an interpolation, and [`Crossing::step`] holds the
//! difference on either side.

use serde::Serialize;

/// One point of a difference curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// The swept input's value.
    pub x: f64,
    /// The mean difference `a − b` there.
    pub difference: f64,
    /// Its standard error.
    pub se: f64,
}

/// Where the difference crosses zero.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crossing {
    /// The crossing (linear interpolation between `bracket`).
    pub x: f64,
    /// Lower end of its confidence interval (`None`: below the swept range's start).
    pub low: Option<f64>,
    /// Upper end (`None`: beyond the swept range's end).
    pub high: Option<f64>,
    /// The two sweep points around it.
    pub bracket: [f64; 2],
    /// Whether `a` is the cheaper one below the crossing (`d < 0` on its left).
    pub a_cheaper_below: bool,
    /// A step (a jump, not a gradual crossing): the difference at the bracket's two ends.
    pub step: Option<Step>,
}

/// The difference on either side of a step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    /// At the bracket's lower end.
    pub below: f64,
    /// At its upper end.
    pub above: f64,
}

/// How many times the neighbouring slopes' change a jump across a bracket must pass to be a
/// step.
pub const STEP_RATIO: f64 = 4.0;

/// Rounds of refinement a sweep runs ([`refinement_points`]).
pub const REFINE_ROUNDS: usize = 3;
/// At most this many points added per round.
pub const REFINE_POINTS: usize = 8;

/// Where a sweep should run next to place `found` better: a crossing interpolated across a
/// bracket wider than its interval is run again at the interpolated value and halfway to the
/// bracket's far end (secant and bisection, as Dekker's method), so that the straight line
/// between sweep points is not what places it; a step is bisected (its place is only known to
/// its bracket). Values are rounded when `integer`; values already in `have` are left out; at
/// most [`REFINE_POINTS`], increasing.
pub fn refinement_points(
    found: impl IntoIterator<Item = Crossing>,
    have: &[f64],
    integer: bool,
) -> Vec<f64> {
    let mut new: Vec<f64> = found
        .into_iter()
        .filter(|c| match (c.low, c.high) {
            // A step's interval is its bracket: narrowed only by running more points.
            _ if c.step.is_some() => c.bracket[1] - c.bracket[0] > 1e-9 * c.x.abs(),
            (Some(l), Some(h)) => c.bracket[1] - c.bracket[0] > (h - l).max(1e-9 * c.x.abs()),
            _ => false,
        })
        .flat_map(|c| {
            let [lo, hi] = c.bracket;
            let far = if c.x - lo > hi - c.x { lo } else { hi };
            [c.x, (c.x + far) / 2.0]
        })
        .map(|x| if integer { x.round() } else { x })
        .filter(|x| have.iter().all(|h| h != x))
        .collect();
    new.sort_by(f64::total_cmp);
    new.dedup();
    new.truncate(REFINE_POINTS);
    new
}

/// Whether the change between points `k` and `k + 1` of `points` is a step (see the module
/// documentation).
fn is_step(points: &[CurvePoint], k: usize, z: f64) -> bool {
    let (p, q) = (points[k], points[k + 1]);
    let excluded = |c: &CurvePoint| c.difference.abs() > z * c.se;
    if !(excluded(&p) && excluded(&q)) {
        return false;
    }
    let slope =
        |a: &CurvePoint, b: &CurvePoint| ((b.difference - a.difference) / (b.x - a.x)).abs();
    let neighbours: Vec<f64> = [
        (k > 0).then(|| slope(&points[k - 1], &p)),
        (k + 2 < points.len()).then(|| slope(&q, &points[k + 2])),
    ]
    .into_iter()
    .flatten()
    .filter(|s| s.is_finite())
    .collect();
    let Some(outside) = neighbours.into_iter().reduce(f64::max) else {
        return false;
    };
    let noise = z * (p.se * p.se + q.se * q.se).sqrt();
    (q.difference - p.difference).abs() > STEP_RATIO * outside * (q.x - p.x) + noise
}

/// Every crossing of zero by the difference curve `points` (sorted by increasing `x`), each with
/// its test-inversion interval at `z` standard errors (1.96 for 95%).
pub fn crossings(points: &[CurvePoint], z: f64) -> Vec<Crossing> {
    let mut out = Vec::new();
    for k in 0..points.len().saturating_sub(1) {
        let (p, q) = (points[k], points[k + 1]);
        if !(p.difference.is_finite() && q.difference.is_finite()) {
            continue;
        }
        if (p.difference <= 0.0) == (q.difference <= 0.0) {
            continue;
        }
        let a_cheaper_below = p.difference <= 0.0;
        if is_step(points, k, z) {
            out.push(Crossing {
                x: (p.x + q.x) / 2.0,
                low: Some(p.x),
                high: Some(q.x),
                bracket: [p.x, q.x],
                a_cheaper_below,
                step: Some(Step {
                    below: p.difference,
                    above: q.difference,
                }),
            });
            continue;
        }
        let t = p.difference / (p.difference - q.difference);
        let x = p.x + (q.x - p.x) * t;
        let se = p.se + (q.se - p.se) * t;
        let mid = CurvePoint {
            x,
            difference: 0.0,
            se,
        };
        // Left of the crossing the difference has p's sign, right of it q's.
        let left: Vec<CurvePoint> = std::iter::once(mid)
            .chain(points[..=k].iter().rev().copied())
            .collect();
        let right: Vec<CurvePoint> = std::iter::once(mid)
            .chain(points[k + 1..].iter().copied())
            .collect();
        let low = band_end(&left, a_cheaper_below, z);
        let high = band_end(&right, !a_cheaper_below, z);
        out.push(Crossing {
            x,
            low,
            high,
            bracket: [p.x, q.x],
            a_cheaper_below,
            step: None,
        });
    }
    out
}

/// Walking `path` (from the crossing outwards), where the band `d ± z·se` first lies wholly
/// below zero (`negative`) or wholly above it: the zero of the band's near edge, interpolated.
fn band_end(path: &[CurvePoint], negative: bool, z: f64) -> Option<f64> {
    // The edge that must pass zero: the upper edge when the side is negative, else the lower,
    // oriented so that "excluded" is `edge > 0`.
    let edge = |p: &CurvePoint| {
        if negative {
            -(p.difference + z * p.se)
        } else {
            p.difference - z * p.se
        }
    };
    for w in path.windows(2) {
        let (e0, e1) = (edge(&w[0]), edge(&w[1]));
        if e0 > 0.0 {
            return Some(w[0].x);
        }
        if e1 > 0.0 {
            return Some(w[0].x + (w[1].x - w[0].x) * e0 / (e0 - e1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(m: f64, c: f64, se: f64, xs: &[f64]) -> Vec<CurvePoint> {
        xs.iter()
            .map(|&x| CurvePoint {
                x,
                difference: m * x + c,
                se,
            })
            .collect()
    }

    #[test]
    fn a_straight_line_with_a_constant_se_crosses_at_its_root_with_z_sigma_over_slope() {
        // d = 2x − 7: root 3.5; σ = 0.5, z = 2: half-width 0.5.
        let xs: Vec<f64> = (0..=10).map(f64::from).collect();
        let c = crossings(&line(2.0, -7.0, 0.5, &xs), 2.0);
        assert_eq!(c.len(), 1);
        assert!((c[0].x - 3.5).abs() < 1e-12);
        assert!((c[0].low.unwrap() - 3.0).abs() < 1e-12, "{:?}", c[0]);
        assert!((c[0].high.unwrap() - 4.0).abs() < 1e-12, "{:?}", c[0]);
        assert_eq!(c[0].bracket, [3.0, 4.0]);
        assert!(c[0].a_cheaper_below);
    }

    #[test]
    fn a_falling_line_and_a_wide_band_reach_across_sweep_points() {
        // d = −x + 5: root 5, a costs more below it; σ = 1, z = 1.96: 5 ± 1.96.
        let xs: Vec<f64> = (0..=10).map(f64::from).collect();
        let c = crossings(&line(-1.0, 5.0, 1.0, &xs), 1.96);
        assert_eq!(c.len(), 1);
        assert!(!c[0].a_cheaper_below);
        assert!((c[0].low.unwrap() - 3.04).abs() < 1e-12);
        assert!((c[0].high.unwrap() - 6.96).abs() < 1e-12);
    }

    #[test]
    fn zero_error_gives_the_crossing_itself_and_a_band_past_the_range_is_open() {
        let xs = [1.0, 2.0, 4.0];
        let c = crossings(&line(1.0, -3.0, 0.0, &xs), 1.96);
        assert_eq!((c[0].low, c[0].high), (Some(3.0), Some(3.0)));
        let wide = crossings(&line(1.0, -3.0, 5.0, &xs), 1.96);
        assert_eq!((wide[0].low, wide[0].high), (None, None));
        assert!(crossings(&line(1.0, 3.0, 0.1, &xs), 1.96).is_empty());
    }

    #[test]
    fn two_sign_changes_are_two_crossings() {
        let pts: Vec<CurvePoint> = [(0.0, 1.0), (1.0, -1.0), (2.0, -1.0), (3.0, 1.0)]
            .iter()
            .map(|&(x, d)| CurvePoint {
                x,
                difference: d,
                se: 0.0,
            })
            .collect();
        let c = crossings(&pts, 1.96);
        assert_eq!(c.iter().map(|c| c.x).collect::<Vec<_>>(), vec![0.5, 2.5]);
        assert!(!c[0].a_cheaper_below && c[1].a_cheaper_below);
    }

    #[test]
    fn a_step_is_placed_between_its_points_and_a_straight_line_is_not_a_step() {
        // d = −3 below 4.3 and +5 from it (a jump), exact: refined points around the jump.
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 4.25, 4.5, 5.0, 6.0];
        let step: Vec<CurvePoint> = xs
            .iter()
            .map(|&x| CurvePoint {
                x,
                difference: if x < 4.3 { -3.0 } else { 5.0 },
                se: 0.1,
            })
            .collect();
        let c = crossings(&step, 1.96);
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].step,
            Some(Step {
                below: -3.0,
                above: 5.0
            })
        );
        assert_eq!((c[0].low, c[0].high), (Some(4.25), Some(4.5)));
        assert_eq!(c[0].x, 4.375);
        assert!(c[0].a_cheaper_below);
        // The same jump on a slope: still a step.
        let sloped: Vec<CurvePoint> = step
            .iter()
            .map(|p| CurvePoint {
                difference: p.difference + 0.2 * p.x,
                ..*p
            })
            .collect();
        assert!(crossings(&sloped, 1.96)[0].step.is_some());
        // A straight line, exact or noisy, crosses gradually.
        let xs: Vec<f64> = (0..=10).map(f64::from).collect();
        for se in [0.0, 0.01, 0.5] {
            let c = crossings(&line(2.0, -7.0, se, &xs), 1.96);
            assert_eq!(c[0].step, None, "se {se}");
        }
        // A step with no neighbour to compare with is not called one.
        assert_eq!(crossings(&step[4..6], 1.96).len(), 0);
        assert_eq!(crossings(&step[5..7], 1.96)[0].step, None);
    }
}
