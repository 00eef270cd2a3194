//! CSV records as ImportTable reads them (RFC 4180: fields may be quoted
//! with `"`, a quote inside a quoted field doubled, and a quoted field may
//! hold the delimiter and line breaks).

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
}
