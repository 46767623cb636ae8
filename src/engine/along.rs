//! `--along PATH[=VALUES]`: the input a break-even sweep varies, and its values.
//!
//! `VALUES` is a list `1,2,4,8`, or a range `LO..HI` (9 evenly spaced points) or
//! `LO..HI:POINTS`. Without values the caller chooses a default grid around the input's
//! current value ([`Along::grid_around`]).

use std::fmt;

/// At most this many sweep points.
pub const MAX_ALONG_POINTS: usize = 101;
/// Points of a range without a `:POINTS` count, and of a default grid.
pub const DEFAULT_ALONG_POINTS: usize = 9;

/// A parsed `--along`.
#[derive(Debug, Clone, PartialEq)]
pub struct Along {
    /// Dotted path of the input (`usage.tasks_per_day`, `workload.seats`).
    pub path: String,
    /// The values, increasing; `None`: the default grid.
    pub values: Option<Vec<f64>>,
}

/// Why an `--along` does not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct AlongError {
    /// The argument.
    pub arg: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for AlongError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--along {:?}: {} (expected PATH, PATH=V1,V2,... or PATH=LO..HI[:POINTS], e.g. usage.tasks_per_day=1..8)",
            self.arg, self.message
        )
    }
}

impl std::error::Error for AlongError {}

impl Along {
    /// Parses `PATH`, `PATH=V1,V2,...` or `PATH=LO..HI[:POINTS]`.
    pub fn parse(arg: &str) -> Result<Along, AlongError> {
        let err = |message: String| AlongError {
            arg: arg.to_string(),
            message,
        };
        let (path, values) = match arg.split_once('=') {
            Some((p, v)) => (p.trim(), Some(v.trim())),
            None => (arg.trim(), None),
        };
        if path.is_empty()
            || !path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._[]-".contains(c))
        {
            return Err(err(format!("the path {path:?} is not a dotted key path")));
        }
        let values = match values {
            None => None,
            Some(v) => Some(parse_values(v).map_err(err)?),
        };
        Ok(Along {
            path: path.to_string(),
            values,
        })
    }

    /// The grid from `current/4` to `4 × current` in [`DEFAULT_ALONG_POINTS`] points (the
    /// default when no values are given); `integer` rounds to distinct whole numbers of at least
    /// 1.
    pub fn grid_around(current: f64, integer: bool) -> Vec<f64> {
        let (lo, hi) = (current / 4.0, current * 4.0);
        let mut v = even(lo, hi, DEFAULT_ALONG_POINTS);
        if integer {
            for x in &mut v {
                *x = x.round().max(1.0);
            }
            v.dedup();
        }
        v
    }
}

fn even(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

fn number(s: &str) -> Result<f64, String> {
    let t: String = s.trim().chars().filter(|&c| c != '_' && c != ',').collect();
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{:?} is not a finite number", s.trim()))
}

fn parse_values(v: &str) -> Result<Vec<f64>, String> {
    let values = if let Some((lo, rest)) = v.split_once("..") {
        let (hi, points) = match rest.split_once(':') {
            Some((h, p)) => (
                h,
                p.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("{p:?} is not a number of points"))?,
            ),
            None => (rest, DEFAULT_ALONG_POINTS),
        };
        let (lo, hi) = (number(lo)?, number(hi)?);
        if lo >= hi {
            return Err(format!(
                "the range {lo}..{hi} is empty: LO must be below HI"
            ));
        }
        if !(2..=MAX_ALONG_POINTS).contains(&points) {
            return Err(format!("{points} points: expected 2 to {MAX_ALONG_POINTS}"));
        }
        even(lo, hi, points)
    } else {
        v.split(',').map(number).collect::<Result<Vec<f64>, _>>()?
    };
    if values.len() < 2 {
        return Err("a break-even needs at least two values".into());
    }
    if values.len() > MAX_ALONG_POINTS {
        return Err(format!(
            "{} values: at most {MAX_ALONG_POINTS}",
            values.len()
        ));
    }
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err("the values must increase".into());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lists_and_ranges_parse() {
        assert_eq!(
            Along::parse("usage.tasks_per_day").unwrap(),
            Along {
                path: "usage.tasks_per_day".into(),
                values: None
            }
        );
        assert_eq!(
            Along::parse("workload.seats=50,100,200").unwrap().values,
            Some(vec![50.0, 100.0, 200.0])
        );
        assert_eq!(
            Along::parse("x=1..3:5").unwrap().values,
            Some(vec![1.0, 1.5, 2.0, 2.5, 3.0])
        );
        assert_eq!(Along::parse("x=0..8").unwrap().values.unwrap().len(), 9);
    }

    #[test]
    fn bad_arguments_say_what_was_expected() {
        for (arg, says) in [
            ("x=3..1", "LO must be below HI"),
            ("x=1,1", "must increase"),
            ("x=1", "at least two"),
            ("x=1..2:1", "expected 2 to 101"),
            ("x=a,b", "not a finite number"),
            ("=1,2", "not a dotted key path"),
        ] {
            let e = Along::parse(arg).unwrap_err().to_string();
            assert!(e.contains(says), "{arg}: {e}");
            assert!(e.contains("expected PATH"), "{e}");
        }
    }

    #[test]
    fn the_default_grid_spans_a_quarter_to_four_times() {
        let g = Along::grid_around(100.0, false);
        assert_eq!((g[0], g[8], g.len()), (25.0, 400.0, 9));
        let seats = Along::grid_around(2.0, true);
        assert_eq!(seats, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
    }
}
