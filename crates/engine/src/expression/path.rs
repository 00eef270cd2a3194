//! Document paths: `name`, `#placeholder`, `a.b[3].c`.

use std::fmt;

use super::{reserved, ExpressionNames};
use crate::model::{AttributeValue, Item};

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    Attribute(String),
    Index(usize),
}

/// A path into an item, starting at a top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPath(pub Vec<PathElement>);

/// Formats like DynamoDB's messages: `[a, b, [3]]`... DynamoDB prints
/// attribute steps by name and index steps as `[n]`.
impl fmt::Display for DocumentPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, element) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match element {
                PathElement::Attribute(name) => f.write_str(name)?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        f.write_str("]")
    }
}

impl DocumentPath {
    /// The value at this path in `item`, if any.
    pub fn resolve<'i>(&self, item: &'i Item) -> Option<&'i AttributeValue> {
        let (first, rest) = self.0.split_first()?;
        let PathElement::Attribute(name) = first else {
            return None;
        };
        let mut value = item.get(name)?;
        for element in rest {
            value = match (element, value) {
                (PathElement::Attribute(name), AttributeValue::M(map)) => map.get(name)?,
                (PathElement::Index(index), AttributeValue::L(list)) => list.get(*index)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// Whether one path is a prefix of the other (DynamoDB's "overlap").
    pub fn overlaps(&self, other: &DocumentPath) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a == b)
    }
}

/// A token of the path grammar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'s> {
    Name(&'s str),
    Placeholder(&'s str),
    Number(&'s str),
    Symbol(char),
    Eof,
}

impl Token<'_> {
    pub fn text(&self) -> String {
        match self {
            Token::Name(s) | Token::Placeholder(s) | Token::Number(s) => s.to_string(),
            Token::Symbol(c) => c.to_string(),
            Token::Eof => "<EOF>".into(),
        }
    }
}

/// Why an expression did not parse: the message after "Invalid X: ".
pub type ParseError = String;

/// A small tokenizer shared by the expression parsers.
pub(crate) struct Lexer<'s> {
    text: &'s str,
    position: usize,
    /// The last token consumed, and the one before it: a syntax error is
    /// reported "near" the pair.
    current: Token<'s>,
    previous: Token<'s>,
}

impl<'s> Lexer<'s> {
    pub fn new(text: &'s str) -> Self {
        Lexer {
            text,
            position: 0,
            current: Token::Eof,
            previous: Token::Eof,
        }
    }

    fn peek_token(&self) -> (Token<'s>, usize) {
        let bytes = self.text.as_bytes();
        let mut start = self.position;
        while start < bytes.len() && bytes[start].is_ascii_whitespace() {
            start += 1;
        }
        if start >= bytes.len() {
            return (Token::Eof, start);
        }
        let word_end = |from: usize| {
            let mut end = from;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                end += 1;
            }
            end
        };
        match bytes[start] {
            b'#' => {
                let end = word_end(start + 1);
                (Token::Placeholder(&self.text[start..end]), end)
            }
            b'0'..=b'9' => {
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                (Token::Number(&self.text[start..end]), end)
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let end = word_end(start);
                (Token::Name(&self.text[start..end]), end)
            }
            _ => {
                let c = self.text[start..].chars().next().expect("not at end");
                (Token::Symbol(c), start + c.len_utf8())
            }
        }
    }

    pub fn peek(&self) -> Token<'s> {
        self.peek_token().0
    }

    pub fn next(&mut self) -> Token<'s> {
        let (token, end) = self.peek_token();
        self.position = end;
        self.previous = std::mem::replace(&mut self.current, token.clone());
        token
    }

    /// DynamoDB's syntax error text for `token`, the token just consumed.
    pub fn syntax_error(&self, token: &Token<'_>) -> ParseError {
        let near = match (&self.previous, token) {
            (Token::Eof, t) => t.text(),
            (p, Token::Eof) => p.text(),
            (p, t) => format!("{}{}", p.text(), t.text()),
        };
        format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            token.text(),
            near
        )
    }
}

/// Parses one document path starting at the lexer's position.
pub(crate) fn parse_path(
    lexer: &mut Lexer<'_>,
    names: &mut ExpressionNames<'_>,
) -> Result<DocumentPath, ParseError> {
    let mut elements = vec![PathElement::Attribute(parse_name(lexer, names)?)];
    loop {
        match lexer.peek() {
            Token::Symbol('.') => {
                lexer.next();
                elements.push(PathElement::Attribute(parse_name(lexer, names)?));
            }
            Token::Symbol('[') => {
                lexer.next();
                let token = lexer.next();
                let Token::Number(digits) = token else {
                    return Err(lexer.syntax_error(&token));
                };
                let index = digits
                    .parse::<usize>()
                    .map_err(|_| format!("List index is too large; index: {digits}"))?;
                let close = lexer.next();
                if close != Token::Symbol(']') {
                    return Err(lexer.syntax_error(&close));
                }
                elements.push(PathElement::Index(index));
            }
            _ => return Ok(DocumentPath(elements)),
        }
    }
}

fn parse_name(
    lexer: &mut Lexer<'_>,
    names: &mut ExpressionNames<'_>,
) -> Result<String, ParseError> {
    let token = lexer.next();
    match token {
        Token::Name(name) => {
            if reserved::is_reserved(name) {
                return Err(format!("Attribute name is a reserved keyword; reserved keyword: {name}"));
            }
            Ok(name.to_string())
        }
        Token::Placeholder(placeholder) => names.resolve(placeholder).map(str::to_string).ok_or_else(|| {
            format!("An expression attribute name used in the document path is not defined; attribute name: {placeholder}")
        }),
        other => Err(lexer.syntax_error(&other)),
    }
}
