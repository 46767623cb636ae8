//! Turning a real draw into a count: round to nearest (halves away from zero), then clamp.
//!
//! Two exact implementations of `clamp(round(x), floor, ceil)` with integer `floor <= ceil`:
//! - [`Counting::Small`], for `ceil <= 2^51` (every count sampler of a scenario, whose counts
//!   are capped far below): clamp first in the float domain (rounding is monotone and the
//!   bounds are integers, so clamping before rounding gives the same result), then round by
//!   adding 2^52: in `[2^52, 2^53)` doubles are spaced by 1, so the sum is the nearest integer
//!   (ties to even) and its bit pattern counts up by one per integer. A tie that went down
//!   (`x − nearest = 0.5`) is moved up. No float-to-int conversion and its saturation checks.
//! - [`Counting::Wide`], for any bounds: `x as i64` (saturating), a half-up correction, integer
//!   clamps.
//!
//! Both avoid libm's `round` (a call on baseline x86-64) and data-dependent branches (a 50/50
//! branch per draw mispredicts badly). NaN counts as 0, so it gives `max(floor, 0)`.

const TWO52: f64 = 4_503_599_627_370_496.0;
/// Largest upper clamp of the float-domain path: sums stay below 2^53.
const SMALL_LIMIT: i64 = 1 << 51;

/// How a sampler rounds and clamps its draws to counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Counting {
    /// Bounds up to 2^51, as doubles (exact).
    Small { lo: f64, hi: f64 },
    /// Any bounds.
    Wide { lo: i64, hi: i64 },
}

impl Counting {
    /// The counting for integer clamps `0 <= floor <= ceil`.
    pub(super) fn new(floor: i64, ceil: i64) -> Counting {
        debug_assert!(0 <= floor && floor <= ceil);
        if ceil <= SMALL_LIMIT {
            Counting::Small {
                lo: floor as f64,
                hi: ceil as f64,
            }
        } else {
            Counting::Wide {
                lo: floor,
                hi: ceil,
            }
        }
    }

    /// `clamp(round(x), floor, ceil)`.
    #[inline(always)]
    pub(super) fn round(&self, x: f64) -> u64 {
        match *self {
            Counting::Small { lo, hi } => round_small(x, lo, hi),
            // max/min rather than clamp: clamp asserts lo <= hi on every call; new() checked.
            Counting::Wide { lo, hi } => round_wide(x).max(lo).min(hi) as u64,
        }
    }
}

/// `clamp(round(x), lo, hi)` for integers `0 <= lo <= hi <= 2^51` given as doubles.
#[inline(always)]
fn round_small(x: f64, lo: f64, hi: f64) -> u64 {
    // Comparisons with NaN are false: NaN becomes `lo`.
    let c = if x > lo { x } else { lo };
    let c = if c < hi { c } else { hi };
    let shifted = c + TWO52;
    let nearest = shifted - TWO52;
    // |c − nearest| <= 1/2 is a multiple of c's ulp: exact.
    let tie_went_down = (c - nearest == 0.5) as u64;
    (shifted.to_bits() - TWO52.to_bits()) + tie_went_down
}

/// Rounds half away from zero for `x >= 0`, exactly as `f64::round` does, in the integer
/// domain. Negative inputs give a value `<= 0`; the cast saturates, so huge values and
/// infinities give `i64::MAX` and NaN gives 0.
#[inline(always)]
fn round_wide(x: f64) -> i64 {
    let t = x as i64;
    let r = x - t as f64;
    t.saturating_add((r >= 0.5) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_rounding_matches_the_standard_library_on_non_negative_values() {
        let cases = [
            0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            4503599627370495.5,
            4503599627370497.0,
            2.4999999,
            123456.5,
        ];
        for x in cases {
            assert_eq!(round_wide(x), x.round() as i64, "x = {x}");
        }
        for i in 0..100_000 {
            let x = (i as f64) * 0.013_7;
            assert_eq!(round_wide(x), x.round() as i64, "x = {x}");
        }
        for x in [-0.4, -0.5, -3.7, -1e300, f64::NEG_INFINITY, f64::NAN] {
            assert!(round_wide(x) <= 0, "x = {x}");
        }
        assert_eq!(round_wide(1e300), i64::MAX);
        assert_eq!(round_wide(f64::INFINITY), i64::MAX);
    }

    /// The reference: round half away from zero, then clamp (NaN and negatives count as 0).
    fn reference(x: f64, floor: i64, ceil: i64) -> u64 {
        let r = if x.is_nan() || x <= 0.0 {
            0.0
        } else {
            x.round()
        };
        let r = if r >= 9.2e18 { i64::MAX } else { r as i64 };
        r.clamp(floor, ceil) as u64
    }

    #[test]
    fn both_paths_equal_round_then_clamp() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.49999999999999994,
            0.5,
            0.5000000000000001,
            1.5,
            2.5,
            3.5,
            1e8 - 0.5,
            1e8 + 0.5,
            (1u64 << 51) as f64 - 0.5,
            (1u64 << 51) as f64 + 1.0,
            4503599627370495.5,
            -0.4,
            -7.5,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for i in 0..200_000 {
            xs.push(i as f64 * 0.25);
            xs.push((i as f64 * 0.731).exp2().min(1e30) * 1.000_01);
        }
        let bounds = [
            (0, 0),
            (0, 1),
            (1, 1),
            (1, 100_000_000),
            (0, 100_000),
            (3, 7),
            (0, SMALL_LIMIT),
            (5, SMALL_LIMIT + 1),
            (0, i64::MAX),
        ];
        for (floor, ceil) in bounds {
            let counting = Counting::new(floor, ceil);
            assert_eq!(
                matches!(counting, Counting::Small { .. }),
                ceil <= SMALL_LIMIT
            );
            for &x in &xs {
                assert_eq!(
                    counting.round(x),
                    reference(x, floor, ceil),
                    "x = {x}, [{floor}, {ceil}]"
                );
            }
        }
    }
}
