//! Order-preserving, prefix-free byte encoding of DynamoDB key values.
//!
//! An item's storage key is `encode(partition key) ++ encode(sort key)`.
//! Because each encoded value is prefix-free, all items of one partition key
//! are contiguous, and because the encoding preserves order, they are sorted
//! by sort key as DynamoDB sorts them — so a Query is a range seek.
//!
//! * S and B compare as raw bytes (UTF-8 byte order for strings, as DynamoDB
//!   does). Bytes are escaped (`00` → `00 FF`) and terminated by `00 00`.
//! * N compares numerically. A number is `sign × 0.d1d2…dn × 10^exponent`
//!   with `d1 ≠ 0` and `dn ≠ 0`; it is encoded as a sign byte, then (for
//!   non-zero values) the exponent and the digits, both complemented for
//!   negative numbers so that larger magnitudes sort first.

/// A number in the form the key encoding needs: `0.digits × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberParts<'a> {
    pub negative: bool,
    /// ASCII digits without leading or trailing zeros; empty for zero.
    pub digits: &'a [u8],
    pub exponent: i32,
}

/// A key attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyValue<'a> {
    S(&'a str),
    N(NumberParts<'a>),
    B(&'a [u8]),
}

const NEGATIVE: u8 = 0x01;
const ZERO: u8 = 0x02;
const POSITIVE: u8 = 0x03;

/// Appends the order-preserving encoding of `value` to `out`.
pub fn encode(value: KeyValue<'_>, out: &mut Vec<u8>) {
    match value {
        KeyValue::S(s) => encode_bytes(s.as_bytes(), out),
        KeyValue::B(b) => encode_bytes(b, out),
        KeyValue::N(n) => encode_number(n, out),
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    for &byte in bytes {
        out.push(byte);
        if byte == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

fn encode_number(number: NumberParts<'_>, out: &mut Vec<u8>) {
    if number.digits.is_empty() {
        out.push(ZERO);
        return;
    }
    // Biased so that the exponent compares correctly as unsigned big-endian.
    let exponent = (number.exponent + 0x8000) as u16;
    // Digits map to 1..=10 so that the terminator 0 sorts below any digit:
    // 0.12 < 0.123.
    let digits = number.digits.iter().map(|d| d - b'0' + 1);
    if number.negative {
        out.push(NEGATIVE);
        out.extend_from_slice(&(!exponent).to_be_bytes());
        out.extend(digits.map(|d| !d));
        out.push(0xFF);
    } else {
        out.push(POSITIVE);
        out.extend_from_slice(&exponent.to_be_bytes());
        out.extend(digits);
        out.push(0x00);
    }
}

/// The encoding of every S or B key value that starts with `prefix`
/// starts with these bytes (the escaped prefix without its terminator), so
/// `begins_with` on a sort key is a prefix range.
pub fn encode_prefix(prefix: &[u8], out: &mut Vec<u8>) {
    encode_bytes(prefix, out);
    out.truncate(out.len() - 2);
}

/// The smallest key above every key that starts with `prefix` (`None` if
/// there is none: the prefix is all 0xFF bytes).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut upper = prefix.to_vec();
    while let Some(last) = upper.pop() {
        if last != 0xFF {
            upper.push(last + 1);
            return Some(upper);
        }
    }
    None
}

/// Encodes a whole primary key: partition key, then the sort key if any.
pub fn encode_key(partition: KeyValue<'_>, sort: Option<KeyValue<'_>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    encode(partition, &mut out);
    if let Some(sort) = sort {
        encode(sort, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A decimal as (negative, digits, exponent), normalised.
    fn parts(text: &str) -> (bool, Vec<u8>, i32) {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        let leading = all.iter().take_while(|&&d| d == b'0').count();
        let digits: Vec<u8> = all[leading..].to_vec();
        let trailing = digits.iter().rev().take_while(|&&d| d == b'0').count();
        let digits = digits[..digits.len() - trailing].to_vec();
        let exponent = int.len() as i32 - leading as i32;
        if digits.is_empty() {
            return (false, digits, 0);
        }
        (negative, digits, exponent)
    }

    fn encode_decimal(text: &str) -> Vec<u8> {
        let (negative, digits, exponent) = parts(text);
        let mut out = Vec::new();
        encode_number(
            NumberParts {
                negative,
                digits: &digits,
                exponent,
            },
            &mut out,
        );
        out
    }

    fn encode_one(value: KeyValue<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, &mut out);
        out
    }

    #[test]
    fn prefix_encoding_is_a_prefix_of_every_extension() {
        for (prefix, value) in [("", "a"), ("ab", "abc"), ("a\0", "a\0b"), ("x", "x")] {
            let mut encoded_prefix = Vec::new();
            encode_prefix(prefix.as_bytes(), &mut encoded_prefix);
            assert!(
                encode_one(KeyValue::S(value)).starts_with(&encoded_prefix),
                "{prefix:?} {value:?}"
            );
        }
        let mut encoded_prefix = Vec::new();
        encode_prefix(b"a\0", &mut encoded_prefix);
        assert!(!encode_one(KeyValue::S("a")).starts_with(&encoded_prefix));
    }

    #[test]
    fn prefix_end_bounds_every_extension() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert!(b"ab\xff\xff\xff".as_slice() < prefix_end(b"ab").unwrap().as_slice());
    }

    #[test]
    fn numbers_sort_numerically() {
        let ordered = [
            "-1000", "-999.5", "-10", "-1.5", "-1", "-0.123", "-0.12", "-0.001", "0", "0.001", "0.12", "0.123", "1",
            "1.5", "10", "999.5", "1000",
        ];
        let encoded: Vec<_> = ordered.iter().map(|n| encode_decimal(n)).collect();
        for pair in encoded.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
    }

    #[test]
    fn strings_with_nul_keep_order_and_stay_prefix_free() {
        assert!(encode_one(KeyValue::S("a")) < encode_one(KeyValue::S("a\0")));
        assert!(encode_one(KeyValue::S("a\0")) < encode_one(KeyValue::S("a\0a")));
        assert!(encode_one(KeyValue::S("a\0z")) < encode_one(KeyValue::S("aa")));
        // Contiguity: a longer partition key never falls between keys of a shorter one.
        let short = encode_key(KeyValue::S("a"), Some(KeyValue::S("zzz")));
        let long = encode_key(KeyValue::S("ab"), Some(KeyValue::S("")));
        assert!(short < long);
    }

    fn decimal() -> impl Strategy<Value = String> {
        (any::<bool>(), "[0-9]{1,20}", "[0-9]{0,18}").prop_map(|(neg, int, frac)| {
            let sign = if neg { "-" } else { "" };
            if frac.is_empty() {
                format!("{sign}{int}")
            } else {
                format!("{sign}{int}.{frac}")
            }
        })
    }

    /// Exact comparison of two decimals without floating point.
    fn compare_decimal(a: &str, b: &str) -> std::cmp::Ordering {
        let (an, ad, ae) = parts(a);
        let (bn, bd, be) = parts(b);
        let sign = |neg: bool, digits: &[u8]| {
            if digits.is_empty() {
                0
            } else if neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(an, &ad), sign(bn, &bd));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let magnitude = ae.cmp(&be).then_with(|| ad.cmp(&bd));
        if sa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }

    proptest! {
        #[test]
        fn number_encoding_preserves_order(a in decimal(), b in decimal()) {
            prop_assert_eq!(encode_decimal(&a).cmp(&encode_decimal(&b)), compare_decimal(&a, &b));
        }

        #[test]
        fn string_encoding_preserves_utf8_byte_order(a in ".*", b in ".*") {
            let (ea, eb) = (encode_one(KeyValue::S(&a)), encode_one(KeyValue::S(&b)));
            prop_assert_eq!(ea.cmp(&eb), a.as_bytes().cmp(b.as_bytes()));
        }

        #[test]
        fn binary_encoding_preserves_byte_order(a in proptest::collection::vec(any::<u8>(), 0..16),
                                                b in proptest::collection::vec(any::<u8>(), 0..16)) {
            prop_assert_eq!(encode_one(KeyValue::B(&a)).cmp(&encode_one(KeyValue::B(&b))), a.cmp(&b));
        }

        #[test]
        fn composite_keys_sort_by_partition_then_sort_key(
            p1 in proptest::collection::vec(any::<u8>(), 0..6), s1 in decimal(),
            p2 in proptest::collection::vec(any::<u8>(), 0..6), s2 in decimal()) {
            let key = |p: &[u8], s: &str| {
                let (negative, digits, exponent) = parts(s);
                encode_key(KeyValue::B(p), Some(KeyValue::N(NumberParts { negative, digits: &digits, exponent })))
            };
            let expected = p1.cmp(&p2).then_with(|| compare_decimal(&s1, &s2));
            prop_assert_eq!(key(&p1, &s1).cmp(&key(&p2, &s2)), expected);
        }
    }
}
