//! DynamoDB's expression language. So far: document paths and
//! ProjectionExpression; conditions and updates build on the same parts.

pub mod path;
pub mod projection;
mod reserved;

use std::collections::{BTreeSet, HashMap};

use crate::error::Error;

/// `ExpressionAttributeNames`, tracking which names an expression used so
/// that unused ones can be reported as DynamoDB does.
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
        let mut unused: Vec<&str> = self
            .names
            .keys()
            .map(String::as_str)
            .filter(|name| !self.used.contains(name))
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        unused.sort_unstable();
        Err(Error::validation(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
            unused.join(", ")
        )))
    }
}
