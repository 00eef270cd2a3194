//! CSV records as ImportTable reads them (RFC 4180: fields may be quoted
//! with `"`, a quote inside a quoted field doubled, and a quoted field may
//! hold the delimiter and line breaks).

use std::io::{BufRead, Read};

/// The next record of `reader`, read a line at a time up to the line break
/// that ends it outside quotes (blank records skipped); `None` at the end.
/// A record longer than `max_bytes` is an error, found without holding
/// more of it; one that cannot be parsed is `Some(Err(why))`.
pub(crate) fn next_record(
    reader: &mut impl BufRead,
    delimiter: char,
    max_bytes: u64,
) -> std::io::Result<Option<Result<Vec<String>, String>>> {
    loop {
        let mut bytes = Vec::new();
        let mut quotes = QuoteState::default();
        loop {
            let start = bytes.len();
            let limit = max_bytes + 1 - start as u64;
            let read = Read::take(&mut *reader, limit).read_until(b'\n', &mut bytes)?;
            if bytes.len() as u64 > max_bytes {
                return Err(std::io::Error::other(format!(
                    "a record is longer than {max_bytes} bytes"
                )));
            }
            quotes.scan(&bytes[start..], delimiter);
            if read == 0 || !quotes.quoted {
                break;
            }
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Ok(Some(Err("not UTF-8 text".to_string())));
        };
        match records(text, delimiter) {
            Ok(mut records) => match records.pop() {
                Some(record) => return Ok(Some(Ok(record))),
                None => continue,
            },
            Err(_) => return Ok(Some(Err("a quoted field is not closed".to_string()))),
        }
    }
}

/// Whether a line break would fall inside a quoted field, followed as
/// [`records`] reads quotes: one opens a field only at its start, and a
/// doubled one inside a quoted field is a quote.
#[derive(Default)]
struct QuoteState {
    quoted: bool,
    /// Past the first character of the current field.
    in_field: bool,
}

impl QuoteState {
    fn scan(&mut self, bytes: &[u8], delimiter: char) {
        let mut bytes = bytes.iter().peekable();
        while let Some(&b) = bytes.next() {
            if self.quoted {
                if b == b'"' {
                    if bytes.peek() == Some(&&b'"') {
                        bytes.next();
                    } else {
                        self.quoted = false;
                    }
                }
            } else if b == b'"' && !self.in_field {
                self.quoted = true;
                self.in_field = true;
            } else {
                self.in_field = !(b == b'\n' || u32::from(b) == u32::from(delimiter));
            }
        }
    }
}

/// Splits `text` into records of fields. A record ends at a line break
/// outside quotes; blank lines are skipped. The error names the record
/// whose quote is never closed.
pub(crate) fn records(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, usize> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field.is_empty() => quoted = true,
            c if quoted => field.push(c),
            c if c == delimiter => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => end_record(&mut records, &mut record, &mut field),
            c => field.push(c),
        }
    }
    if quoted {
        return Err(records.len() + 1);
    }
    end_record(&mut records, &mut record, &mut field);
    Ok(records)
}

fn end_record(records: &mut Vec<Vec<String>>, record: &mut Vec<String>, field: &mut String) {
    record.push(std::mem::take(field));
    let blank = record.len() == 1 && record[0].trim().is_empty();
    let done = std::mem::take(record);
    if !blank {
        records.push(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_delimiters_and_blank_lines() {
        let text = "pk,name\r\n1,\"Smith, \"\"J\"\"\"\n\n2,\"two\nlines\"\n";
        assert_eq!(
            records(text, ',').unwrap(),
            vec![
                vec!["pk".to_string(), "name".to_string()],
                vec!["1".to_string(), "Smith, \"J\"".to_string()],
                vec!["2".to_string(), "two\nlines".to_string()],
            ]
        );
        assert_eq!(
            records("a|b", '|').unwrap(),
            vec![vec!["a".to_string(), "b".to_string()]]
        );
        assert_eq!(records("a\n\"open", ','), Err(2));
    }

    #[test]
    fn records_read_one_at_a_time() {
        let text = "pk,name\r\n\n1,\"a \"\"q\"\"\nsecond line\"\n2,x\"y\n3,\"open\n";
        let mut reader = text.as_bytes();
        let mut next = || next_record(&mut reader, ',', 1024).unwrap();
        assert_eq!(next(), Some(Ok(vec!["pk".to_string(), "name".to_string()])));
        assert_eq!(
            next(),
            Some(Ok(vec!["1".to_string(), "a \"q\"\nsecond line".to_string()]))
        );
        assert_eq!(next(), Some(Ok(vec!["2".to_string(), "x\"y".to_string()])));
        assert_eq!(next(), Some(Err("a quoted field is not closed".to_string())));
        assert_eq!(next(), None);
        let long = format!("{}\n", "x".repeat(2000));
        assert!(next_record(&mut long.as_bytes(), ',', 1024).is_err());
    }
}
