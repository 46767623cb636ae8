//! Turning a real draw into a count: round to nearest (halves away from zero), then clamp.
//!
//! Two exact implementations of `clamp(round(x), floor, ceil)` with integer `floor <= ceil`:
//! - [`Counting::Small`], for `ceil <= 2^51` (every count sampler of a scenario, whose counts
//!   are capped far below): clamp first in the float domain (rounding is monotone and the
//!   bounds are integers, so clamping before rounding gives the same result), then add the
//!   largest double below 1/2 and truncate (see `round_small` for why that is exact).
//! - [`Counting::Wide`], for any bounds: `x as i64` (saturating), a half-up correction, integer
//!   clamps.
//!
//! Both avoid libm's `round` (a call on baseline x86-64) and data-dependent branches (a 50/50
//! branch per draw mispredicts badly). NaN counts as 0, so it gives `max(floor, 0)`.

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

/// The largest double below 1/2.
const JUST_BELOW_HALF: f64 = 0.499_999_999_999_999_94;

/// `clamp(round(x), lo, hi)` for integers `0 <= lo <= hi <= 2^51` given as doubles.
///
/// For `0 <= c <= 2^51`, `trunc(c + JUST_BELOW_HALF)` (the sum rounded to a double) is
/// `floor(c + 1/2)`, i.e. `c` rounded half up. With `n = floor(c + 1/2)`: `c` lies in
/// `[n − 1/2, n + 1/2 − ulp(c)]` (ulp(c) <= 1/2 divides `n + 1/2`), so the exact sum lies in
/// `[n − 2^−54, n + 1 − 2^−54 − ulp(c)]`. Its upper end is more than half an ulp of the sum
/// below `n + 1` (for `c >= 1/2` the sum's ulp is at most twice c's; below, the sum is under 1
/// where the spacing is 2^−53), so it never rounds up to `n + 1`; its lower end is within
/// 2^−54 of `n`, at most half the spacing of doubles below an integer `n >= 1`, so it rounds
/// to `n` or above. (Adding exactly 1/2 fails at 0.49999999999999994, whose sum rounds to 1.)
#[inline(always)]
fn round_small(x: f64, lo: f64, hi: f64) -> u64 {
    // Comparisons with NaN are false: NaN becomes `lo`.
    let c = if x > lo { x } else { lo };
    let c = if c < hi { c } else { hi };
    // The sum lies in [0, 2^51 + 1): the conversion is exact truncation.
    (c + JUST_BELOW_HALF) as i64 as u64
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
        // Halves and their neighbours at every magnitude up to 2^52, and the largest doubles
        // below each power of two.
        for e in 0..53 {
            for n in [1u64 << e, (1u64 << e) + 1, (1u64 << e) * 3 / 2 + 7] {
                let n = n as f64;
                for x in [n - 0.5, n + 0.5, n] {
                    xs.extend([x, x.next_up(), x.next_down()]);
                }
            }
            let power = (1u64 << e) as f64;
            xs.extend([power.next_down(), (power - 0.5).next_down()]);
        }
        for i in 1..60 {
            let x = 0.5f64.next_down() / f64::from(i);
            xs.extend([x, x.next_up()]);
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
