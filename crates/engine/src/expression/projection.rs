//! ProjectionExpression (and the legacy AttributesToGet): which parts of an
//! item a read returns.

use super::lexer::{Lexer, Token};
use super::path::{parse_path, DocumentPath, PathElement};
use super::ExpressionNames;
use crate::error::Error;
use crate::model::{AttributeValue, Item};

/// The parts of an item to return.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    paths: Vec<DocumentPath>,
}

impl Projection {
    /// Parses a ProjectionExpression: document paths separated by commas.
    pub fn parse(expression: &str, names: &mut ExpressionNames<'_>) -> Result<Projection, Error> {
        let invalid = |message: String| Error::validation(format!("Invalid ProjectionExpression: {message}"));
        if expression.trim().is_empty() {
            return Err(Error::validation(
                "Invalid ProjectionExpression: The expression can not be empty;",
            ));
        }
        let mut lexer = Lexer::new(expression);
        let mut paths: Vec<DocumentPath> = Vec::new();
        loop {
            let path = parse_path(&mut lexer, names).map_err(invalid)?;
            if let Some(existing) = paths.iter().find(|existing| existing.overlaps(&path)) {
                return Err(invalid(format!(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {existing}, path two: {path}"
                )));
            }
            paths.push(path);
            match lexer.next().map_err(invalid)? {
                Token::Eof => return Ok(Projection { paths }),
                Token::Symbol(',') => {}
                other => return Err(invalid(lexer.syntax_error(&other))),
            }
        }
    }

    /// A projection of the given paths (the paths an update wrote).
    pub fn from_paths(paths: Vec<DocumentPath>) -> Projection {
        Projection { paths }
    }

    /// The top-level attributes the projection reads.
    pub fn top_level_names(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().filter_map(|path| match path.0.first() {
            Some(PathElement::Attribute(name)) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The legacy AttributesToGet: top-level names (duplicates allowed).
    pub fn from_attribute_names(names: &[String]) -> Projection {
        let mut paths: Vec<DocumentPath> = Vec::with_capacity(names.len());
        for name in names {
            let path = DocumentPath(vec![PathElement::Attribute(name.clone())]);
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        Projection { paths }
    }

    /// The projected copy of `item`. Nested paths keep the structure around
    /// them; projected list elements keep their order, without gaps.
    pub fn apply(&self, item: &Item) -> Item {
        let mut result = Item::new();
        for path in &self.paths {
            if let Some(value) = path.resolve(item) {
                insert_at(&mut result, &path.0, value.clone());
            }
        }
        result
    }
}

/// Builds the containers along `path` in `target` and puts `value` at its end.
fn insert_at(target: &mut Item, path: &[PathElement], value: AttributeValue) {
    let Some((PathElement::Attribute(name), rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        target.insert(name.clone(), value);
        return;
    }
    let slot = target.entry(name.clone()).or_insert_with(|| empty_container(&rest[0]));
    insert_into_value(slot, rest, value);
}

fn empty_container(next: &PathElement) -> AttributeValue {
    match next {
        PathElement::Attribute(_) => AttributeValue::M(Item::new()),
        PathElement::Index(_) => AttributeValue::L(Vec::new()),
    }
}

/// List elements are gathered with their source index so that several
/// projected elements of one list come out in list order.
fn insert_into_value(slot: &mut AttributeValue, path: &[PathElement], value: AttributeValue) {
    match (slot, &path[0]) {
        (AttributeValue::M(map), PathElement::Attribute(_)) => insert_at(map, path, value),
        (AttributeValue::L(list), PathElement::Index(_)) => {
            let rest = &path[1..];
            if rest.is_empty() {
                list.push(value);
            } else {
                let mut element = empty_container(&rest[0]);
                insert_into_value(&mut element, rest, value);
                list.push(element);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Number;
    use std::collections::HashMap;

    fn item() -> Item {
        let mut inner = Item::new();
        inner.insert("c".into(), AttributeValue::S("deep".into()));
        inner.insert("x".into(), AttributeValue::Bool(true));
        let list = AttributeValue::L(vec![
            AttributeValue::N(Number::parse("0").unwrap()),
            AttributeValue::N(Number::parse("1").unwrap()),
            AttributeValue::N(Number::parse("2").unwrap()),
        ]);
        [
            ("a".to_string(), AttributeValue::S("A".into())),
            ("b".into(), AttributeValue::M(inner)),
            ("d".into(), list),
        ]
        .into_iter()
        .collect()
    }

    fn project(expression: &str, names: &[(&str, &str)]) -> Result<Item, Error> {
        let names: HashMap<String, String> = names.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut tracked = ExpressionNames::new(&names);
        let projection = Projection::parse(expression, &mut tracked)?;
        tracked.check_all_used()?;
        Ok(projection.apply(&item()))
    }

    #[test]
    fn nested_paths_project_nested_parts() {
        let projected = project("a, b.c, d[2], d[0], absent", &[]).unwrap();
        let mut inner = Item::new();
        inner.insert("c".into(), AttributeValue::S("deep".into()));
        assert_eq!(projected["b"], AttributeValue::M(inner));
        assert_eq!(
            projected["d"],
            AttributeValue::L(vec![
                AttributeValue::N(Number::parse("2").unwrap()),
                AttributeValue::N(Number::parse("0").unwrap())
            ])
        );
        assert!(!projected.contains_key("absent"));
    }

    #[test]
    fn errors_match_dynamodb() {
        let message = |r: Result<Item, Error>| r.unwrap_err().to_string();
        assert_eq!(
            message(project("b, b.c", &[])),
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [b], path two: [b, c]"
        );
        assert_eq!(
            message(project("a,", &[])),
            "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\""
        );
        assert_eq!(
            message(project("#n", &[])),
            "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #n"
        );
        assert_eq!(
            message(project("a", &[("#u", "x")])),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
        );
        assert_eq!(
            message(project("name", &[])),
            "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"
        );
        assert!(project("#n", &[("#n", "name")]).is_ok());
    }
}
