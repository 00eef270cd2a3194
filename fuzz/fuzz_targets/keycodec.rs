//! The order-preserving key encoding (crates/storage/src/keycodec.rs):
//! for arbitrary pairs of keys of one table's key types, the encoding
//! decodes back to the key (so it is lossless and prefix-free), compares
//! as the keys compare in DynamoDB's order (UTF-8 bytes for S, raw bytes
//! for B, numeric value for N; partition key first, then sort key), and
//! the begins_with prefix range holds exactly the values with the prefix.
#![no_main]

use std::cmp::Ordering;

use arbitrary::Arbitrary;
use halyard_engine::model::Number;
use halyard_storage::keycodec::{encode, encode_key, encode_prefix, prefix_end, KeyValue};
use libfuzzer_sys::fuzz_target;

/// Two byte strings, the second often sharing a prefix with the first:
/// near pairs are where order bugs hide.
#[derive(Arbitrary, Debug)]
struct BytesPair {
    first: Vec<u8>,
    shared: u8,
    tail: Vec<u8>,
}

impl BytesPair {
    fn values(&self) -> (Vec<u8>, Vec<u8>) {
        let shared = usize::from(self.shared).min(self.first.len());
        let mut second = self.first[..shared].to_vec();
        second.extend_from_slice(&self.tail);
        (self.first.clone(), second)
    }
}

/// A number as `(-1)^negative × 0.digits × 10^exponent`.
#[derive(Arbitrary, Debug)]
struct NumberSpec {
    negative: bool,
    digits: Vec<u8>,
    exponent: i16,
}

#[derive(Arbitrary, Debug)]
enum Pair {
    S(BytesPair),
    B(BytesPair),
    N(NumberSpec, NumberSpec, bool),
}

#[derive(Arbitrary, Debug)]
struct Input {
    partition: Pair,
    sort: Option<Pair>,
}

/// A key value that owns its data, with the reference order.
#[derive(Debug, Clone, PartialEq)]
enum Owned {
    S(String),
    B(Vec<u8>),
    N(Number),
}

impl Owned {
    fn key_value(&self) -> KeyValue<'_> {
        match self {
            Owned::S(s) => KeyValue::S(s),
            Owned::B(b) => KeyValue::B(b),
            Owned::N(n) => KeyValue::N(n.parts()),
        }
    }

    /// DynamoDB's order for two values of one type.
    fn reference_cmp(&self, other: &Owned) -> Ordering {
        match (self, other) {
            (Owned::S(a), Owned::S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Owned::B(a), Owned::B(b)) => a.cmp(b),
            (Owned::N(a), Owned::N(b)) => {
                let ordering = decimal_cmp(&a.to_string(), &b.to_string());
                assert_eq!(a.cmp(b), ordering, "Number's own order disagrees for {a} and {b}");
                ordering
            }
            _ => unreachable!("pairs have one type"),
        }
    }
}

/// A valid DynamoDB number built from the spec: at most 38 digits, with a
/// magnitude in DynamoDB's range.
fn number(spec: &NumberSpec) -> Number {
    let digits: String = spec.digits.iter().take(38).map(|d| char::from(b'0' + d % 10)).collect();
    // Leading zeros would shift the magnitude out of range.
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    // 0.d × 10^e with e in -129..=126 stays in 1E-130 ..< 1E126.
    let exponent = i32::from(spec.exponent).rem_euclid(256) - 129;
    let sign = if spec.negative { "-" } else { "" };
    let text = format!("{sign}0.{digits}E{exponent}");
    Number::parse(&text).unwrap_or_else(|error| panic!("{text} is a valid number but parsing failed: {error}"))
}

fn owned_pair(pair: &Pair) -> (Owned, Owned) {
    match pair {
        Pair::S(bytes) => {
            let (a, b) = bytes.values();
            (
                Owned::S(String::from_utf8_lossy(&a).into_owned()),
                Owned::S(String::from_utf8_lossy(&b).into_owned()),
            )
        }
        Pair::B(bytes) => {
            let (a, b) = bytes.values();
            (Owned::B(a), Owned::B(b))
        }
        Pair::N(a, b, same_exponent) => {
            let b = NumberSpec {
                negative: b.negative,
                digits: b.digits.clone(),
                exponent: if *same_exponent { a.exponent } else { b.exponent },
            };
            (Owned::N(number(a)), Owned::N(number(&b)))
        }
    }
}

/// Exact comparison of two plain decimals (`-12.5`, `0.001`) as written
/// by `Number`'s Display: aligned on the decimal point, digit by digit.
fn decimal_cmp(a: &str, b: &str) -> Ordering {
    let split = |text: &str| -> (bool, String, String) {
        let (negative, magnitude) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (integer, fraction) = magnitude.split_once('.').unwrap_or((magnitude, ""));
        (
            negative,
            integer.trim_start_matches('0').to_string(),
            fraction.to_string(),
        )
    };
    let magnitude_cmp = |(ai, af): (&str, &str), (bi, bf): (&str, &str)| {
        ai.len().cmp(&bi.len()).then_with(|| ai.cmp(bi)).then_with(|| {
            let width = af.len().max(bf.len());
            format!("{af:0<width$}").cmp(&format!("{bf:0<width$}"))
        })
    };
    let (a_negative, a_integer, a_fraction) = split(a);
    let (b_negative, b_integer, b_fraction) = split(b);
    let (a_zero, b_zero) = (a == "0", b == "0");
    let sign = |negative: bool, zero: bool| {
        if zero {
            0
        } else if negative {
            -1
        } else {
            1
        }
    };
    let (a_sign, b_sign) = (sign(a_negative, a_zero), sign(b_negative, b_zero));
    if a_sign != b_sign || a_sign == 0 {
        return a_sign.cmp(&b_sign);
    }
    let magnitude = magnitude_cmp((&a_integer, &a_fraction), (&b_integer, &b_fraction));
    if a_sign < 0 {
        magnitude.reverse()
    } else {
        magnitude
    }
}

/// Reads one encoded value of `like`'s type from the front of `bytes`:
/// the inverse of the encoding, written from its documented layout.
fn decode<'a>(like: &Owned, bytes: &'a [u8]) -> (Owned, &'a [u8]) {
    match like {
        Owned::S(_) => {
            let (raw, rest) = decode_bytes(bytes);
            (Owned::S(String::from_utf8(raw).expect("S decodes to UTF-8")), rest)
        }
        Owned::B(_) => {
            let (raw, rest) = decode_bytes(bytes);
            (Owned::B(raw), rest)
        }
        Owned::N(_) => decode_number(bytes),
    }
}

/// `00` is escaped as `00 FF`; `00 00` ends the value.
fn decode_bytes(bytes: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut out = Vec::new();
    let mut position = 0;
    loop {
        match (bytes[position], bytes.get(position + 1)) {
            (0, Some(0)) => return (out, &bytes[position + 2..]),
            (0, Some(0xFF)) => {
                out.push(0);
                position += 2;
            }
            (0, other) => panic!("bad escape {other:?} in {bytes:?}"),
            (byte, _) => {
                out.push(byte);
                position += 1;
            }
        }
    }
}

/// Sign byte (01 negative, 02 zero, 03 positive), then for non-zero values
/// the biased exponent and digits 1..=10, complemented when negative,
/// ended by 00 (FF when negative).
fn decode_number(bytes: &[u8]) -> (Owned, &[u8]) {
    let (negative, rest) = match bytes[0] {
        0x02 => return (Owned::N(Number::zero()), &bytes[1..]),
        0x01 => (true, &bytes[1..]),
        0x03 => (false, &bytes[1..]),
        other => panic!("bad number sign byte {other:#x}"),
    };
    let flip = |byte: u8| if negative { !byte } else { byte };
    let exponent = i32::from(u16::from_be_bytes([flip(rest[0]), flip(rest[1])])) - 0x8000;
    let mut digits = String::new();
    let mut position = 2;
    while flip(rest[position]) != 0 {
        digits.push(char::from(flip(rest[position]) - 1 + b'0'));
        position += 1;
    }
    let sign = if negative { "-" } else { "" };
    let number = Number::parse(&format!("{sign}0.{digits}E{exponent}")).expect("decoded number is valid");
    (Owned::N(number), &rest[position + 1..])
}

fn encode_one(value: &Owned) -> Vec<u8> {
    let mut out = Vec::new();
    encode(value.key_value(), &mut out);
    out
}

fn check_prefix_range(prefix: &[u8], value: &[u8], encoded_value: &[u8]) {
    let mut start = Vec::new();
    encode_prefix(prefix, &mut start);
    let end = prefix_end(&start);
    let inside = encoded_value >= start.as_slice() && end.as_deref().is_none_or(|end| encoded_value < end);
    assert_eq!(
        inside,
        value.starts_with(prefix),
        "begins_with range of {prefix:?} wrongly {} {value:?}",
        if inside { "holds" } else { "misses" }
    );
}

fuzz_target!(init: halyard_fuzz::report_stack_overflows(), |input: Input| {
    let (partition_a, partition_b) = owned_pair(&input.partition);
    let sort = input.sort.as_ref().map(owned_pair);
    let (sort_a, sort_b) = match &sort {
        Some((a, b)) => (Some(a), Some(b)),
        None => (None, None),
    };

    // Round trip: the whole key decodes back, partition then sort, with
    // nothing left over.
    for (partition, sort) in [(&partition_a, sort_a), (&partition_b, sort_b)] {
        let key = encode_key(partition.key_value(), sort.map(Owned::key_value));
        let (decoded, rest) = decode(partition, &key);
        assert_eq!(&decoded, partition);
        let rest = match sort {
            Some(sort) => {
                let (decoded, rest) = decode(sort, rest);
                assert_eq!(&decoded, sort);
                rest
            }
            None => rest,
        };
        assert!(rest.is_empty(), "trailing bytes after the key: {rest:?}");
    }

    // Order: single values, then whole keys.
    let (encoded_a, encoded_b) = (encode_one(&partition_a), encode_one(&partition_b));
    assert_eq!(
        encoded_a.cmp(&encoded_b),
        partition_a.reference_cmp(&partition_b),
        "{partition_a:?} vs {partition_b:?}"
    );
    let key_a = encode_key(partition_a.key_value(), sort_a.map(Owned::key_value));
    let key_b = encode_key(partition_b.key_value(), sort_b.map(Owned::key_value));
    let expected = partition_a.reference_cmp(&partition_b).then_with(|| match (sort_a, sort_b) {
        (Some(a), Some(b)) => a.reference_cmp(b),
        _ => Ordering::Equal,
    });
    assert_eq!(key_a.cmp(&key_b), expected, "keys {partition_a:?}/{sort_a:?} vs {partition_b:?}/{sort_b:?}");

    // begins_with on S and B sort keys is a range of the encoding.
    for (a, b) in [(&partition_a, &partition_b)].into_iter().chain(sort_a.zip(sort_b)) {
        match (a, b) {
            (Owned::S(a), Owned::S(b)) => {
                check_prefix_range(a.as_bytes(), b.as_bytes(), &encode_one(&Owned::S(b.clone())));
                check_prefix_range(b.as_bytes(), a.as_bytes(), &encode_one(&Owned::S(a.clone())));
            }
            (Owned::B(a), Owned::B(b)) => {
                check_prefix_range(a, b, &encode_one(&Owned::B(b.clone())));
                check_prefix_range(b, a, &encode_one(&Owned::B(a.clone())));
            }
            _ => {}
        }
    }
});
