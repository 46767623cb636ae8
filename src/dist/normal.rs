//! Standard normal draws by the ziggurat method, written out so every step is portable.
//!
//! Method: Marsaglia & Tsang, "The Ziggurat Method for Generating Random Variables" (2000), with
//! 256 layers of equal area `V` under `f(x) = e^{−x²/2}` and base-strip edge `R`, and Doornik's
//! correction ("An Improved Ziggurat Method to Generate Normal Random Samples", 2005): the layer
//! index (the low 8 bits) and the uniform (the high 52 bits) come from disjoint bits of one
//! 64-bit word. One word per draw in about 99% of draws (inside a layer's rectangle); otherwise
//! the wedge test against `f` or, in the base layer, Marsaglia's (1964) exact tail method. The
//! result is an exact sample of the standard normal up to the rounding of the tables.
//!
//! Portability: the tables are computed at compile time (constant evaluation is IEEE-754 exact)
//! with the crate's own `exp`, `ln` and a Newton square root, and the rare paths use the same
//! `exp` and `ln`: no platform libm anywhere, so draws are bit-identical on every machine.
//! (`rand_distr`'s `StandardNormal` calls libm's `exp` and `ln` in its slow paths.)

use rand::Rng;

use super::exp::exp;
use super::ln::ln;

/// Right edge of the base strip (Marsaglia & Tsang's `r` for 256 layers).
pub const R: f64 = 3.654_152_885_361_009;
/// A bound on `|z|` for every draw of [`standard_normal`]: the rectangles and wedges stay
/// within `R`, and the tail gives `R + a` with `a = −ln(U)/R <= 53 ln 2 / R` because `U` is at
/// least 2^−53 (tested below).
pub const MAX_ABS_DRAW: f64 = 14.0;
/// Area of each layer (and of the base strip with the tail).
const V: f64 = 0.004_928_673_233_99;
const LAYERS: usize = 256;

/// Layer edges: `X[0] = V / f(R)` (the base strip's width with its tail folded in), `X[1] = R`,
/// decreasing to `X[256] = 0`; and `F[i] = f(X[i])`.
const TABLES: ([f64; LAYERS + 1], [f64; LAYERS + 1]) = tables();
const X: [f64; LAYERS + 1] = TABLES.0;
const F: [f64; LAYERS + 1] = TABLES.1;

/// `e^{−x²/2}`.
#[inline(always)]
const fn density(x: f64) -> f64 {
    exp(-0.5 * x * x)
}

/// Square root by Newton's iteration from a bit-level first guess: compile-time use only.
const fn sqrt(a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    let mut s = f64::from_bits((a.to_bits() >> 1) + (1023u64 << 51));
    let mut i = 0;
    while i < 8 {
        s = 0.5 * (s + a / s);
        i += 1;
    }
    s
}

const fn tables() -> ([f64; LAYERS + 1], [f64; LAYERS + 1]) {
    let mut x = [0.0; LAYERS + 1];
    let mut f = [0.0; LAYERS + 1];
    x[0] = V / density(R);
    x[1] = R;
    let mut i = 2;
    while i < LAYERS {
        // Layer i - 1 spans [X[i], X[i-1]] in y from f(X[i-1]) up with area V.
        x[i] = sqrt(-2.0 * ln(V / x[i - 1] + density(x[i - 1])));
        i += 1;
    }
    x[LAYERS] = 0.0;
    let mut i = 0;
    while i <= LAYERS {
        f[i] = density(x[i]);
        i += 1;
    }
    (x, f)
}

/// A uniform in `[-1, 1)` from the high 52 bits of `bits`.
#[inline(always)]
fn signed_unit(bits: u64) -> f64 {
    f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0
}

/// A uniform in `(0, 1]` (53 bits): never 0, so its logarithm is finite.
#[inline(always)]
fn open_unit<G: Rng + ?Sized>(rng: &mut G) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// One standard normal draw.
#[inline(always)]
pub fn standard_normal<G: Rng + ?Sized>(rng: &mut G) -> f64 {
    let bits = rng.next_u64();
    let i = (bits & 0xff) as usize;
    let x = signed_unit(bits) * X[i];
    // i + 1 <= 256: in bounds, and the compiler sees it (the tables have 257 entries).
    if x.abs() < X[i + 1] {
        return x;
    }
    outside_rectangle(rng, i, x)
}

/// [`standard_normal`] for a generator the caller keeps in registers: the same draw (the same
/// words of the stream, the same result), but the rare slow path runs on a copy of the
/// generator that is written back afterwards. Passing the caller's generator itself to the
/// out-of-line slow path would let its address escape, and the compiler would then keep its
/// state in memory, with a load and a store of each word at every draw.
#[inline(always)]
pub fn standard_normal_local<G: Rng + Clone>(rng: &mut G) -> f64 {
    let bits = rng.next_u64();
    let i = (bits & 0xff) as usize;
    let x = signed_unit(bits) * X[i];
    if x.abs() < X[i + 1] {
        return x;
    }
    let mut copy = rng.clone();
    let z = outside_rectangle(&mut copy, i, x);
    *rng = copy;
    z
}

/// The slow paths: the base layer's tail, a layer's wedge, or a fresh try.
#[cold]
#[inline(never)]
fn outside_rectangle<G: Rng + ?Sized>(rng: &mut G, mut i: usize, mut x: f64) -> f64 {
    loop {
        if i == 0 {
            return tail(rng, x < 0.0);
        }
        // Under the density inside layer i's wedge?
        let y = F[i] + (F[i + 1] - F[i]) * open_unit(rng);
        if y < density(x) {
            return x;
        }
        let bits = rng.next_u64();
        i = (bits & 0xff) as usize;
        x = signed_unit(bits) * X[i];
        if x.abs() < X[i + 1] {
            return x;
        }
    }
}

/// A draw from the normal's tail beyond `R` (Marsaglia 1964): `R + a` with `a = −ln(U1)/R`,
/// accepted when `−2 ln U2 >= a²`.
fn tail<G: Rng + ?Sized>(rng: &mut G, negative: bool) -> f64 {
    loop {
        let a = -ln(open_unit(rng)) / R;
        let b = -ln(open_unit(rng));
        if 2.0 * b >= a * a {
            return if negative { -(R + a) } else { R + a };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_close_the_ziggurat() {
        // Each layer has area V: X[i-1] (F[i] - F[i-1]) = V for i = 2..=255, and the top layer
        // X[255] (1 - F[255]) = V up to the rounding of the published constants.
        for i in 2..LAYERS {
            let area = X[i - 1] * (F[i] - F[i - 1]);
            assert!((area / V - 1.0).abs() < 1e-12, "layer {i}: area {area}");
        }
        let top = X[LAYERS - 1] * (1.0 - F[LAYERS - 1]);
        assert!((top / V - 1.0).abs() < 1e-8, "top layer area {top}");
        assert_eq!(F[LAYERS], 1.0);
        // The base strip: R f(R) + tail area = V; the tail area is sqrt(pi/2) erfc(R/sqrt 2).
        let tail_area = std::f64::consts::FRAC_PI_2.sqrt()
            * statrs::function::erf::erfc(R / std::f64::consts::SQRT_2);
        let base = R * F[1] + tail_area;
        assert!((base / V - 1.0).abs() < 1e-10, "base strip {base}");
        assert!((X[0] * F[1] / V - 1.0).abs() < 1e-15);
    }

    #[test]
    fn draws_stay_within_their_bound() {
        // The smallest uniform open_unit returns is 2^-53.
        let farthest_tail = R - ln(1.0 / 9_007_199_254_740_992.0) / R;
        assert!(farthest_tail < MAX_ABS_DRAW, "{farthest_tail}");
        // Rectangles and wedges of layers 1.. lie within X[1] = R.
        const { assert!(X[1] == R && X[2] < R) };
    }

    #[test]
    fn the_tables_are_decreasing() {
        for i in 0..LAYERS {
            assert!(X[i] > X[i + 1], "X[{i}]");
            assert!(F[i] < F[i + 1], "F[{i}]");
        }
    }
}
