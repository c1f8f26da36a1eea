//! The on-disk encoding of coordinate vectors.
//!
//! A vector of `n` values is stored as a BLOB of exactly `8 n` bytes: each `f64` in turn as its
//! IEEE-754 bit pattern in **little-endian** byte order, no header, no padding. The byte order is
//! fixed (not native) so a database file moves between machines unchanged; the encoding is
//! bit-exact, so `-0.0`, subnormals, infinities and NaN payloads all survive. The vector length
//! is not stored in the blob: readers check it against the landscape's `dimension`.

use std::fmt;

/// Bytes per stored value.
const WIDTH: usize = std::mem::size_of::<f64>();

/// Encodes `values` as little-endian `f64`s (see the [module docs](self)).
pub fn encode_f64s(values: &[f64]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(values.len() * WIDTH);
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// A blob whose length is not a whole number of `f64`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLengthError {
    /// The length of the offending blob in bytes.
    pub bytes: usize,
}

impl fmt::Display for BlobLengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a coordinate blob of {} bytes is not a whole number of 8-byte values",
            self.bytes
        )
    }
}

impl std::error::Error for BlobLengthError {}

/// Decodes a blob written by [`encode_f64s`]; fails if its length is not a multiple of 8.
pub fn decode_f64s(bytes: &[u8]) -> Result<Vec<f64>, BlobLengthError> {
    let chunks = bytes.chunks_exact(WIDTH);
    if !chunks.remainder().is_empty() {
        return Err(BlobLengthError { bytes: bytes.len() });
    }
    Ok(chunks
        .map(|c| {
            let mut word = [0u8; WIDTH];
            word.copy_from_slice(c);
            f64::from_le_bytes(word)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout_is_little_endian() {
        assert_eq!(
            encode_f64s(&[1.0]),
            vec![0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
            "1.0 is 0x3ff0000000000000"
        );
        assert!(encode_f64s(&[]).is_empty());
    }

    #[test]
    fn special_values_survive_bit_exactly() {
        let values = [
            -0.0,
            0.0,
            f64::MIN_POSITIVE / 4.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::from_bits(0x7ff8_0000_0000_1234), // NaN with a payload
        ];
        let back = decode_f64s(&encode_f64s(&values)).expect("whole number of values");
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&values));
    }

    proptest! {
        #[test]
        fn random_vectors_round_trip(bits in proptest::collection::vec(any::<u64>(), 0..64)) {
            let values: Vec<f64> = bits.iter().map(|&b| f64::from_bits(b)).collect();
            let back = decode_f64s(&encode_f64s(&values)).expect("whole number of values");
            let back_bits: Vec<u64> = back.iter().map(|x| x.to_bits()).collect();
            prop_assert_eq!(back_bits, bits);
        }

        #[test]
        fn ragged_lengths_are_refused(len in 0usize..200) {
            let result = decode_f64s(&vec![0u8; len]);
            prop_assert_eq!(result.is_ok(), len % 8 == 0);
        }
    }
}
