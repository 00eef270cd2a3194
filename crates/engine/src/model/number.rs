//! DynamoDB numbers: exact decimals with up to 38 significant digits and a
//! magnitude between 1E-130 and 9.9999999999999999999999999999999999999E+125.

use std::fmt;

use halyard_storage::keycodec::NumberParts;

/// A normalised decimal: `(-1)^negative × 0.digits × 10^exponent`, with no
/// leading or trailing zeros in `digits` (zero has no digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Box<str>,
    exponent: i32,
}

/// Why a string is not a DynamoDB number; `Display` gives DynamoDB's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("The parameter cannot be converted to a numeric value: {0}")]
    NotANumber(String),
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    #[error("Number overflow. Attempting to store a number with magnitude larger than supported range")]
    Overflow,
    #[error("Number underflow. Attempting to store a number with magnitude smaller than supported range")]
    Underflow,
}

const MAX_DIGITS: usize = 38;
/// The largest magnitude is just under 10^126 = 0.1 × 10^127.
const MAX_EXPONENT: i32 = 126;
/// The smallest magnitude is 10^-130 = 0.1 × 10^-129.
const MIN_EXPONENT: i32 = -129;

impl Number {
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: "".into(),
            exponent: 0,
        }
    }

    /// Parses DynamoDB's number syntax: optional sign, digits with an optional
    /// decimal point, optional exponent (`1`, `-1.5`, `.5`, `1.`, `1e-3`, `1E+2`).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let invalid = || NumberError::NotANumber(text.to_string());
        let bytes = text.as_bytes();
        let mut position = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                position = 1;
                true
            }
            Some(b'+') => {
                position = 1;
                false
            }
            _ => false,
        };
        let mut mantissa = Vec::with_capacity(bytes.len());
        let mut integer_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while position < bytes.len() {
            match bytes[position] {
                digit @ b'0'..=b'9' => {
                    seen_digit = true;
                    mantissa.push(digit);
                    if !seen_point {
                        integer_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err(invalid()),
            }
            position += 1;
        }
        if !seen_digit {
            return Err(invalid());
        }
        let mut exponent: i64 = 0;
        if position < bytes.len() {
            let exponent_text = &text[position + 1..];
            let digits = exponent_text.strip_prefix(['+', '-']).unwrap_or(exponent_text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            // Exponents too large to hold are certainly out of range.
            exponent = match exponent_text.parse::<i64>() {
                Ok(value) => value.clamp(-1_000_000_000, 1_000_000_000),
                Err(_) if exponent_text.starts_with('-') => -1_000_000_000,
                Err(_) => 1_000_000_000,
            };
        }
        let leading = mantissa.iter().take_while(|&&d| d == b'0').count();
        let significant = &mantissa[leading..];
        let trailing = significant.iter().rev().take_while(|&&d| d == b'0').count();
        let significant = &significant[..significant.len() - trailing];
        if significant.is_empty() {
            return Ok(Number::zero());
        }
        if significant.len() > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        let exponent = integer_digits - leading as i64 + exponent;
        if exponent > MAX_EXPONENT as i64 {
            return Err(NumberError::Overflow);
        }
        if exponent < MIN_EXPONENT as i64 {
            return Err(NumberError::Underflow);
        }
        Ok(Number {
            negative,
            digits: std::str::from_utf8(significant).expect("ASCII digits").into(),
            exponent: exponent as i32,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The parts the order-preserving key encoding needs.
    pub fn parts(&self) -> NumberParts<'_> {
        NumberParts {
            negative: self.negative,
            digits: self.digits.as_bytes(),
            exponent: self.exponent,
        }
    }

    /// Storage size by DynamoDB's rule: one byte per two significant digits,
    /// plus one.
    pub fn size(&self) -> usize {
        self.digits.len().div_ceil(2) + 1
    }
}

/// DynamoDB's canonical text: plain decimal notation, no exponent, no
/// redundant zeros (`1E+2` → `100`, `0.00100` → `0.001`, `-0` → `0`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let digits = &*self.digits;
        let length = digits.len() as i32;
        if self.exponent <= 0 {
            f.write_str("0.")?;
            for _ in 0..-self.exponent {
                f.write_str("0")?;
            }
            f.write_str(digits)
        } else if self.exponent >= length {
            f.write_str(digits)?;
            for _ in 0..self.exponent - length {
                f.write_str("0")?;
            }
            Ok(())
        } else {
            let (integer, fraction) = digits.split_at(self.exponent as usize);
            write!(f, "{integer}.{fraction}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        Number::parse(text).unwrap().to_string()
    }

    #[test]
    fn canonical_forms() {
        for (input, expected) in [
            ("1.0", "1"),
            ("100", "100"),
            ("1e2", "100"),
            ("1E+2", "100"),
            ("0.00100", "0.001"),
            ("-0", "0"),
            ("0", "0"),
            ("000123", "123"),
            ("1.23e5", "123000"),
            ("-1.5e-3", "-0.0015"),
            (".5", "0.5"),
            ("1.", "1"),
            ("+7", "7"),
            ("12.340", "12.34"),
            ("0e999999999999", "0"),
        ] {
            assert_eq!(canonical(input), expected, "{input}");
        }
        assert_eq!(canonical("1e125"), format!("1{}", "0".repeat(125)));
        assert_eq!(canonical("1e-130"), format!("0.{}1", "0".repeat(129)));
        let max = format!("9.{}E+125", "9".repeat(37));
        assert_eq!(canonical(&max).len(), 126);
    }

    #[test]
    fn limits_and_syntax_errors() {
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert_eq!(Number::parse(&"1".repeat(39)), Err(NumberError::TooManyDigits));
        assert!(Number::parse(&"1".repeat(38)).is_ok());
        assert!(Number::parse(&format!("{}000", "1".repeat(38))).is_ok());
        for bad in [
            "", "abc", " 1", "1 ", "0x10", "1e", "1e+", "--1", "1.2.3", ".", "-", "e5", "NaN", "Infinity",
        ] {
            assert!(matches!(Number::parse(bad), Err(NumberError::NotANumber(_))), "{bad:?}");
        }
    }

    #[test]
    fn equal_values_are_equal() {
        assert_eq!(Number::parse("1").unwrap(), Number::parse("1.0e0").unwrap());
        assert_eq!(Number::parse("-0").unwrap(), Number::parse("0.000").unwrap());
    }
}

/// Numeric order.
impl Ord for Number {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        let (a, b) = (sign(self), sign(other));
        if a != b || a == 0 {
            return a.cmp(&b);
        }
        let magnitude = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.as_bytes().cmp(other.digits.as_bytes()));
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Number {
    /// Exact sum, within DynamoDB's limits.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        // Align both magnitudes as integers scaled by 10^scale.
        let scale = |n: &Number| n.exponent - n.digits.len() as i32;
        let low = scale(self).min(scale(other));
        let digits_of = |n: &Number| -> Vec<u8> {
            let mut digits: Vec<u8> = n.digits.bytes().map(|d| d - b'0').collect();
            digits.extend(std::iter::repeat_n(0, (scale(n) - low) as usize));
            digits
        };
        let (a, b) = (digits_of(self), digits_of(other));
        let (negative, magnitude) = if self.negative == other.negative || self.is_zero() || other.is_zero() {
            let negative = if self.is_zero() { other.negative } else { self.negative };
            (negative, add_magnitudes(&a, &b))
        } else if compare_magnitudes(&a, &b) != std::cmp::Ordering::Less {
            (self.negative, subtract_magnitudes(&a, &b))
        } else {
            (other.negative, subtract_magnitudes(&b, &a))
        };
        let text: String = magnitude.iter().map(|d| char::from(b'0' + d)).collect();
        Number::parse(&format!("{}{}E{}", if negative { "-" } else { "" }, text, low))
    }

    pub fn negate(&self) -> Number {
        Number {
            negative: !self.negative && !self.is_zero(),
            ..self.clone()
        }
    }
}

fn compare_magnitudes(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let strip = |x: &[u8]| -> Vec<u8> { x.iter().copied().skip_while(|&d| d == 0).collect() };
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut result = Vec::with_capacity(a.len().max(b.len()) + 1);
    let (mut i, mut j, mut carry) = (a.len(), b.len(), 0);
    while i > 0 || j > 0 || carry > 0 {
        let x = if i > 0 {
            i -= 1;
            a[i]
        } else {
            0
        };
        let y = if j > 0 {
            j -= 1;
            b[j]
        } else {
            0
        };
        let sum = x + y + carry;
        result.push(sum % 10);
        carry = sum / 10;
    }
    result.reverse();
    result
}

/// `a - b` where `a >= b`.
fn subtract_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut result = Vec::with_capacity(a.len());
    let (mut i, mut j, mut borrow) = (a.len(), b.len(), 0i8);
    while i > 0 {
        i -= 1;
        let y = if j > 0 {
            j -= 1;
            b[j] as i8
        } else {
            0
        };
        let mut difference = a[i] as i8 - y - borrow;
        borrow = 0;
        if difference < 0 {
            difference += 10;
            borrow = 1;
        }
        result.push(difference as u8);
    }
    result.reverse();
    result
}

#[cfg(test)]
mod arithmetic_tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn addition_and_subtraction_are_exact() {
        for (a, b, sum) in [
            ("1", "2", "3"),
            ("0.1", "0.2", "0.3"),
            ("-5", "3", "-2"),
            ("5", "-7.5", "-2.5"),
            ("1e20", "1e-10", "100000000000000000000.0000000001"),
            ("-1", "1", "0"),
            ("0", "-4", "-4"),
            ("999", "1", "1000"),
        ] {
            assert_eq!(n(a).add(&n(b)).unwrap().to_string(), sum, "{a} + {b}");
        }
        assert_eq!(n("3").add(&n("5").negate()).unwrap().to_string(), "-2");
        assert!(n("1e100").add(&n("1e-100")).is_err(), "more than 38 digits");
    }

    #[test]
    fn ordering_is_numeric() {
        let mut numbers: Vec<Number> = ["10", "-1", "0", "2.5", "-10.5", "1e-5"].iter().map(|t| n(t)).collect();
        numbers.sort();
        let sorted: Vec<String> = numbers.iter().map(|x| x.to_string()).collect();
        assert_eq!(sorted, ["-10.5", "-1", "0", "0.00001", "2.5", "10"]);
    }
}
