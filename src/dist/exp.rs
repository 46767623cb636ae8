//! A portable, fast `exp` for the log-normal sampler.
//!
//! Method (as in musl's and ARM's optimized-routines `exp`): Cody–Waite range reduction
//! `x = (64 e + j) ln2/64 + r` with `|r| <= ln2/128` (ln 2 split into a high part with trailing
//! zero bits and a low part), `k = 64 e + j` rounded to nearest by the 1.5·2^52 shifter trick,
//! then `e^x = 2^e · 2^(j/64) · e^r` with `2^(j/64)` from a 64-entry table and `e^r` from a
//! degree-5 polynomial in Estrin form (short dependency chains). Relative error is a few ulp
//! (tested below against `f64::exp`), far below the rounding of token counts to integers. It uses only IEEE-754 add/multiply, so it gives the
//! same bits on every machine and libc, unlike the platform's `exp`.

const N: f64 = 64.0;
/// ln 2 / 64 split in two: the high part has 21 trailing zero bits, so `k * LN2_64_HI` is exact
/// for every `|k| < 2^21` (|x| < 745 needs |k| < 2^16).
const LN2_64_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000) / N;
const LN2_64_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76) / N;
const N_OVER_LN2: f64 = N * std::f64::consts::LOG2_E;
const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52

/// `2^(j/64)` for j = 0..64, correctly rounded (computed once at 60 digits and stored as bits).
const TABLE: [u64; 64] = [
    0x3ff0000000000000,
    0x3ff02c9a3e778061,
    0x3ff059b0d3158574,
    0x3ff0874518759bc8,
    0x3ff0b5586cf9890f,
    0x3ff0e3ec32d3d1a2,
    0x3ff11301d0125b51,
    0x3ff1429aaea92de0,
    0x3ff172b83c7d517b,
    0x3ff1a35beb6fcb75,
    0x3ff1d4873168b9aa,
    0x3ff2063b88628cd6,
    0x3ff2387a6e756238,
    0x3ff26b4565e27cdd,
    0x3ff29e9df51fdee1,
    0x3ff2d285a6e4030b,
    0x3ff306fe0a31b715,
    0x3ff33c08b26416ff,
    0x3ff371a7373aa9cb,
    0x3ff3a7db34e59ff7,
    0x3ff3dea64c123422,
    0x3ff4160a21f72e2a,
    0x3ff44e086061892d,
    0x3ff486a2b5c13cd0,
    0x3ff4bfdad5362a27,
    0x3ff4f9b2769d2ca7,
    0x3ff5342b569d4f82,
    0x3ff56f4736b527da,
    0x3ff5ab07dd485429,
    0x3ff5e76f15ad2148,
    0x3ff6247eb03a5585,
    0x3ff6623882552225,
    0x3ff6a09e667f3bcd,
    0x3ff6dfb23c651a2f,
    0x3ff71f75e8ec5f74,
    0x3ff75feb564267c9,
    0x3ff7a11473eb0187,
    0x3ff7e2f336cf4e62,
    0x3ff82589994cce13,
    0x3ff868d99b4492ed,
    0x3ff8ace5422aa0db,
    0x3ff8f1ae99157736,
    0x3ff93737b0cdc5e5,
    0x3ff97d829fde4e50,
    0x3ff9c49182a3f090,
    0x3ffa0c667b5de565,
    0x3ffa5503b23e255d,
    0x3ffa9e6b5579fdbf,
    0x3ffae89f995ad3ad,
    0x3ffb33a2b84f15fb,
    0x3ffb7f76f2fb5e47,
    0x3ffbcc1e904bc1d2,
    0x3ffc199bdd85529c,
    0x3ffc67f12e57d14b,
    0x3ffcb720dcef9069,
    0x3ffd072d4a07897c,
    0x3ffd5818dcfba487,
    0x3ffda9e603db3285,
    0x3ffdfc97337b9b5f,
    0x3ffe502ee78b3ff6,
    0x3ffea4afa2a490da,
    0x3ffefa1bee615a27,
    0x3fff50765b6e4540,
    0x3fffa7c1819e90d8,
];

/// `e^x` to within a few ulp, bit-identical on every platform (and usable in `const`
/// evaluation, where it gives the same bits).
#[inline]
pub const fn exp(x: f64) -> f64 {
    // For |x| < 708 the result is a normal double and one scaling suffices: the common case,
    // with a single (predictable) branch. NaN fails the test and goes to the edge path.
    if x.abs() < 708.0 {
        let (m, e) = reduce(x);
        return m * f64::from_bits(((e + 1023) as u64) << 52);
    }
    exp_edge(x)
}

/// Largest `|x|` for [`exp_in_range`].
pub(crate) const IN_RANGE: f64 = 600.0;

/// `TABLE[j]` with `j << 46` subtracted from its bits: adding `k << 46` for `k = 64 e + j`
/// then gives the bits of `2^e · 2^(j/64)` (musl's `exp` stores its table the same way).
const SCALED_TABLE: [u64; 64] = scaled_table();

const fn scaled_table() -> [u64; 64] {
    let mut out = [0u64; 64];
    let mut j = 0;
    while j < 64 {
        out[j] = TABLE[j].wrapping_sub((j as u64) << 46);
        j += 1;
    }
    out
}

/// [`exp`] without its range check, for arguments known to satisfy `|x| < 600` ([`IN_RANGE`];
/// the log-normal draws whose parameters bound them, see `Sampler`): the same bits as [`exp`]
/// there, with fewer instructions per draw.
///
/// It scales before the last step rather than after: `s + s·p` with `s = 2^e · 2^(j/64)` read
/// straight from [`SCALED_TABLE`], instead of `(t + t·p) · 2^e`. Scaling by a power of two is
/// exact while every value stays normal, so both give the same bits. For `|x| < 600`, `s` is at
/// least 2^−866; `s·p` can only fall below the normal range when `|p| < 2^−156`, far below half
/// an ulp of `s`, and then both forms round to `s` (the tests compare the bits over the range).
#[inline(always)]
pub(crate) const fn exp_in_range(x: f64) -> f64 {
    debug_assert!(x.abs() < IN_RANGE);
    let (p, k) = reduce_poly(x);
    let j = (k & 63) as usize;
    let s = f64::from_bits(SCALED_TABLE[j].wrapping_add((k as u64) << 46));
    s + s * p
}

/// The range reduction and the polynomial shared by [`exp`] and [`exp_in_range`]:
/// `e^x = 2^(k/64) · (1 + p)` with `k` the nearest multiple index and `|p|` below 0.0055.
#[inline(always)]
const fn reduce_poly(x: f64) -> (f64, i64) {
    // x = (64 e + j) ln2/64 + r with |r| <= ln2/128. For |x| < 746, `shifted` lies in
    // [2^52, 2^53), where the spacing of doubles is 1: it is SHIFTER + k exactly, so k is the
    // difference of the bit patterns (no float-to-int conversion and its saturation checks).
    let shifted = x * N_OVER_LN2 + SHIFTER;
    let kf = shifted - SHIFTER;
    let r = (x - kf * LN2_64_HI) - kf * LN2_64_LO;
    let k = (shifted.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    // e^r - 1 by its degree-5 Taylor polynomial (|r| <= 0.0055: truncation below 4e-17, a
    // sixth of an ulp), in Estrin form.
    let r2 = r * r;
    let q = (0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0));
    (r + r2 * q, k)
}

/// `e^x = m · 2^e` with `m` in about [0.7, 1.5): the range reduction and the polynomial.
#[inline(always)]
const fn reduce(x: f64) -> (f64, i64) {
    let (p, k) = reduce_poly(x);
    let t = f64::from_bits(TABLE[(k & 63) as usize]);
    (t + t * p, k >> 6)
}

/// The ends of the range: NaN, overflow, underflow and subnormal results.
#[cold]
const fn exp_edge(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.782_712_893_384 {
        return f64::INFINITY;
    }
    if x < -745.133_219_101_941_1 {
        return 0.0;
    }
    let (m, e) = reduce(x);
    // Scale in two steps so neither factor overflows or underflows.
    let half = e / 2;
    m * f64::from_bits(((half + 1023) as u64) << 52)
        * f64::from_bits(((e - half + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::exp;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn within_a_few_ulp_of_std_exp() {
        let mut worst = 0;
        let mut x = -744.0;
        while x < 709.0 {
            worst = worst.max(ulps(exp(x), x.exp()));
            x += 0.000_917_3;
        }
        assert!(worst <= 3, "worst error {worst} ulp");
    }

    #[test]
    fn the_unchecked_path_gives_the_same_bits() {
        let check = |x: f64| assert_eq!(super::exp_in_range(x).to_bits(), exp(x).to_bits(), "{x}");
        let mut x = -super::IN_RANGE + 0.000_5;
        while x < super::IN_RANGE {
            check(x);
            x += 0.001_37;
        }
        // Near 0 (tiny r and p), at the ends, and on the reduction's bucket edges k ln2/64.
        for x in [0.0, -0.0, 1e-300, -1e-300, 1e-17, -1e-17, 599.999, -599.999] {
            check(x);
        }
        for k in -55_000..55_000 {
            let edge = f64::from(k) * (std::f64::consts::LN_2 / 64.0);
            for x in [edge, edge.next_up(), edge.next_down(), edge + 1e-12] {
                if x.abs() < super::IN_RANGE {
                    check(x);
                }
            }
        }
    }

    #[test]
    fn special_values() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(
            (exp(-740.0) / (-740.0f64).exp() - 1.0).abs() < 1e-3,
            "subnormal range"
        );
    }
}
