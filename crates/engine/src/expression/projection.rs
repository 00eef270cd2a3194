//! ProjectionExpression (and the legacy AttributesToGet): which parts of an
//! item a read returns.

use std::collections::BTreeMap;

use super::lexer::{Deferred, Lexer, Token};
use super::path::{check_disjoint, parse_path, DocumentPath, PathElement};
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
        lexer.names_first = true;
        let mut paths: Vec<DocumentPath> = Vec::new();
        let result = loop {
            match parse_path(&mut lexer, names) {
                Ok(path) => paths.push(path),
                Err(error) => break Err(error),
            }
            match lexer.next() {
                Ok(Token::Eof) => break Ok(()),
                Ok(Token::Symbol(',')) => {}
                Ok(other) => break Err(lexer.syntax_error(&other)),
                Err(error) => break Err(error),
            }
        };
        if let Some(error) = paths.iter().enumerate().find_map(|(i, path)| {
            paths[..i]
                .iter()
                .find_map(|existing| check_disjoint(existing, path).err())
        }) {
            lexer.defer(Deferred::Paths, error);
        }
        lexer.conclude(result).map_err(invalid)?;
        Ok(Projection { paths })
    }

    /// A projection of the given paths (the paths an update wrote).
    pub fn from_paths(paths: Vec<DocumentPath>) -> Projection {
        Projection { paths }
    }

    /// The document paths the projection reads.
    pub fn paths(&self) -> &[DocumentPath] {
        &self.paths
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
    /// them; projected list elements keep their list order, without gaps.
    pub fn apply(&self, item: &Item) -> Item {
        let mut root = BTreeMap::new();
        for path in &self.paths {
            if let (Some(value), Some((PathElement::Attribute(name), rest))) =
                (path.resolve(item), path.0.split_first())
            {
                root.entry(name.clone())
                    .or_insert_with(|| Projected::container(rest))
                    .insert(rest, value);
            }
        }
        root.into_iter().map(|(name, part)| (name, part.into_value())).collect()
    }
}

/// A projected part of an item, built up path by path. List elements are
/// kept by their index in the item, so that they come out in list order
/// and several paths into one element share it.
enum Projected {
    Value(AttributeValue),
    Map(BTreeMap<String, Projected>),
    List(BTreeMap<usize, Projected>),
}

impl Projected {
    /// What holds the rest of a path.
    fn container(rest: &[PathElement]) -> Projected {
        match rest.first() {
            None => Projected::Map(BTreeMap::new()),
            Some(PathElement::Attribute(_)) => Projected::Map(BTreeMap::new()),
            Some(PathElement::Index(_)) => Projected::List(BTreeMap::new()),
        }
    }

    /// Puts `value` at `path` below this part. Projection paths neither
    /// overlap nor conflict, so each step finds the container it needs.
    fn insert(&mut self, path: &[PathElement], value: &AttributeValue) {
        let Some((first, rest)) = path.split_first() else {
            *self = Projected::Value(value.clone());
            return;
        };
        let child = match (self, first) {
            (Projected::Map(map), PathElement::Attribute(name)) => map.entry(name.clone()),
            (Projected::List(list), PathElement::Index(index)) => {
                list.entry(*index)
                    .or_insert_with(|| Projected::container(rest))
                    .insert(rest, value);
                return;
            }
            _ => return,
        };
        child.or_insert_with(|| Projected::container(rest)).insert(rest, value);
    }

    fn into_value(self) -> AttributeValue {
        match self {
            Projected::Value(value) => value,
            Projected::Map(map) => AttributeValue::M(map.into_iter().map(|(k, v)| (k, v.into_value())).collect()),
            Projected::List(list) => AttributeValue::L(list.into_values().map(Projected::into_value).collect()),
        }
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
        // List elements come out in list order, whatever the paths' order.
        assert_eq!(
            projected["d"],
            AttributeValue::L(vec![
                AttributeValue::N(Number::parse("0").unwrap()),
                AttributeValue::N(Number::parse("2").unwrap())
            ])
        );
        assert!(!projected.contains_key("absent"));
    }

    #[test]
    fn paths_into_one_list_element_share_it() {
        let mut element = Item::new();
        element.insert("p".into(), AttributeValue::S("P".into()));
        element.insert("q".into(), AttributeValue::S("Q".into()));
        element.insert("r".into(), AttributeValue::S("R".into()));
        let item: Item = [("l".to_string(), AttributeValue::L(vec![AttributeValue::M(element)]))].into();
        let names = HashMap::new();
        let projection = Projection::parse("l[0].r, l[0].p", &mut ExpressionNames::new(&names)).unwrap();
        let mut expected = Item::new();
        expected.insert("p".into(), AttributeValue::S("P".into()));
        expected.insert("r".into(), AttributeValue::S("R".into()));
        assert_eq!(
            projection.apply(&item)["l"],
            AttributeValue::L(vec![AttributeValue::M(expected)])
        );
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
        assert_eq!(
            message(project("b.c, b[0]", &[])),
            "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [b, c], path two: [b, [0]]"
        );
    }
}
