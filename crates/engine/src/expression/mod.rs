//! DynamoDB's expression language: document paths, ProjectionExpression,
//! conditions (ConditionExpression, FilterExpression,
//! KeyConditionExpression) and UpdateExpression, plus the legacy
//! parameters that predate expressions.

pub mod condition;
pub mod key_condition;
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

/// `ExpressionAttributeNames` and `ExpressionAttributeValues` of one request,
/// tracking which of them its expressions used so that unused ones can be
/// reported as DynamoDB does.
pub struct ExpressionNames<'a> {
    names: &'a HashMap<String, String>,
    used: BTreeSet<&'a str>,
}

impl<'a> ExpressionNames<'a> {
    pub fn new(names: &'a HashMap<String, String>) -> Self {
        ExpressionNames {
            names,
            used: BTreeSet::new(),
        }
    }

    fn resolve(&mut self, placeholder: &str) -> Option<&'a str> {
        let (key, value) = self.names.get_key_value(placeholder)?;
        self.used.insert(key.as_str());
        Some(value.as_str())
    }

    /// DynamoDB's error for names given but not used by any expression.
    pub fn check_all_used(&self) -> Result<(), Error> {
        check_all_used(self.names.keys(), &self.used, "ExpressionAttributeNames")
    }
}

pub struct ExpressionValues<'a> {
    values: &'a HashMap<String, AttributeValue>,
    used: BTreeSet<&'a str>,
}

impl<'a> ExpressionValues<'a> {
    pub fn new(values: &'a HashMap<String, AttributeValue>) -> Self {
        ExpressionValues {
            values,
            used: BTreeSet::new(),
        }
    }

    fn resolve(&mut self, placeholder: &str) -> Option<&'a AttributeValue> {
        let (key, value) = self.values.get_key_value(placeholder)?;
        self.used.insert(key.as_str());
        Some(value)
    }

    pub fn check_all_used(&self) -> Result<(), Error> {
        check_all_used(self.values.keys(), &self.used, "ExpressionAttributeValues")
    }
}

fn check_all_used<'k>(
    keys: impl Iterator<Item = &'k String>,
    used: &BTreeSet<&str>,
    parameter: &str,
) -> Result<(), Error> {
    let mut unused: Vec<&str> = keys.map(String::as_str).filter(|key| !used.contains(key)).collect();
    if unused.is_empty() {
        return Ok(());
    }
    unused.sort_unstable();
    Err(Error::validation(format!(
        "Value provided in {parameter} unused in expressions: keys: {{{}}}",
        unused.join(", ")
    )))
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
