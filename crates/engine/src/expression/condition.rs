//! Conditions: ConditionExpression, FilterExpression, and the legacy
//! Expected / QueryFilter / ScanFilter once translated.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::path::DocumentPath;
use super::value::{begins_with, compare, contains, equal, size};
use super::{check_length, parser, Placeholders};
use crate::error::Error;
use crate::model::{AttributeValue, Item};

/// A value in a condition: a path into the item, a literal value, or
/// `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(DocumentPath),
    Value(AttributeValue),
    Size(DocumentPath),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparator {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Equal => "=",
            Comparator::NotEqual => "<>",
            Comparator::Less => "<",
            Comparator::LessOrEqual => "<=",
            Comparator::Greater => ">",
            Comparator::GreaterOrEqual => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare(Operand, Comparator, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    AttributeExists(DocumentPath),
    AttributeNotExists(DocumentPath),
    AttributeType(DocumentPath, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
}

impl Operand {
    /// The operand's value in `item`; `None` when a path does not resolve.
    pub fn evaluate<'i>(&'i self, item: &'i Item) -> Option<Cow<'i, AttributeValue>> {
        match self {
            Operand::Path(path) => path.resolve(item).map(Cow::Borrowed),
            Operand::Value(value) => Some(Cow::Borrowed(value)),
            Operand::Size(path) => path
                .resolve(item)
                .and_then(size)
                .map(|n| Cow::Owned(AttributeValue::N(n))),
        }
    }
}

impl Condition {
    /// Parses a ConditionExpression or FilterExpression (`parameter` names
    /// it in error messages).
    pub fn parse(expression: &str, parameter: &str, placeholders: &mut Placeholders<'_>) -> Result<Condition, Error> {
        check_length(expression, parameter)?;
        parser::parse_condition(expression, placeholders)
            .map_err(|message| Error::validation(format!("Invalid {parameter}: {message}")))
    }

    /// The top-level attribute names the condition reads.
    pub fn top_level_attributes(&self) -> Vec<&str> {
        self.paths()
            .into_iter()
            .filter_map(|path| match path.0.first() {
                Some(crate::expression::path::PathElement::Attribute(name)) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The document paths the condition reads, in the order written.
    pub fn paths(&self) -> Vec<&DocumentPath> {
        fn of_operand<'c>(operand: &'c Operand, out: &mut Vec<&'c DocumentPath>) {
            match operand {
                Operand::Path(path) | Operand::Size(path) => out.push(path),
                Operand::Value(_) => {}
            }
        }
        fn walk<'c>(condition: &'c Condition, out: &mut Vec<&'c DocumentPath>) {
            match condition {
                Condition::Compare(a, _, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
                    of_operand(a, out);
                    of_operand(b, out);
                }
                Condition::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| of_operand(o, out)),
                Condition::In(a, list) => std::iter::once(a).chain(list).for_each(|o| of_operand(o, out)),
                Condition::AttributeExists(path) | Condition::AttributeNotExists(path) => out.push(path),
                Condition::AttributeType(path, operand) => {
                    out.push(path);
                    of_operand(operand, out);
                }
                Condition::And(a, b) | Condition::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Condition::Not(a) => walk(a, out),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    pub fn evaluate(&self, item: &Item) -> bool {
        match self {
            Condition::Compare(left, comparator, right) => {
                let (Some(left), Some(right)) = (left.evaluate(item), right.evaluate(item)) else {
                    // A missing operand equals nothing, so it differs from everything.
                    return *comparator == Comparator::NotEqual;
                };
                match comparator {
                    Comparator::Equal => equal(&left, &right),
                    Comparator::NotEqual => !equal(&left, &right),
                    ordering => compare(&left, &right).is_some_and(|order| match ordering {
                        Comparator::Less => order == Ordering::Less,
                        Comparator::LessOrEqual => order != Ordering::Greater,
                        Comparator::Greater => order == Ordering::Greater,
                        _ => order != Ordering::Less,
                    }),
                }
            }
            Condition::Between(value, low, high) => {
                let (Some(value), Some(low), Some(high)) =
                    (value.evaluate(item), low.evaluate(item), high.evaluate(item))
                else {
                    return false;
                };
                compare(&value, &low).is_some_and(|o| o != Ordering::Less)
                    && compare(&value, &high).is_some_and(|o| o != Ordering::Greater)
            }
            Condition::In(value, candidates) => {
                let Some(value) = value.evaluate(item) else {
                    return false;
                };
                candidates
                    .iter()
                    .any(|candidate| candidate.evaluate(item).is_some_and(|c| equal(&value, &c)))
            }
            Condition::AttributeExists(path) => path.resolve(item).is_some(),
            Condition::AttributeNotExists(path) => path.resolve(item).is_none(),
            Condition::AttributeType(path, type_name) => {
                match (path.resolve(item), type_name.evaluate(item).as_deref()) {
                    (Some(value), Some(AttributeValue::S(name))) => value.type_name() == name,
                    _ => false,
                }
            }
            Condition::BeginsWith(value, prefix) => match (value.evaluate(item), prefix.evaluate(item)) {
                (Some(value), Some(prefix)) => begins_with(&value, &prefix),
                _ => false,
            },
            Condition::Contains(haystack, needle) => match (haystack.evaluate(item), needle.evaluate(item)) {
                (Some(haystack), Some(needle)) => contains(&haystack, &needle),
                _ => false,
            },
            Condition::And(a, b) => a.evaluate(item) && b.evaluate(item),
            Condition::Or(a, b) => a.evaluate(item) || b.evaluate(item),
            Condition::Not(a) => !a.evaluate(item),
        }
    }
}
