//! KeyConditionExpression: checked against a key schema, and turned into
//! the storage key range a Query reads.

use std::ops::Bound;

use halyard_storage::keycodec::{self, KeyValue};

use super::condition::{Comparator, Condition, Operand};
use super::path::{DocumentPath, PathElement};
use super::{check_length, parser, Placeholders};
use crate::error::Error;
use crate::model::{AttributeValue, KeyAttribute, PrimaryKey};

/// The condition on the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    Compare(Comparator, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A validated key condition: one partition, optionally narrowed by sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    pub partition: AttributeValue,
    pub sort: Option<SortKeyCondition>,
}

/// A condition on one key attribute, before it is matched to the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyTerm {
    pub attribute: String,
    pub condition: SortKeyCondition,
}

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::validation(format!("Invalid KeyConditionExpression: {message}"))
}

fn top_level_name(path: &DocumentPath) -> Result<String, Error> {
    match path.0.as_slice() {
        [PathElement::Attribute(name)] => Ok(name.clone()),
        [PathElement::Attribute(name), ..] => Err(Error::validation(format!(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {name}"
        ))),
        _ => Err(Error::validation("Key attributes must be scalars")),
    }
}

fn invalid_operator(operator: &str) -> Error {
    Error::validation(format!("Invalid operator used in KeyConditionExpression: {operator}"))
}

/// `:v < attribute` is `attribute > :v`.
fn flipped(comparator: Comparator) -> Comparator {
    match comparator {
        Comparator::Less => Comparator::Greater,
        Comparator::LessOrEqual => Comparator::GreaterOrEqual,
        Comparator::Greater => Comparator::Less,
        Comparator::GreaterOrEqual => Comparator::LessOrEqual,
        other => other,
    }
}

/// Parses a KeyConditionExpression into its terms: conditions joined by AND.
pub fn parse(expression: &str, placeholders: &mut Placeholders<'_>) -> Result<Vec<KeyTerm>, Error> {
    check_length(expression, "KeyConditionExpression")?;
    let condition = parser::parse_condition(expression, placeholders).map_err(invalid)?;
    let mut terms = Vec::new();
    collect_terms(condition, &mut terms)?;
    Ok(terms)
}

fn collect_terms(condition: Condition, terms: &mut Vec<KeyTerm>) -> Result<(), Error> {
    let nested = || Error::validation("KeyConditionExpressions cannot contain nested operations");
    let value_of = |operand: Operand| match operand {
        Operand::Value(value) => Ok(value),
        Operand::Size(_) => Err(nested()),
        Operand::Path(_) => Err(invalid("Key conditions must compare a key attribute with a value")),
    };
    let term = |path: &DocumentPath, condition| -> Result<KeyTerm, Error> {
        Ok(KeyTerm {
            attribute: top_level_name(path)?,
            condition,
        })
    };
    match condition {
        Condition::And(a, b) => {
            collect_terms(*a, terms)?;
            collect_terms(*b, terms)?;
        }
        Condition::Compare(_, Comparator::NotEqual, _) => return Err(invalid_operator("<>")),
        Condition::Compare(Operand::Path(path), comparator, value) => {
            terms.push(term(&path, SortKeyCondition::Compare(comparator, value_of(value)?))?)
        }
        Condition::Compare(value, comparator, Operand::Path(path)) => terms.push(term(
            &path,
            SortKeyCondition::Compare(flipped(comparator), value_of(value)?),
        )?),
        Condition::Between(Operand::Path(path), low, high) => {
            terms.push(term(&path, SortKeyCondition::Between(value_of(low)?, value_of(high)?))?)
        }
        Condition::BeginsWith(Operand::Path(path), prefix) => {
            terms.push(term(&path, SortKeyCondition::BeginsWith(value_of(prefix)?))?)
        }
        Condition::Or(..) => return Err(invalid_operator("OR")),
        Condition::Not(..) => return Err(invalid_operator("NOT")),
        Condition::In(..) => return Err(invalid_operator("IN")),
        Condition::AttributeExists(_) => return Err(invalid_operator("attribute_exists")),
        Condition::AttributeNotExists(_) => return Err(invalid_operator("attribute_not_exists")),
        Condition::AttributeType(..) => return Err(invalid_operator("attribute_type")),
        Condition::Contains(..) => return Err(invalid_operator("contains")),
        _ => return Err(nested()),
    }
    Ok(())
}

/// Matches the terms to a key schema: an equality on the partition key and
/// at most one condition on the sort key.
pub fn resolve(terms: Vec<KeyTerm>, key: &PrimaryKey) -> Result<KeyCondition, Error> {
    let mut partition = None;
    let mut sort = None;
    for term in terms {
        let slot = if term.attribute == key.partition.name {
            &mut partition
        } else if key.sort.as_ref().is_some_and(|s| s.name == term.attribute) {
            &mut sort
        } else {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {}",
                missing_element(key, partition.is_some())
            )));
        };
        if slot.is_some() {
            return Err(Error::validation(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        *slot = Some(term.condition);
    }
    let partition = match partition {
        Some(SortKeyCondition::Compare(Comparator::Equal, value)) => value,
        Some(_) => return Err(Error::validation("Query key condition not supported")),
        None => {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {}",
                key.partition.name
            )))
        }
    };
    check_type(&key.partition, &partition)?;
    if let (Some(condition), Some(sort_key)) = (&sort, &key.sort) {
        match condition {
            SortKeyCondition::Compare(_, value) => check_type(sort_key, value)?,
            SortKeyCondition::Between(low, high) => {
                check_type(sort_key, low)?;
                check_type(sort_key, high)?;
            }
            SortKeyCondition::BeginsWith(prefix) => {
                check_type(sort_key, prefix)?;
                if matches!(prefix, AttributeValue::N(_)) {
                    return Err(invalid(
                        "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                    ));
                }
            }
        }
    }
    Ok(KeyCondition { partition, sort })
}

fn missing_element(key: &PrimaryKey, has_partition: bool) -> &str {
    if has_partition {
        key.sort.as_ref().map_or(&key.partition.name, |s| &s.name)
    } else {
        &key.partition.name
    }
}

fn check_type(key: &KeyAttribute, value: &AttributeValue) -> Result<(), Error> {
    if key.scalar_type.matches(value) {
        Ok(())
    } else {
        Err(Error::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ))
    }
}

fn key_value(value: &AttributeValue) -> KeyValue<'_> {
    match value {
        AttributeValue::S(s) => KeyValue::S(s),
        AttributeValue::N(n) => KeyValue::N(n.parts()),
        AttributeValue::B(b) => KeyValue::B(b),
        _ => unreachable!("key values are checked against the schema"),
    }
}

/// The bound just above every key that starts with `prefix`.
fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    keycodec::prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded)
}

/// An exclusive end bound reused as the start of the keys above it.
fn as_start(end: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match end {
        Bound::Excluded(key) => Bound::Included(key),
        other => other,
    }
}

/// An owned range of storage keys.
pub type OwnedRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

impl KeyCondition {
    /// The storage keys of the items that satisfy the condition. Keys may
    /// continue past the sort key (index entries end with the table key),
    /// so a sort key value stands for every key that starts with it.
    pub fn storage_range(&self) -> OwnedRange {
        let mut partition = Vec::new();
        keycodec::encode(key_value(&self.partition), &mut partition);
        let with = |value: &AttributeValue| {
            let mut key = partition.clone();
            keycodec::encode(key_value(value), &mut key);
            key
        };
        let (start, end) = (Bound::Included(partition.clone()), prefix_end(&partition));
        match &self.sort {
            None => (start, end),
            Some(SortKeyCondition::Compare(comparator, value)) => {
                let key = with(value);
                match comparator {
                    Comparator::Equal => {
                        let after = prefix_end(&key);
                        (Bound::Included(key), after)
                    }
                    Comparator::Less => (start, Bound::Excluded(key)),
                    Comparator::LessOrEqual => (start, prefix_end(&key)),
                    Comparator::Greater => (as_start(prefix_end(&key)), end),
                    _ => (Bound::Included(key), end),
                }
            }
            Some(SortKeyCondition::Between(low, high)) => (Bound::Included(with(low)), prefix_end(&with(high))),
            Some(SortKeyCondition::BeginsWith(prefix)) => {
                let mut start = partition.clone();
                match prefix {
                    AttributeValue::S(s) => keycodec::encode_prefix(s.as_bytes(), &mut start),
                    AttributeValue::B(b) => keycodec::encode_prefix(b, &mut start),
                    _ => unreachable!("checked: begins_with takes S or B"),
                }
                let end = prefix_end(&start);
                (Bound::Included(start), end)
            }
        }
    }
}
