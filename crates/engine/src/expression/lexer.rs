//! The tokenizer shared by every expression parser.

/// A token of the expression grammar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'s> {
    /// An identifier: attribute name, keyword or function name.
    Name(&'s str),
    /// `#name`
    NamePlaceholder(&'s str),
    /// `:value`
    ValuePlaceholder(&'s str),
    /// Digits (list indexes).
    Number(&'s str),
    /// `= <> < <= > >=`
    Comparator(&'s str),
    Symbol(char),
    Eof,
}

impl Token<'_> {
    pub fn text(&self) -> String {
        match self {
            Token::Name(s)
            | Token::NamePlaceholder(s)
            | Token::ValuePlaceholder(s)
            | Token::Number(s)
            | Token::Comparator(s) => s.to_string(),
            Token::Symbol(c) => c.to_string(),
            Token::Eof => "<EOF>".into(),
        }
    }

    /// Whether this is the keyword `word` (keywords are case-insensitive).
    pub fn is_keyword(&self, word: &str) -> bool {
        matches!(self, Token::Name(name) if name.eq_ignore_ascii_case(word))
    }
}

/// Why an expression did not parse: the message after "Invalid X: ".
pub type ParseError = String;

pub(crate) const REDUNDANT_PARENTHESES: &str = "The expression has redundant parentheses;";

/// Errors DynamoDB reports only once the whole expression has been read
/// without a syntax error, in this order of kinds: names (functions,
/// reserved words, a section used twice), undefined `#names` of an update
/// or projection, overlapping paths, then the rest (undefined placeholders
/// of conditions, undefined `:values` of an update); of each kind, the
/// first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Deferred {
    Names,
    NamePlaceholders,
    Paths,
    Rest,
}

#[derive(Clone)]
pub(crate) struct Lexer<'s> {
    text: &'s str,
    position: usize,
    /// The last token consumed, and the one before it, with where each
    /// starts: a syntax error is reported "near" the text they span.
    current: Token<'s>,
    current_start: usize,
    previous: Token<'s>,
    previous_start: usize,
    deferred: Option<(Deferred, ParseError)>,
    /// Undefined `#names` come before overlapping paths and `:values`
    /// (updates and projections), rather than in order with them.
    pub names_first: bool,
}

impl<'s> Lexer<'s> {
    pub fn new(text: &'s str) -> Self {
        Lexer {
            text,
            position: 0,
            current: Token::Eof,
            current_start: 0,
            previous: Token::Eof,
            previous_start: 0,
            deferred: None,
            names_first: false,
        }
    }

    /// Records an error to report if the rest of the expression reads.
    pub fn defer(&mut self, kind: Deferred, error: ParseError) {
        if self.deferred.as_ref().is_none_or(|(recorded, _)| kind < *recorded) {
            self.deferred = Some((kind, error));
        }
    }

    /// The outcome of reading a whole expression: a syntax error first,
    /// then a deferred error, then the result.
    pub fn conclude<T>(&mut self, result: Result<T, ParseError>) -> Result<T, ParseError> {
        match (result, self.deferred.take()) {
            (Err(error), _) if error.starts_with("Syntax error;") || error == REDUNDANT_PARENTHESES => Err(error),
            (_, Some((_, deferred))) => Err(deferred),
            (result, None) => result,
        }
    }

    /// The next token, where it starts and where it ends.
    fn scan(&self) -> Result<(Token<'s>, usize, usize), ParseError> {
        self.scan_at(self.position)
            .map_err(|(start, end)| self.unknown_token(start, end))
    }

    /// The token at `position` or after it, or the span of text there that
    /// is no token.
    fn scan_at(&self, position: usize) -> Result<(Token<'s>, usize, usize), (usize, usize)> {
        let bytes = self.text.as_bytes();
        let mut start = position;
        while start < bytes.len() && bytes[start].is_ascii_whitespace() {
            start += 1;
        }
        if start >= bytes.len() {
            return Ok((Token::Eof, start, start));
        }
        let word_end = |from: usize| {
            let mut end = from;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            end
        };
        let token = match bytes[start] {
            // A sigil with no name after it is not a placeholder.
            b'#' | b':' if word_end(start + 1) == start + 1 => return Err((start, start + 1)),
            b'#' => {
                let end = word_end(start + 1);
                (Token::NamePlaceholder(&self.text[start..end]), end)
            }
            b':' => {
                let end = word_end(start + 1);
                (Token::ValuePlaceholder(&self.text[start..end]), end)
            }
            // A list index: `0`, or digits that do not start with 0.
            b'0' => (Token::Number(&self.text[start..start + 1]), start + 1),
            b'1'..=b'9' => {
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                (Token::Number(&self.text[start..end]), end)
            }
            // Names start with a letter.
            b if b.is_ascii_alphabetic() => {
                let end = word_end(start);
                (Token::Name(&self.text[start..end]), end)
            }
            b'<' if bytes.get(start + 1) == Some(&b'>') => (Token::Comparator("<>"), start + 2),
            b'<' | b'>' if bytes.get(start + 1) == Some(&b'=') => {
                (Token::Comparator(&self.text[start..start + 2]), start + 2)
            }
            b'<' | b'>' | b'=' => (Token::Comparator(&self.text[start..start + 1]), start + 1),
            b'(' | b')' | b'[' | b']' | b',' | b'.' | b'+' | b'-' => (Token::Symbol(bytes[start] as char), start + 1),
            _ => {
                let length = self.text[start..].chars().next().map_or(1, char::len_utf8);
                return Err((start, start + length));
            }
        };
        Ok((token.0, start, token.1))
    }

    /// The syntax error for text at `start..end` that is no token: "near"
    /// spans from the token before it to the end of the token after it, as
    /// for any other unexpected token.
    fn unknown_token(&self, start: usize, end: usize) -> ParseError {
        let from = match self.current {
            Token::Eof => start,
            _ => self.current_start,
        };
        let to = match self.scan_at(end) {
            Ok((Token::Eof, _, _)) => end,
            // Another token, or more text that is no token: it ends "near".
            Ok((_, _, to)) | Err((_, to)) => to,
        };
        format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            &self.text[start..end],
            &self.text[from..to]
        )
    }

    /// How far the text has been read.
    pub fn position(&self) -> usize {
        self.position
    }

    pub fn peek(&self) -> Result<Token<'s>, ParseError> {
        Ok(self.scan()?.0)
    }

    /// The token after the next one.
    pub fn peek_second(&self) -> Result<Token<'s>, ParseError> {
        let mut ahead = self.clone();
        ahead.next()?;
        ahead.peek()
    }

    pub fn next(&mut self) -> Result<Token<'s>, ParseError> {
        let (token, start, end) = self.scan()?;
        self.position = end;
        self.previous = std::mem::replace(&mut self.current, token.clone());
        self.previous_start = std::mem::replace(&mut self.current_start, start);
        Ok(token)
    }

    /// DynamoDB's syntax error text for `token`, the token just consumed:
    /// "near" spans the text from the token before it to the end of the
    /// token after it.
    pub fn syntax_error(&self, token: &Token<'_>) -> ParseError {
        let from = match self.previous {
            Token::Eof => self.current_start,
            _ => self.previous_start,
        };
        let to = match token {
            Token::Eof => self.text.len(),
            _ => self.scan().map_or(self.text.len(), |(_, _, end)| end),
        };
        let near = self.text.get(from..to).unwrap_or_default();
        format!("Syntax error; token: \"{}\", near: \"{near}\"", token.text())
    }

    /// Consumes the next token, which must be `expected`.
    pub fn expect_symbol(&mut self, expected: char) -> Result<(), ParseError> {
        let token = self.next()?;
        if token == Token::Symbol(expected) {
            Ok(())
        } else {
            Err(self.syntax_error(&token))
        }
    }
}
