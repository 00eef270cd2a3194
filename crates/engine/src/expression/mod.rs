//! DynamoDB's expression language: document paths, ProjectionExpression,
//! conditions (ConditionExpression, FilterExpression,
//! KeyConditionExpression) and UpdateExpression, plus the legacy
//! parameters that predate expressions.

pub mod condition;
#[cfg(test)]
mod grammar_tests;
pub mod key_condition;
pub mod key_paths;
pub mod legacy;
mod lexer;
mod parser;
pub mod path;
pub mod projection;
mod reserved;
pub mod update;
pub mod value;

use std::collections::{BTreeSet, HashMap};

use crate::error::Error;
use crate::model::AttributeValue;

/// DynamoDB's limit on the length of one expression.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// One kind of placeholder given with a request (`ExpressionAttributeNames`
/// or `ExpressionAttributeValues`), tracking which ones its expressions
/// used so that unused ones can be reported as DynamoDB does.
pub struct PlaceholderMap<'a, T> {
    map: &'a HashMap<String, T>,
    used: BTreeSet<&'a str>,
    parameter: &'static str,
}

pub type ExpressionNames<'a> = PlaceholderMap<'a, String>;
pub type ExpressionValues<'a> = PlaceholderMap<'a, AttributeValue>;

impl<'a> PlaceholderMap<'a, String> {
    pub fn new(names: &'a HashMap<String, String>) -> Self {
        PlaceholderMap {
            map: names,
            used: BTreeSet::new(),
            parameter: "ExpressionAttributeNames",
        }
    }
}

impl<'a> PlaceholderMap<'a, AttributeValue> {
    pub fn new(values: &'a HashMap<String, AttributeValue>) -> Self {
        PlaceholderMap {
            map: values,
            used: BTreeSet::new(),
            parameter: "ExpressionAttributeValues",
        }
    }
}

impl<'a, T> PlaceholderMap<'a, T> {
    fn resolve(&mut self, placeholder: &str) -> Option<&'a T> {
        let (key, value) = self.map.get_key_value(placeholder)?;
        self.used.insert(key.as_str());
        Some(value)
    }

    /// DynamoDB's error for placeholders given but used by no expression.
    pub fn check_all_used(&self) -> Result<(), Error> {
        let mut unused: Vec<&str> = self
            .map
            .keys()
            .map(String::as_str)
            .filter(|key| !self.used.contains(key))
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        unused.sort_unstable();
        Err(Error::validation(format!(
            "Value provided in {} unused in expressions: keys: {{{}}}",
            self.parameter,
            unused.join(", ")
        )))
    }
}

/// The placeholders of one request, shared by all its expressions.
pub struct Placeholders<'a> {
    pub names: ExpressionNames<'a>,
    pub values: ExpressionValues<'a>,
}

impl<'a> Placeholders<'a> {
    pub fn new(names: &'a HashMap<String, String>, values: &'a HashMap<String, AttributeValue>) -> Self {
        Placeholders {
            names: ExpressionNames::new(names),
            values: ExpressionValues::new(values),
        }
    }

    /// After every expression of the request is parsed.
    pub fn check_all_used(&self) -> Result<(), Error> {
        self.names.check_all_used()?;
        self.values.check_all_used()
    }
}

/// Checks the limits every expression shares, naming the parameter.
fn check_length(expression: &str, parameter: &str) -> Result<(), Error> {
    if expression.len() > MAX_EXPRESSION_BYTES {
        return Err(Error::validation(format!(
            "Invalid {parameter}: Expression size has exceeded the maximum allowed size; expression size: {}",
            expression.len()
        )));
    }
    if expression.trim().is_empty() {
        return Err(Error::validation(format!(
            "Invalid {parameter}: The expression can not be empty;"
        )));
    }
    Ok(())
}
