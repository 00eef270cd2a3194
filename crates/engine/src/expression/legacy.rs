//! The parameters that predate expressions — Expected, QueryFilter,
//! ScanFilter, KeyConditions, AttributeUpdates — translated into the same
//! conditions and updates that expressions produce.

use super::condition::{Comparator, Condition, Operand};
use super::key_condition::{KeyTerm, SortKeyCondition};
use super::path::{DocumentPath, PathElement};
use super::update::{SetOperand, SetValue, Update, UpdateAction};
use crate::error::Error;
use crate::model::AttributeValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

impl ComparisonOperator {
    pub const ALL: &'static [(&'static str, ComparisonOperator)] = &[
        ("EQ", ComparisonOperator::Eq),
        ("NE", ComparisonOperator::Ne),
        ("IN", ComparisonOperator::In),
        ("LE", ComparisonOperator::Le),
        ("LT", ComparisonOperator::Lt),
        ("GE", ComparisonOperator::Ge),
        ("GT", ComparisonOperator::Gt),
        ("BETWEEN", ComparisonOperator::Between),
        ("NOT_NULL", ComparisonOperator::NotNull),
        ("NULL", ComparisonOperator::Null),
        ("CONTAINS", ComparisonOperator::Contains),
        ("NOT_CONTAINS", ComparisonOperator::NotContains),
        ("BEGINS_WITH", ComparisonOperator::BeginsWith),
    ];

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(n, _)| *n)
            .expect("listed")
    }
}

/// One attribute's entry in Expected, QueryFilter, ScanFilter or KeyConditions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LegacyCondition {
    pub attribute: String,
    pub value: Option<AttributeValue>,
    pub exists: Option<bool>,
    pub operator: Option<ComparisonOperator>,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConditionalOperator {
    #[default]
    And,
    Or,
}

fn invalid(message: String) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

fn path(attribute: &str) -> DocumentPath {
    DocumentPath(vec![PathElement::Attribute(attribute.to_string())])
}

/// Checks the argument count and types DynamoDB requires of an operator.
fn arguments(condition: &LegacyCondition, operator: ComparisonOperator) -> Result<Vec<AttributeValue>, Error> {
    let expected = match operator {
        ComparisonOperator::NotNull | ComparisonOperator::Null => Some(0),
        ComparisonOperator::Between => Some(2),
        ComparisonOperator::In => None,
        _ => Some(1),
    };
    let count = condition.values.len();
    let valid = match expected {
        Some(n) => count == n,
        None => count >= 1,
    };
    if !valid {
        return Err(invalid(format!(
            "Invalid number of argument(s) for the {} ComparisonOperator",
            operator.name()
        )));
    }
    let scalar_only = !matches!(
        operator,
        ComparisonOperator::Eq | ComparisonOperator::Ne | ComparisonOperator::NotNull | ComparisonOperator::Null
    );
    for value in &condition.values {
        let scalar = matches!(
            value,
            AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_)
        );
        if scalar_only && !scalar {
            return Err(invalid(format!(
                "ComparisonOperator {} is not valid for {} AttributeValue type",
                operator.name(),
                value.type_name()
            )));
        }
    }
    Ok(condition.values.clone())
}

fn operator_condition(condition: &LegacyCondition, operator: ComparisonOperator) -> Result<Condition, Error> {
    let mut values = arguments(condition, operator)?.into_iter().map(Operand::Value);
    let attribute = || Operand::Path(path(&condition.attribute));
    let mut next = || values.next().expect("argument count checked");
    let compare = |comparator, value| Condition::Compare(attribute(), comparator, value);
    Ok(match operator {
        ComparisonOperator::Eq => compare(Comparator::Equal, next()),
        ComparisonOperator::Ne => compare(Comparator::NotEqual, next()),
        ComparisonOperator::Le => compare(Comparator::LessOrEqual, next()),
        ComparisonOperator::Lt => compare(Comparator::Less, next()),
        ComparisonOperator::Ge => compare(Comparator::GreaterOrEqual, next()),
        ComparisonOperator::Gt => compare(Comparator::Greater, next()),
        ComparisonOperator::NotNull => Condition::AttributeExists(path(&condition.attribute)),
        ComparisonOperator::Null => Condition::AttributeNotExists(path(&condition.attribute)),
        ComparisonOperator::Contains => Condition::Contains(attribute(), next()),
        ComparisonOperator::NotContains => Condition::And(
            Box::new(Condition::AttributeExists(path(&condition.attribute))),
            Box::new(Condition::Not(Box::new(Condition::Contains(attribute(), next())))),
        ),
        ComparisonOperator::BeginsWith => Condition::BeginsWith(attribute(), next()),
        ComparisonOperator::In => Condition::In(attribute(), values.collect()),
        ComparisonOperator::Between => {
            let low = next();
            let high = next();
            Condition::Between(attribute(), low, high)
        }
    })
}

/// One Expected entry: Value/Exists, or ComparisonOperator with
/// AttributeValueList.
fn expected_condition(condition: &LegacyCondition) -> Result<Condition, Error> {
    if let Some(operator) = condition.operator {
        if condition.value.is_some() {
            return Err(invalid(format!(
                "Value and AttributeValueList cannot be used together for Attribute: {}",
                condition.attribute
            )));
        }
        if condition.exists.is_some() {
            return Err(invalid(format!(
                "Exists and AttributeValueList cannot be used together for Attribute: {}",
                condition.attribute
            )));
        }
        return operator_condition(condition, operator);
    }
    match (&condition.value, condition.exists) {
        (Some(value), None | Some(true)) => Ok(Condition::Compare(
            Operand::Path(path(&condition.attribute)),
            Comparator::Equal,
            Operand::Value(value.clone()),
        )),
        (None, Some(false)) => Ok(Condition::AttributeNotExists(path(&condition.attribute))),
        (Some(_), Some(false)) => Err(invalid(format!(
            "Value cannot be used when Exists is false for Attribute: {}",
            condition.attribute
        ))),
        (None, _) => Err(invalid(format!(
            "Value must be provided when Exists is true for Attribute: {}",
            condition.attribute
        ))),
    }
}

/// ConditionalOperator needs two or more conditions to combine.
pub fn check_conditional_operator(count: Option<usize>, given: bool) -> Result<(), Error> {
    match (given, count) {
        (true, None) => Err(Error::validation(
            "ConditionalOperator cannot be used without Filter or Expected",
        )),
        (true, Some(n)) if n < 2 => Err(Error::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        )),
        _ => Ok(()),
    }
}

fn combine(conditions: Vec<Condition>, operator: ConditionalOperator) -> Option<Condition> {
    conditions.into_iter().reduce(|a, b| match operator {
        ConditionalOperator::And => Condition::And(Box::new(a), Box::new(b)),
        ConditionalOperator::Or => Condition::Or(Box::new(a), Box::new(b)),
    })
}

/// The Expected parameter as a condition.
pub fn expected(entries: &[LegacyCondition], operator: ConditionalOperator) -> Result<Option<Condition>, Error> {
    let conditions = entries.iter().map(expected_condition).collect::<Result<Vec<_>, _>>()?;
    Ok(combine(conditions, operator))
}

/// QueryFilter or ScanFilter as a condition (each entry needs a
/// ComparisonOperator).
pub fn filter(entries: &[LegacyCondition], operator: ConditionalOperator) -> Result<Option<Condition>, Error> {
    let conditions = entries
        .iter()
        .map(|entry| {
            let operator = entry.operator.ok_or_else(|| {
                Error::validation(format!(
                    "One or more parameter values were invalid: ComparisonOperator is required for Attribute: {}",
                    entry.attribute
                ))
            })?;
            operator_condition(entry, operator)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(combine(conditions, operator))
}

/// KeyConditions as key terms.
pub fn key_conditions(entries: &[LegacyCondition]) -> Result<Vec<KeyTerm>, Error> {
    entries
        .iter()
        .map(|entry| {
            let operator = entry.operator.ok_or_else(|| {
                Error::validation(
                    "One or more parameter values were invalid: ComparisonOperator is required".to_string(),
                )
            })?;
            let mut values = arguments(entry, operator)?.into_iter();
            let condition = match operator {
                ComparisonOperator::Eq => SortKeyCondition::Compare(Comparator::Equal, values.next().expect("checked")),
                ComparisonOperator::Le => {
                    SortKeyCondition::Compare(Comparator::LessOrEqual, values.next().expect("checked"))
                }
                ComparisonOperator::Lt => SortKeyCondition::Compare(Comparator::Less, values.next().expect("checked")),
                ComparisonOperator::Ge => {
                    SortKeyCondition::Compare(Comparator::GreaterOrEqual, values.next().expect("checked"))
                }
                ComparisonOperator::Gt => {
                    SortKeyCondition::Compare(Comparator::Greater, values.next().expect("checked"))
                }
                ComparisonOperator::BeginsWith => SortKeyCondition::BeginsWith(values.next().expect("checked")),
                ComparisonOperator::Between => {
                    let low = values.next().expect("checked");
                    SortKeyCondition::Between(low, values.next().expect("checked"))
                }
                _ => {
                    return Err(Error::validation(
                        "Attempted conditional constraint is not an indexable operation",
                    ))
                }
            };
            Ok(KeyTerm {
                attribute: entry.attribute.clone(),
                condition,
            })
        })
        .collect()
}

/// One AttributeUpdates entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeUpdate {
    pub attribute: String,
    pub action: AttributeAction,
    pub value: Option<AttributeValue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttributeAction {
    #[default]
    Put,
    Add,
    Delete,
}

/// AttributeUpdates as an update.
pub fn attribute_updates(entries: &[AttributeUpdate]) -> Result<Update, Error> {
    let actions = entries
        .iter()
        .map(|entry| {
            let target = path(&entry.attribute);
            Ok(match (entry.action, &entry.value) {
                (AttributeAction::Put, Some(value)) => {
                    UpdateAction::Set(target, SetValue::Operand(SetOperand::Value(value.clone())))
                }
                (AttributeAction::Put, None) | (AttributeAction::Add, None) => {
                    return Err(invalid(
                        "Only DELETE action is allowed when no attribute value is specified".into(),
                    ))
                }
                (AttributeAction::Delete, None) => UpdateAction::Remove(target),
                (AttributeAction::Delete, Some(value)) => match value {
                    AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
                        UpdateAction::Delete(target, value.clone())
                    }
                    _ => {
                        // DynamoDB names the value's type as its Java enum does.
                        let type_name = match value {
                            AttributeValue::S(_) => "STRING",
                            AttributeValue::N(_) => "NUMBER",
                            AttributeValue::B(_) => "BINARY",
                            AttributeValue::Bool(_) => "BOOLEAN",
                            AttributeValue::Null => "NULL",
                            AttributeValue::M(_) => "MAP",
                            _ => "LIST",
                        };
                        return Err(invalid(format!(
                            "DELETE action with value is not supported for the type {type_name}"
                        )));
                    }
                },
                (AttributeAction::Add, Some(value)) => match value {
                    AttributeValue::N(_) | AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => {
                        UpdateAction::Add(target, value.clone())
                    }
                    AttributeValue::L(_) => UpdateAction::Set(
                        target.clone(),
                        SetValue::Operand(SetOperand::ListAppend(
                            Box::new(SetOperand::IfNotExists(
                                target,
                                Box::new(SetOperand::Value(AttributeValue::L(Vec::new()))),
                            )),
                            Box::new(SetOperand::Value(value.clone())),
                        )),
                    ),
                    _ => {
                        return Err(invalid(format!(
                            "ADD action is not supported for the type of attribute: {}",
                            entry.attribute
                        )))
                    }
                },
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Update {
        actions,
        from_attribute_updates: true,
    })
}
