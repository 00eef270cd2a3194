//! A KMS request's JSON body, read member by member with the checks the
//! service model declares and KMS's texts for what fails them.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::error::{constraint, KmsError};
use crate::key_store::Tag;

pub struct Request {
    members: Map<String, Value>,
}

/// The wire name of a member in validation messages: lower camel case.
fn wire_name(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn wrong_type(member: &str) -> KmsError {
    KmsError::Serialization(format!("Unexpected value type for member {member}"))
}

impl Request {
    pub fn parse(body: &[u8]) -> Result<Request, KmsError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            body
        };
        match serde_json::from_slice(body) {
            Ok(Value::Object(members)) => Ok(Request { members }),
            _ => Err(KmsError::Serialization(
                "Start of structure or map found where not expected".into(),
            )),
        }
    }

    fn value(&self, member: &str) -> Option<&Value> {
        self.members.get(member).filter(|v| !v.is_null())
    }

    /// Whether `member` is present (and not null).
    pub fn has(&self, member: &str) -> bool {
        self.value(member).is_some()
    }

    pub fn string(&self, member: &str) -> Result<Option<&str>, KmsError> {
        match self.value(member) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(member)),
        }
    }

    /// A string member of `min..=max` characters, if present.
    pub fn bounded_string(&self, member: &str, min: usize, max: usize) -> Result<Option<&str>, KmsError> {
        let Some(value) = self.string(member)? else {
            return Ok(None);
        };
        let len = value.chars().count();
        if len < min {
            return Err(constraint(
                value,
                &wire_name(member),
                &format!("Member must have length greater than or equal to {min}"),
            ));
        }
        if len > max {
            return Err(constraint(
                value,
                &wire_name(member),
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
        Ok(Some(value))
    }

    /// A required string member.
    pub fn required_string(&self, member: &str, max: usize) -> Result<&str, KmsError> {
        self.bounded_string(member, 1, max)?
            .ok_or_else(|| constraint("null", &wire_name(member), "Member must not be null"))
    }

    /// A key identifier member (key id, key ARN, alias name or alias ARN).
    pub fn key_id(&self, member: &str) -> Result<&str, KmsError> {
        self.required_string(member, 2048)
    }

    pub fn bool(&self, member: &str) -> Result<Option<bool>, KmsError> {
        match self.value(member) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(member)),
        }
    }

    /// An integer member within `min..=max`, if present.
    pub fn integer(&self, member: &str, min: i64, max: i64) -> Result<Option<i64>, KmsError> {
        let Some(value) = self.value(member) else {
            return Ok(None);
        };
        let number = value.as_i64().ok_or_else(|| wrong_type(member))?;
        if number < min {
            return Err(constraint(
                number,
                &wire_name(member),
                &format!("Member must have value greater than or equal to {min}"),
            ));
        }
        if number > max {
            return Err(constraint(
                number,
                &wire_name(member),
                &format!("Member must have value less than or equal to {max}"),
            ));
        }
        Ok(Some(number))
    }

    /// A blob member (base64 on the wire) of `1..=max` bytes, if present.
    pub fn blob(&self, member: &str, max: usize) -> Result<Option<Vec<u8>>, KmsError> {
        let Some(text) = self.string(member)? else {
            return Ok(None);
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| KmsError::Serialization(format!("Base64 encoded value of member {member} is invalid")))?;
        let wire = wire_name(member);
        if bytes.is_empty() {
            return Err(constraint(
                "java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]",
                &wire,
                "Member must have length greater than or equal to 1",
            ));
        }
        if bytes.len() > max {
            let shown = format!("java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]", bytes.len());
            return Err(constraint(
                shown,
                &wire,
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
        Ok(Some(bytes))
    }

    pub fn required_blob(&self, member: &str, max: usize) -> Result<Vec<u8>, KmsError> {
        self.blob(member, max)?
            .ok_or_else(|| constraint("null", &wire_name(member), "Member must not be null"))
    }

    /// An encryption context: a map of strings to strings.
    pub fn encryption_context(&self, member: &str) -> Result<BTreeMap<String, String>, KmsError> {
        match self.value(member) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(v) => Ok((k.clone(), v.clone())),
                    _ => Err(wrong_type(member)),
                })
                .collect(),
            Some(_) => Err(wrong_type(member)),
        }
    }

    /// A list of strings, if present.
    pub fn strings(&self, member: &str) -> Result<Option<Vec<String>>, KmsError> {
        match self.value(member) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| wrong_type(member)))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(member)),
        }
    }

    /// A `Tags` list of `{TagKey, TagValue}`, checked as KMS checks tags.
    pub fn tags(&self, member: &str) -> Result<Option<Vec<Tag>>, KmsError> {
        let Some(value) = self.value(member) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(wrong_type(member));
        };
        let mut tags = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let Value::Object(fields) = item else {
                return Err(wrong_type(member));
            };
            let field = |name: &str| match fields.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(wrong_type(name)),
            };
            let at = |name: &str| format!("tags.{}.member.{name}", index + 1);
            let key = field("TagKey")?.ok_or_else(|| constraint("null", &at("tagKey"), "Member must not be null"))?;
            let value =
                field("TagValue")?.ok_or_else(|| constraint("null", &at("tagValue"), "Member must not be null"))?;
            let key_len = key.chars().count();
            if key_len == 0 {
                return Err(constraint(
                    &key,
                    &at("tagKey"),
                    "Member must have length greater than or equal to 1",
                ));
            }
            if key_len > 128 {
                return Err(constraint(
                    &key,
                    &at("tagKey"),
                    "Member must have length less than or equal to 128",
                ));
            }
            if value.chars().count() > 256 {
                return Err(constraint(
                    &value,
                    &at("tagValue"),
                    "Member must have length less than or equal to 256",
                ));
            }
            if key.starts_with("aws:") {
                return Err(KmsError::Tag("Tags beginning with aws: are reserved".into()));
            }
            tags.push(Tag { key, value });
        }
        Ok(Some(tags))
    }
}
