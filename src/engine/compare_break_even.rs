//! Break-even of every pair of schemes along a sweep: where the paired mean difference
//! `cost(a) − cost(b)` crosses zero, with its 95% confidence interval by test inversion
//! ([`crate::stats::crossing`]; each point's SE is the batch-means SE of the difference, see
//! [`super::compare`]), and the statement in words.

use serde::Serialize;

use super::compare::{AlongNames, SweepPoint};
use crate::stats::Z975;
use crate::stats::crossing::{Crossing, CurvePoint, Step, crossings};
use crate::text::words;

/// One crossing of a pair's difference curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairCrossing {
    /// The break-even value of the swept input.
    pub x: f64,
    /// Lower end of its 95% interval (`None`: below the swept range).
    pub low: Option<f64>,
    /// Upper end (`None`: beyond the swept range).
    pub high: Option<f64>,
    /// The sweep points around it.
    pub bracket: [f64; 2],
    /// The scheme that is cheaper below the crossing.
    pub cheaper_below: String,
    /// A step (a jump, not a gradual crossing): the difference on either side.
    pub step: Option<Step>,
    /// The statement in words.
    pub words: String,
}

/// Break-even of schemes `a` and `b`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairBreakEven {
    /// First scheme.
    pub a: String,
    /// Second scheme.
    pub b: String,
    /// The swept input's dotted path (`workload.tasks_per_seat`, `models.m.output`, ...).
    pub along: String,
    /// Where the mean difference crosses zero, in increasing order.
    pub crossings: Vec<PairCrossing>,
    /// With no crossing: which is cheaper across the swept range, in words (else empty).
    pub note: String,
}

/// A value of the swept input as people read it ([`AlongNames::format`]).
pub fn format_x(axis: &AlongNames, x: f64) -> String {
    axis.format(x)
}

/// Break-even of every pair (in the order of `Comparison::pairs`) along `sweep`.
pub fn break_even(names: &[&str], axis: &AlongNames, sweep: &[SweepPoint]) -> Vec<PairBreakEven> {
    let mut out = Vec::new();
    if sweep.len() < 2 {
        return out;
    }
    let mut pair = 0;
    for a in 0..names.len() {
        for b in a + 1..names.len() {
            let curve: Vec<CurvePoint> = sweep
                .iter()
                .map(|p| CurvePoint {
                    x: p.x,
                    difference: p.difference_usd[pair].mean,
                    se: p.difference_usd[pair].se,
                })
                .collect();
            pair += 1;
            let found = crossings(&curve, Z975);
            let crossings: Vec<PairCrossing> = found
                .iter()
                .map(|c| {
                    let (below, above) = if c.a_cheaper_below {
                        (names[a], names[b])
                    } else {
                        (names[b], names[a])
                    };
                    PairCrossing {
                        x: c.x,
                        low: c.low,
                        high: c.high,
                        bracket: c.bracket,
                        cheaper_below: below.to_string(),
                        step: c.step,
                        words: sentence(axis, above, below, c),
                    }
                })
                .collect();
            let note = if crossings.is_empty() {
                let first = curve[0].difference;
                let cheaper = words(if first <= 0.0 { names[a] } else { names[b] });
                let other = words(if first <= 0.0 { names[b] } else { names[a] });
                format!(
                    "no break-even between {} and {} {}: {cheaper} is cheaper than {other} at every point",
                    format_x(axis, sweep[0].x),
                    format_x(axis, sweep[sweep.len() - 1].x),
                    axis.unit_words
                )
            } else {
                String::new()
            };
            out.push(PairBreakEven {
                a: names[a].to_string(),
                b: names[b].to_string(),
                along: axis.path.clone(),
                crossings,
                note,
            });
        }
    }
    out
}

/// `above is cheaper than below above X unit (95% CI lo to hi)`; a step is said to be one,
/// placed between its two points.
fn sentence(axis: &AlongNames, above: &str, below: &str, c: &Crossing) -> String {
    let (above, below) = (words(above), words(below));
    if let Some(step) = c.step {
        let usd = |v: f64| format!("${}", crate::text::thousands(v.abs().round()));
        return format!(
            "{above} is cheaper than {below} above about {} {}: a step, not a gradual crossing \
             ({below} is cheaper by {} at {}, {above} by {} at {}: the bill jumps in between, as \
             when another provisioned unit is needed), so its place is known to that range, not \
             to a point",
            format_x(axis, c.x),
            axis.unit_words,
            usd(step.below),
            format_x(axis, c.bracket[0]),
            usd(step.above),
            format_x(axis, c.bracket[1]),
        );
    }
    let end = |v: Option<f64>, open: &str| v.map_or(open.to_string(), |v| format_x(axis, v));
    format!(
        "{above} is cheaper than {below} above {} {} (95% CI {} to {})",
        format_x(axis, c.x),
        axis.unit_words,
        end(c.low, "below the swept range"),
        end(c.high, "beyond the swept range")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compare::{MeanSe, SweepAxis};

    fn point(x: f64, d: f64, se: f64) -> SweepPoint {
        SweepPoint {
            x,
            tasks_per_seat: x,
            seats: 1,
            cost_usd: Vec::new(),
            difference_usd: vec![MeanSe { mean: d, se }],
        }
    }

    #[test]
    fn a_crossing_is_stated_with_the_scheme_cheaper_above_first() {
        // d = a − b = x − 50: a is cheaper below 50, b above it.
        let sweep: Vec<SweepPoint> = (0..=10)
            .map(|i| point(10.0 * f64::from(i), 10.0 * f64::from(i) - 50.0, 0.0))
            .collect();
        let be = break_even(&["list", "seat"], &SweepAxis::TasksPerSeat.names(), &sweep);
        let c = &be[0].crossings[0];
        assert_eq!((c.x, c.low, c.high), (50.0, Some(50.0), Some(50.0)));
        assert_eq!(c.cheaper_below, "list");
        assert_eq!(
            c.words,
            "seat is cheaper than list above 50.0 tasks per seat per month (95% CI 50.0 to 50.0)"
        );
        assert!(be[0].note.is_empty());
    }

    #[test]
    fn sentences_name_schemes_as_people_read_them_and_records_keep_the_keys() {
        // d = a − b = x − 50, as above, with keys of two words.
        let sweep: Vec<SweepPoint> = (0..=10)
            .map(|i| point(10.0 * f64::from(i), 10.0 * f64::from(i) - 50.0, 0.0))
            .collect();
        let names = ["list_price", "seat_plan"];
        let be = break_even(&names, &SweepAxis::TasksPerSeat.names(), &sweep);
        let c = &be[0].crossings[0];
        assert_eq!(c.cheaper_below, "list_price");
        assert_eq!(
            (be[0].a.as_str(), be[0].b.as_str()),
            ("list_price", "seat_plan")
        );
        assert!(
            c.words
                .starts_with("seat plan is cheaper than list price above 50.0"),
            "{}",
            c.words
        );
        let flat = vec![point(1.0, 2.0, 0.1), point(3.0, 1.0, 0.1)];
        let be = break_even(&names, &SweepAxis::Seats.names(), &flat);
        assert_eq!(
            be[0].note,
            "no break-even between 1 and 3 seats: seat plan is cheaper than list price at every point"
        );
    }

    #[test]
    fn open_ends_and_no_crossing_read_as_words() {
        let sweep = vec![point(1.0, -1.0, 10.0), point(3.0, 1.0, 10.0)];
        let be = break_even(&["a", "b"], &SweepAxis::Seats.names(), &sweep);
        assert_eq!(
            be[0].crossings[0].words,
            "b is cheaper than a above 2 seats (95% CI below the swept range to beyond the swept range)"
        );
        let flat = vec![point(1.0, 2.0, 0.1), point(3.0, 1.0, 0.1)];
        let be = break_even(&["a", "b"], &SweepAxis::Seats.names(), &flat);
        assert!(be[0].crossings.is_empty());
        assert_eq!(
            be[0].note,
            "no break-even between 1 and 3 seats: b is cheaper than a at every point"
        );
    }

    #[test]
    fn a_step_is_stated_as_one_with_its_bracket() {
        // a − b is −30 below 45 tasks and +70 from it (b needs one more provisioned unit).
        let sweep: Vec<SweepPoint> = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
            .iter()
            .map(|&x| point(x, if x < 45.0 { -30.0 } else { 70.0 }, 1.0))
            .collect();
        let be = break_even(&["list", "gpu"], &SweepAxis::TasksPerSeat.names(), &sweep);
        let c = &be[0].crossings[0];
        assert_eq!((c.low, c.high), (Some(40.0), Some(50.0)));
        assert_eq!(
            c.step,
            Some(Step {
                below: -30.0,
                above: 70.0
            })
        );
        assert_eq!(
            c.words,
            "gpu is cheaper than list above about 45.0 tasks per seat per month: a step, not a \
             gradual crossing (list is cheaper by $30 at 40.0, gpu by $70 at 50.0: the bill jumps \
             in between, as when another provisioned unit is needed), so its place is known to \
             that range, not to a point"
        );
    }
}
