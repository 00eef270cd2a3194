//! Document paths: `name`, `#placeholder`, `a.b[3].c`.

use std::fmt;

use super::lexer::{Deferred, Lexer, ParseError, Token};
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

    /// Whether the path starts at the top-level attribute `name`.
    pub fn starts_with_attribute(&self, name: &str) -> bool {
        matches!(self.0.first(), Some(PathElement::Attribute(first)) if first == name)
    }
}

/// DynamoDB refuses two paths of which one is a prefix of the other
/// ("overlap"), or that step into one attribute once as a map and once as
/// a list ("conflict").
pub(crate) fn check_disjoint(first: &DocumentPath, second: &DocumentPath) -> Result<(), ParseError> {
    let shared = first.0.iter().zip(&second.0).take_while(|(x, y)| x == y).count();
    if shared == first.0.len().min(second.0.len()) {
        return Err(format!(
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {first}, path two: {second}"
        ));
    }
    let kinds_differ = matches!(
        (&first.0[shared], &second.0[shared]),
        (PathElement::Attribute(_), PathElement::Index(_)) | (PathElement::Index(_), PathElement::Attribute(_))
    );
    if kinds_differ {
        return Err(format!(
            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {first}, path two: {second}"
        ));
    }
    Ok(())
}

/// Parses one document path starting at the lexer's position.
pub(crate) fn parse_path(lexer: &mut Lexer<'_>, names: &mut ExpressionNames<'_>) -> Result<DocumentPath, ParseError> {
    let mut elements = vec![PathElement::Attribute(parse_name(lexer, names)?)];
    loop {
        match lexer.peek()? {
            Token::Symbol('.') => {
                lexer.next()?;
                elements.push(PathElement::Attribute(parse_name(lexer, names)?));
            }
            Token::Symbol('[') => {
                lexer.next()?;
                let token = lexer.next()?;
                let Token::Number(digits) = token else {
                    return Err(lexer.syntax_error(&token));
                };
                // DynamoDB's indexes are 32-bit signed integers.
                let index = digits
                    .parse::<i32>()
                    .map_err(|_| format!("List index is not within the allowable range; index: [{digits}]"))?;
                lexer.expect_symbol(']')?;
                elements.push(PathElement::Index(index as usize));
            }
            _ => return Ok(DocumentPath(elements)),
        }
    }
}

fn parse_name(lexer: &mut Lexer<'_>, names: &mut ExpressionNames<'_>) -> Result<String, ParseError> {
    let token = lexer.next()?;
    match token {
        Token::Name(name) => {
            if GRAMMAR_WORDS.iter().any(|word| name.eq_ignore_ascii_case(word)) {
                return Err(lexer.syntax_error(&token));
            }
            if reserved::is_reserved(name) {
                lexer.defer(
                    Deferred::Names,
                    format!("Attribute name is a reserved keyword; reserved keyword: {name}"),
                );
            }
            Ok(name.to_string())
        }
        Token::NamePlaceholder(placeholder) => Ok(match names.resolve(placeholder) {
            Some(name) => name.clone(),
            None => {
                let kind = if lexer.names_first {
                    Deferred::NamePlaceholders
                } else {
                    Deferred::Rest
                };
                lexer.defer(
                    kind,
                    format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {placeholder}"
                    ),
                );
                // A stand-in: the expression is refused once read.
                placeholder.to_string()
            }
        }),
        other => Err(lexer.syntax_error(&other)),
    }
}

/// Words of the expression grammar itself: where a name is expected they
/// are syntax errors rather than reserved words.
const GRAMMAR_WORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"];
