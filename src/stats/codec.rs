//! Exact binary encoding of accumulator states, for shards of a run (DESIGN.md §7, "Shards").
//!
//! A shard's partial state must merge into the very bits of a single run, so floats are written
//! as their IEEE-754 bit patterns (never through decimal text), integers as fixed-width
//! little-endian words, and vectors with their length first. [`Partial`] is implemented by every
//! accumulator a shard keeps; decoding checks lengths and never panics on a short or malformed
//! buffer.

use super::{CoMoments, Moments};

/// Writes values into a byte buffer.
#[derive(Debug, Default)]
pub struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    /// An empty buffer.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Appends a 64-bit unsigned integer.
    pub fn u64(&mut self, v: u64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// Appends a float as its bit pattern.
    pub fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }

    /// Appends a byte string, its length first.
    pub fn bytes(&mut self, v: &[u8]) {
        self.u64(v.len() as u64);
        self.bytes.extend_from_slice(v);
    }

    /// Appends any [`Partial`] value.
    pub fn put<T: Partial>(&mut self, v: &T) {
        v.encode(self);
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// A buffer that ended early or holds a value out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the partial state is malformed at byte {at}: {what}")]
pub struct DecodeError {
    /// Byte offset in the state.
    pub at: usize,
    /// What was wrong.
    pub what: String,
}

/// Reads values from a byte buffer, in the order they were written.
#[derive(Debug)]
pub struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Decoder<'a> {
    /// Reads `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { bytes, at: 0 }
    }

    /// A malformed-state error at the current offset.
    pub fn error(&self, what: impl Into<String>) -> DecodeError {
        DecodeError {
            at: self.at,
            what: what.into(),
        }
    }

    /// Reads a 64-bit unsigned integer.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        let end = self.at + 8;
        let word = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| self.error("expected 8 more bytes, found the end"))?;
        self.at = end;
        Ok(u64::from_le_bytes(word.try_into().expect("8 bytes")))
    }

    /// Reads a byte string written by [`Encoder::bytes`].
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.len(1)?;
        let v = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(v)
    }

    /// Reads a float from its bit pattern.
    pub fn f64(&mut self) -> Result<f64, DecodeError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// Reads a length (of a vector of at least `min_item_bytes`-byte items), checked against
    /// the bytes left so that a corrupt length cannot allocate without bound.
    pub fn len(&mut self, min_item_bytes: usize) -> Result<usize, DecodeError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(min_item_bytes.max(1) as u64) > left {
            return Err(self.error(format!(
                "a length of {n} items, more than the {left} bytes left hold"
            )));
        }
        Ok(n as usize)
    }

    /// Reads any [`Partial`] value.
    pub fn get<T: Partial>(&mut self) -> Result<T, DecodeError> {
        T::decode(self)
    }

    /// Whether every byte was read.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(self.error(format!(
                "{} bytes left over after the last value",
                self.bytes.len() - self.at
            )))
        }
    }
}

/// An accumulator state that is written and read back exactly (bit for bit).
pub trait Partial: Sized {
    /// Writes the state.
    fn encode(&self, e: &mut Encoder);
    /// Reads a state written by [`Partial::encode`].
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError>;
}

impl Partial for u64 {
    fn encode(&self, e: &mut Encoder) {
        e.u64(*self);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        d.u64()
    }
}

impl Partial for f64 {
    fn encode(&self, e: &mut Encoder) {
        e.f64(*self);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        d.f64()
    }
}

impl<T: Partial> Partial for Vec<T> {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.len() as u64);
        for v in self {
            v.encode(e);
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let n = d.len(8)?;
        (0..n).map(|_| T::decode(d)).collect()
    }
}

impl<A: Partial, B: Partial> Partial for (A, B) {
    fn encode(&self, e: &mut Encoder) {
        self.0.encode(e);
        self.1.encode(e);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok((A::decode(d)?, B::decode(d)?))
    }
}

impl Partial for Moments {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.n);
        e.f64(self.mean);
        e.f64(self.m2);
        e.f64(self.min);
        e.f64(self.max);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok(Moments {
            n: d.u64()?,
            mean: d.f64()?,
            m2: d.f64()?,
            min: d.f64()?,
            max: d.f64()?,
        })
    }
}

impl Partial for CoMoments {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.n);
        e.f64(self.mean_x);
        e.f64(self.mean_y);
        e.f64(self.cxy);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok(CoMoments {
            n: d.u64()?,
            mean_x: d.f64()?,
            mean_y: d.f64()?,
            cxy: d.f64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::QuantileSketch;

    #[test]
    fn states_round_trip_bit_for_bit() {
        let m = Moments::of(&[0.1, 0.2, 1e-300, 7.25, f64::MIN_POSITIVE]);
        let mut sketch = QuantileSketch::new();
        sketch.insert_all([0.0, 0.0, 3.5, 1e9, 2e-9]);
        let mut e = Encoder::new();
        e.put(&m);
        e.put(&sketch);
        e.put(&vec![(3u64, -0.0f64)]);
        let bytes = e.into_bytes();
        let mut d = Decoder::new(&bytes);
        let m2: Moments = d.get().unwrap();
        let s2: QuantileSketch = d.get().unwrap();
        let v: Vec<(u64, f64)> = d.get().unwrap();
        d.finish().unwrap();
        assert_eq!(m.mean.to_bits(), m2.mean.to_bits());
        assert_eq!(m.m2.to_bits(), m2.m2.to_bits());
        assert_eq!(m, m2);
        assert_eq!(
            s2.bins().collect::<Vec<_>>(),
            sketch.bins().collect::<Vec<_>>()
        );
        assert_eq!(v[0].1.to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn short_or_overlong_buffers_are_errors_not_panics() {
        let mut e = Encoder::new();
        e.put(&Moments::of(&[1.0]));
        let bytes = e.into_bytes();
        for cut in 0..bytes.len() {
            assert!(Decoder::new(&bytes[..cut]).get::<Moments>().is_err());
        }
        // A length far beyond the buffer is refused before anything is allocated.
        let mut e = Encoder::new();
        e.u64(u64::MAX);
        let bytes = e.into_bytes();
        assert!(Decoder::new(&bytes).get::<Vec<Moments>>().is_err());
    }
}
