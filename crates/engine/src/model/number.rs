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
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
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
            let digits = exponent_text
                .strip_prefix(['+', '-'])
                .unwrap_or(exponent_text);
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
            digits: std::str::from_utf8(significant)
                .expect("ASCII digits")
                .into(),
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
        assert_eq!(
            Number::parse(&"1".repeat(39)),
            Err(NumberError::TooManyDigits)
        );
        assert!(Number::parse(&"1".repeat(38)).is_ok());
        assert!(Number::parse(&format!("{}000", "1".repeat(38))).is_ok());
        for bad in [
            "", "abc", " 1", "1 ", "0x10", "1e", "1e+", "--1", "1.2.3", ".", "-", "e5", "NaN",
            "Infinity",
        ] {
            assert!(
                matches!(Number::parse(bad), Err(NumberError::NotANumber(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn equal_values_are_equal() {
        assert_eq!(Number::parse("1").unwrap(), Number::parse("1.0e0").unwrap());
        assert_eq!(
            Number::parse("-0").unwrap(),
            Number::parse("0.000").unwrap()
        );
    }
}
