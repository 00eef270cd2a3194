//! The tokenizer of DynamoDB's PartiQL dialect.

use super::{malformed, Error};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// An unquoted identifier or keyword, as written.
    Word(String),
    /// `"a name"`: an identifier, case kept, never a keyword.
    Quoted(String),
    /// `'text'`, with `''` standing for one quote.
    Text(String),
    /// A number literal as written (sign excluded).
    Number(String),
    /// `?`
    Parameter,
    /// `<<` and `>>`
    BagOpen,
    BagClose,
    /// `= <> != < <= > >=`
    Comparator(&'static str),
    Symbol(char),
    End,
}

impl Token {
    /// Whether this is the keyword `word` (keywords are case-insensitive).
    pub fn is(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(word))
    }
}

/// A token and where it starts (line and column from 1) and how long it is,
/// for DynamoDB's "at line:column:length" positions.
#[derive(Debug, Clone)]
pub(crate) struct Spanned {
    pub token: Token,
    pub line: usize,
    pub column: usize,
    pub length: usize,
}

impl Spanned {
    pub fn at(&self) -> String {
        format!("at {}:{}:{}", self.line, self.column, self.length)
    }
}

/// Splits a statement into tokens. Every error is DynamoDB's "not well
/// formed", except a backquoted Ion literal, which it names.
pub(crate) fn tokenize(statement: &str) -> Result<Vec<Spanned>, Error> {
    let bytes = statement.as_bytes();
    let mut tokens = Vec::new();
    let mut position = 0;
    let (mut line, mut line_start) = (1, 0);
    while position < bytes.len() {
        let byte = bytes[position];
        let start = position;
        let column = statement[line_start..start].chars().count() + 1;
        let token = match byte {
            b'\n' => {
                position += 1;
                line += 1;
                line_start = position;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                position += 1;
                continue;
            }
            b'-' if bytes.get(position + 1) == Some(&b'-') => {
                while position < bytes.len() && bytes[position] != b'\n' {
                    position += 1;
                }
                continue;
            }
            b'\'' | b'"' => {
                let (text, end) = quoted(statement, position, byte).ok_or_else(|| malformed(statement))?;
                position = end;
                if byte == b'\'' {
                    Token::Text(text)
                } else {
                    Token::Quoted(text)
                }
            }
            b'`' => {
                return Err(Error::validation(format!(
                    "Ion Literals are not supported: SYMBOL under key root at {line}:{column}:1"
                )))
            }
            b'0'..=b'9' | b'.' if byte != b'.' || bytes.get(position + 1).is_some_and(u8::is_ascii_digit) => {
                position = number_end(bytes, position).ok_or_else(|| malformed(statement))?;
                Token::Number(statement[start..position].to_string())
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => {
                while position < bytes.len()
                    && (bytes[position].is_ascii_alphanumeric() || matches!(bytes[position], b'_' | b'$'))
                {
                    position += 1;
                }
                Token::Word(statement[start..position].to_string())
            }
            _ => {
                let two = statement.get(position..position + 2).unwrap_or("");
                let (token, length) = match two {
                    "<<" => (Token::BagOpen, 2),
                    ">>" => (Token::BagClose, 2),
                    "<>" => (Token::Comparator("<>"), 2),
                    "!=" => (Token::Comparator("<>"), 2),
                    "<=" => (Token::Comparator("<="), 2),
                    ">=" => (Token::Comparator(">="), 2),
                    _ => match byte {
                        b'=' => (Token::Comparator("="), 1),
                        b'<' => (Token::Comparator("<"), 1),
                        b'>' => (Token::Comparator(">"), 1),
                        b'?' => (Token::Parameter, 1),
                        b'(' | b')' | b'[' | b']' | b'{' | b'}' | b',' | b'.' | b':' | b'*' | b'+' | b'-' | b';' => {
                            (Token::Symbol(byte as char), 1)
                        }
                        _ => return Err(malformed(statement)),
                    },
                };
                position += length;
                token
            }
        };
        let length = statement[start..position].chars().count();
        tokens.push(Spanned {
            token,
            line,
            column,
            length,
        });
    }
    let column = statement[line_start..].chars().count() + 1;
    tokens.push(Spanned {
        token: Token::End,
        line,
        column,
        length: 0,
    });
    Ok(tokens)
}

/// A quoted string or identifier from `start` (its opening quote): the
/// text, with doubled quotes undoubled, and where it ends.
fn quoted(statement: &str, start: usize, quote: u8) -> Option<(String, usize)> {
    let bytes = statement.as_bytes();
    let mut text = String::new();
    let mut position = start + 1;
    let mut run = position;
    loop {
        let offset = bytes.get(position..)?.iter().position(|&b| b == quote)?;
        position += offset;
        text.push_str(&statement[run..position]);
        if bytes.get(position + 1) == Some(&quote) {
            text.push(quote as char);
            position += 2;
            run = position;
        } else {
            return Some((text, position + 1));
        }
    }
}

/// The end of a number: digits, an optional fraction, an optional exponent.
fn number_end(bytes: &[u8], mut position: usize) -> Option<usize> {
    let digits = |position: &mut usize| {
        let start = *position;
        while bytes.get(*position).is_some_and(u8::is_ascii_digit) {
            *position += 1;
        }
        *position - start
    };
    let whole = digits(&mut position);
    let mut fraction = 0;
    if bytes.get(position) == Some(&b'.') {
        position += 1;
        fraction = digits(&mut position);
    }
    if whole + fraction == 0 {
        return None;
    }
    if matches!(bytes.get(position), Some(b'e' | b'E')) {
        position += 1;
        if matches!(bytes.get(position), Some(b'+' | b'-')) {
            position += 1;
        }
        if digits(&mut position) == 0 {
            return None;
        }
    }
    // `0x10`, `1abc`: a number runs into a word.
    if bytes
        .get(position)
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    Some(position)
}
