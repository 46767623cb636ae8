//! A portable natural logarithm for the rare paths of the samplers (the normal's tail) and for
//! tables built at compile time.
//!
//! Method: `x = 2^e · m` with `m` in `[√½, √2)`, then `ln m = 2 atanh(s)` with
//! `s = (m − 1)/(m + 1)`, `|s| ≤ 0.1716`, summed as the odd series `2(s + s³/3 + … + s²³/23)`
//! (truncation below 1e-18 relative), and `ln x = e·ln 2 + ln m` with ln 2 split in a high part
//! (exact products `e · LN2_HI`) and a low part. Only IEEE-754 add, multiply and divide: the same
//! bits on every machine, and usable in `const` evaluation. Error a few ulp (tested against
//! `f64::ln`); not tuned for speed.

/// ln 2 split in two: the high part has its low 32 bits zero, so `e · LN2_HI` is exact.
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
const SQRT_HALF: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// `ln x` for positive finite `x` (normal or subnormal); `-inf` for 0, NaN for negatives and
/// NaN, `+inf` for `+inf`.
pub const fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return x;
    }
    // Subnormals: scale into the normal range first.
    let (x, extra) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54) // 2^54
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) as i64) - 1023 + extra;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m >= 2.0 * SQRT_HALF {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // Horner from the highest odd term: 1/3 + s²(1/5 + s²(… + s²/23)).
    let mut poly = 1.0 / 23.0;
    let mut k = 21.0;
    while k >= 3.0 {
        poly = 1.0 / k + s2 * poly;
        k -= 2.0;
    }
    let ln_m = 2.0 * s + 2.0 * s * s2 * poly;
    let ef = e as f64;
    ef * LN2_HI + (ln_m + ef * LN2_LO)
}

#[cfg(test)]
mod tests {
    use super::ln;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn within_a_few_ulp_of_std_ln() {
        let mut worst = 0;
        // Unit interval (the samplers' use) on a fine grid, then a wide logarithmic sweep.
        for i in 1..=200_000u32 {
            let x = f64::from(i) / 200_000.0;
            worst = worst.max(ulps(ln(x), x.ln()));
        }
        let mut x = 1e-300;
        while x < 1e300 {
            worst = worst.max(ulps(ln(x), x.ln()));
            x *= 1.001_37;
        }
        for x in [2f64.powi(-53), 1.0 - f64::EPSILON / 2.0, 1.0 + f64::EPSILON] {
            let exact = x.ln();
            assert!(
                (ln(x) - exact).abs() <= 4.0 * f64::EPSILON * exact.abs(),
                "x = {x}"
            );
        }
        assert!(worst <= 4, "worst error {worst} ulp");
    }

    #[test]
    fn special_values() {
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert!(ln(-1.0).is_nan());
        assert!(ln(f64::NAN).is_nan());
        let tiny = f64::from_bits(1); // smallest subnormal: 2^-1074
        assert!((ln(tiny) / tiny.ln() - 1.0).abs() < 1e-15);
    }
}
