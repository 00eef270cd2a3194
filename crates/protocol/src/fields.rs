//! Typed access to the members of a JSON request object. A member of the
//! wrong JSON type is a SerializationException, as in DynamoDB; a JSON
//! `null` counts as absent.

use serde_json::{Map, Value};

use crate::error::ProtocolError;

/// How DynamoDB names a JSON token in its serialization errors.
fn token_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NULL_VALUE",
        Value::Bool(true) => "TRUE_VALUE",
        Value::Bool(false) => "FALSE_VALUE",
        Value::Number(n) if n.is_f64() => "NUMBER_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

pub(crate) fn wrong_type(value: &Value, expected: &str) -> ProtocolError {
    ProtocolError::Serialization(match value {
        Value::Object(_) => "Start of structure or map found where not expected.".to_string(),
        Value::Array(_) => "Start of list found where not expected".to_string(),
        other => format!("{} cannot be converted to {expected}", token_name(other)),
    })
}

#[derive(Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Fields { map }
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    pub fn string(&self, name: &str) -> Result<Option<&'a str>, ProtocolError> {
        self.get(name).map(as_string).transpose()
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ProtocolError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(wrong_type(other, "Boolean")),
        }
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, ProtocolError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ProtocolError::Serialization(format!("Number {n} is not a valid Long"))),
            Some(other) => Err(wrong_type(other, "Long")),
        }
    }

    /// A timestamp: seconds since the epoch, as the JSON 1.0 protocol
    /// sends them (a number, possibly with a fraction).
    pub fn timestamp(&self, name: &str) -> Result<Option<f64>, ProtocolError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(wrong_type(other, "Timestamp")),
        }
    }

    pub fn object(&self, name: &str) -> Result<Option<Fields<'a>>, ProtocolError> {
        self.get(name).map(as_object).transpose()
    }

    pub fn list(&self, name: &str) -> Result<Option<&'a Vec<Value>>, ProtocolError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(list)) => Ok(Some(list)),
            Some(other) => Err(ProtocolError::Serialization(format!(
                "Unexpected token {} where a list was expected",
                token_name(other)
            ))),
        }
    }

    /// A JSON object used as a map (e.g. `Item`, `ExpressionAttributeNames`).
    pub fn map(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, ProtocolError> {
        self.get(name).map(|value| as_object(value).map(|f| f.map)).transpose()
    }

    /// A list of strings.
    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, ProtocolError> {
        self.list(name)?
            .map(|list| list.iter().map(|v| as_string(v).map(str::to_string)).collect())
            .transpose()
    }

    /// A map of string to string (ExpressionAttributeNames).
    pub fn string_map(&self, name: &str) -> Result<Option<std::collections::HashMap<String, String>>, ProtocolError> {
        self.map(name)?
            .map(|map| {
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), as_string(v)?.to_string())))
                    .collect()
            })
            .transpose()
    }
}

pub fn as_string(value: &Value) -> Result<&str, ProtocolError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(wrong_type(other, "String")),
    }
}

pub fn as_object(value: &Value) -> Result<Fields<'_>, ProtocolError> {
    match value {
        Value::Object(map) => Ok(Fields { map }),
        other => Err(ProtocolError::Serialization(format!(
            "Unexpected token {} where a structure or map was expected",
            token_name(other)
        ))),
    }
}
