//! KeyConditionExpression: checked against a key schema, and turned into
//! the storage key range a Query reads.

use std::ops::Bound;

use halyard_storage::keycodec::{self, KeyValue};

use super::condition::{Comparator, Condition, Operand};
use super::path::{DocumentPath, PathElement};
use super::{check_length, parser, Placeholders};
use crate::error::Error;
use crate::model::{AttributeValue, IndexKey, KeyAttribute};

/// The condition on the sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    Compare(Comparator, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A validated key condition: one partition (a value for each partition
/// attribute), optionally narrowed by equalities on the first sort
/// attributes and then one condition on the next.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    pub partition: Vec<AttributeValue>,
    pub sort_prefix: Vec<AttributeValue>,
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

/// Matches the terms to a key schema: an equality on every partition
/// attribute; on the sort attributes, equalities on a leading run of them
/// and then at most one other condition, on the next one (one sort
/// attribute, for a table or a single-attribute index: at most one
/// condition on it).
pub fn resolve(terms: Vec<KeyTerm>, key: &IndexKey) -> Result<KeyCondition, Error> {
    let mut partition: Vec<Option<SortKeyCondition>> = vec![None; key.partition.len()];
    let mut sort: Vec<Option<SortKeyCondition>> = vec![None; key.sort.len()];
    for term in terms {
        let slot = if let Some(position) = key.partition.iter().position(|k| k.name == term.attribute) {
            &mut partition[position]
        } else if let Some(position) = key.sort.iter().position(|k| k.name == term.attribute) {
            &mut sort[position]
        } else {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {}",
                missing_element(key, &partition, &sort)
            )));
        };
        if slot.is_some() {
            return Err(Error::validation(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        }
        *slot = Some(term.condition);
    }
    let multi_partition = key.partition.len() > 1;
    let mut partition_values = Vec::with_capacity(partition.len());
    for (attribute, condition) in key.partition.iter().zip(partition) {
        let value = match condition {
            Some(SortKeyCondition::Compare(Comparator::Equal, value)) => value,
            _ if multi_partition => return Err(multi_attribute_partition(&attribute.name)),
            Some(_) => return Err(Error::validation("Query key condition not supported")),
            None => {
                return Err(Error::validation(format!(
                    "Query condition missed key schema element: {}",
                    attribute.name
                )))
            }
        };
        check_type(attribute, &value)?;
        partition_values.push(value);
    }
    // Sort conditions: a leading run of them, all equalities but the last.
    let used = sort.iter().rposition(Option::is_some).map_or(0, |last| last + 1);
    let mut sort_prefix = Vec::with_capacity(used);
    let mut last = None;
    for (position, (attribute, condition)) in key.sort.iter().zip(sort).take(used).enumerate() {
        let Some(condition) = condition else {
            return Err(multi_attribute_sort("missing", &attribute.name));
        };
        check_sort_operands(attribute, &condition)?;
        match condition {
            SortKeyCondition::Compare(Comparator::Equal, value) if position + 1 < used => sort_prefix.push(value),
            _ if position + 1 < used => return Err(multi_attribute_sort("not an equality", &attribute.name)),
            other => last = Some(other),
        }
    }
    Ok(KeyCondition {
        partition: partition_values,
        sort_prefix,
        sort: last,
    })
}

/// A multi-attribute partition key needs an equality on each attribute.
fn multi_attribute_partition(name: &str) -> Error {
    Error::validation(format!(
        "Query key condition not supported: every HASH key attribute of a multi-attribute key must have an equality condition; missing or not an equality: {name}"
    ))
}

/// Multi-attribute sort keys are used left to right.
fn multi_attribute_sort(problem: &str, name: &str) -> Error {
    Error::validation(format!(
        "Query key condition not supported: RANGE key attributes must be used left to right, each before the last one used with an equality condition; {problem}: {name}"
    ))
}

fn check_sort_operands(attribute: &KeyAttribute, condition: &SortKeyCondition) -> Result<(), Error> {
    match condition {
        SortKeyCondition::Compare(_, value) => check_type(attribute, value),
        SortKeyCondition::Between(low, high) => {
            check_type(attribute, low)?;
            check_type(attribute, high)
        }
        SortKeyCondition::BeginsWith(prefix) => {
            check_type(attribute, prefix)?;
            if matches!(prefix, AttributeValue::N(_)) {
                return Err(invalid(
                    "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                ));
            }
            Ok(())
        }
    }
}

/// The key attribute an unknown term is reported against: the first
/// partition attribute without a condition, else the first sort one.
fn missing_element<'k>(
    key: &'k IndexKey,
    partition: &[Option<SortKeyCondition>],
    sort: &[Option<SortKeyCondition>],
) -> &'k str {
    let first_missing = |attributes: &'k [KeyAttribute], conditions: &[Option<SortKeyCondition>]| {
        attributes
            .iter()
            .zip(conditions)
            .find(|(_, condition)| condition.is_none())
            .map(|(attribute, _)| attribute.name.as_str())
    };
    first_missing(&key.partition, partition)
        .or_else(|| first_missing(&key.sort, sort))
        .or_else(|| key.sort.last().map(|attribute| attribute.name.as_str()))
        .unwrap_or(&key.partition[0].name)
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
    /// continue past the sort key (index entries end with the table key,
    /// and a condition may leave later sort attributes free), so a sort key
    /// value stands for every key that starts with it.
    pub fn storage_range(&self) -> OwnedRange {
        // The partition values and the sort equalities fix a prefix of
        // the key; the last condition ranges over what follows it.
        let mut partition = Vec::new();
        for value in self.partition.iter().chain(&self.sort_prefix) {
            keycodec::encode(key_value(value), &mut partition);
        }
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
