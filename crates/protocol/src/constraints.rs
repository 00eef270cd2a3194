//! DynamoDB's request-level validation ("1 validation error detected: Value
//! 'ab' at 'tableName' failed to satisfy constraint: ..."). Violations are
//! collected across a request and reported together, as DynamoDB does.

use std::fmt;

use serde_json::{Map, Value};

#[derive(Debug, Default)]
pub struct ConstraintViolations(Vec<String>);

fn table_name_pattern(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// How a value is quoted in the message: `'text'` or `null`.
fn shown(value: Option<&str>) -> String {
    match value {
        Some(text) => format!("'{text}'"),
        None => "null".into(),
    }
}

impl ConstraintViolations {
    pub fn add(&mut self, value: Option<&str>, path: &str, constraint: &str) {
        self.0.push(format!(
            "Value {} at '{path}' failed to satisfy constraint: Member must {constraint}",
            shown(value)
        ));
    }

    pub fn required<T>(&mut self, value: Option<&T>, path: &str) {
        if value.is_none() {
            self.add(None, path, "not be null");
        }
    }

    /// Table (and index) names: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
    pub fn table_name(&mut self, name: Option<&str>, path: &str) {
        let Some(name) = name else {
            return self.required::<&str>(None, path);
        };
        if !table_name_pattern(name) {
            self.add(Some(name), path, "satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
        }
        let length = name.chars().count();
        if length < 3 {
            self.add(Some(name), path, "have length greater than or equal to 3");
        }
        if length > 255 {
            self.add(Some(name), path, "have length less than or equal to 255");
        }
    }

    /// A map keyed by table names (BatchGetItem's RequestItems): DynamoDB
    /// reports bad keys once for the whole map, echoing it, with every
    /// constraint of a key.
    pub fn table_name_keys(&mut self, map: &Map<String, Value>, path: &str) {
        let valid = |name: &str| {
            if halyard_engine::is_arn(name) {
                name.chars().count() <= halyard_engine::MAX_TABLE_ARN_LENGTH
            } else {
                table_name_pattern(name) && (3..=255).contains(&name.chars().count())
            }
        };
        if !map.keys().all(|name| valid(name)) {
            self.0.push(format!(
                "Value '{}' at '{path}' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]",
                Value::Object(map.clone())
            ));
        }
    }

    /// The TableName of an operation on a table: a table name, or a table
    /// ARN of at most 1024 characters (checked further when resolved).
    pub fn table_name_or_arn(&mut self, name: Option<&str>, path: &str) {
        match name {
            Some(arn) if halyard_engine::is_arn(arn) => {
                if arn.chars().count() > halyard_engine::MAX_TABLE_ARN_LENGTH {
                    let constraint = format!(
                        "have length less than or equal to {}",
                        halyard_engine::MAX_TABLE_ARN_LENGTH
                    );
                    self.add(Some(arn), path, &constraint);
                }
            }
            _ => self.table_name(name, path),
        }
    }

    pub fn range(&mut self, value: Option<i64>, path: &str, min: i64, max: Option<i64>) {
        let Some(value) = value else { return };
        let text = value.to_string();
        if value < min {
            self.add(Some(&text), path, &format!("have value greater than or equal to {min}"));
        }
        if let Some(max) = max.filter(|&max| value > max) {
            self.add(Some(&text), path, &format!("have value less than or equal to {max}"));
        }
    }

    /// Checks an enum member; returns the matching variant if it is valid.
    pub fn one_of<T: Copy>(&mut self, value: Option<&str>, path: &str, allowed: &[(&str, T)]) -> Option<T> {
        let value = value?;
        match allowed.iter().find(|(name, _)| *name == value) {
            Some((_, variant)) => Some(*variant),
            None => {
                let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
                self.add(
                    Some(value),
                    path,
                    &format!("satisfy enum value set: [{}]", names.join(", ")),
                );
                None
            }
        }
    }

    pub fn length(&mut self, value: &str, path: &str, min: usize, max: usize) {
        let length = value.chars().count();
        if length < min {
            self.add(
                Some(value),
                path,
                &format!("have length greater than or equal to {min}"),
            );
        }
        if length > max {
            self.add(Some(value), path, &format!("have length less than or equal to {max}"));
        }
    }

    pub fn into_result(self) -> Result<(), ConstraintViolations> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ConstraintViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        let noun = if count == 1 { "error" } else { "errors" };
        write!(f, "{count} validation {noun} detected: {}", self.0.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_dynamodb() {
        let mut violations = ConstraintViolations::default();
        violations.table_name(Some("ab"), "tableName");
        assert_eq!(
            violations.to_string(),
            "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
        );
        let mut violations = ConstraintViolations::default();
        violations.table_name(Some("a!"), "tableName");
        assert!(violations.to_string().starts_with("2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a!'"));
    }
}
