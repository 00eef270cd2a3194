//! What the item operations share: placeholders, conditions (expression or
//! legacy), the rule against mixing the two styles, and consumed capacity.

use std::collections::HashMap;

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::legacy::{self, ComparisonOperator, ConditionalOperator, LegacyCondition};
use halyard_engine::expression::Placeholders;
use halyard_engine::model::AttributeValue;
use halyard_engine::{ConsumedCapacity, Error as EngineError};
use serde_json::{json, Map, Value};

use crate::attribute_value::{value_from_json, VALUE_TOO_DEEP};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

/// Expression parameters and the legacy parameters they replace.
const EXPRESSION_MEMBERS: &[&str] = &[
    "ConditionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ProjectionExpression",
    "UpdateExpression",
];
const LEGACY_MEMBERS: &[&str] = &[
    "AttributeUpdates",
    "AttributesToGet",
    "ConditionalOperator",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
];

/// ExpressionAttributeNames and ExpressionAttributeValues of a request.
pub(super) struct RequestPlaceholders {
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl RequestPlaceholders {
    /// Reads the placeholders, and refuses what DynamoDB refuses before
    /// looking at any expression: mixed styles, empty maps, malformed keys,
    /// placeholders without expressions. `members` are the expression
    /// parameters the operation takes.
    pub fn parse(request: Fields<'_>, members: &[&str]) -> Result<RequestPlaceholders, ProtocolError> {
        let present = |members: &[&'static str]| -> Vec<&'static str> {
            members.iter().copied().filter(|m| request.get(m).is_some()).collect()
        };
        let (expressions, legacy) = (present(EXPRESSION_MEMBERS), present(LEGACY_MEMBERS));
        if !expressions.is_empty() && !legacy.is_empty() {
            return Err(EngineError::validation(format!(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                legacy.join(", "),
                expressions.join(", ")
            ))
            .into());
        }
        let names = request.string_map("ExpressionAttributeNames")?;
        // An operation whose only expression is a projection has no
        // ExpressionAttributeValues member (GetItem, BatchGetItem,
        // TransactGetItems): DynamoDB ignores it there, as any unknown member.
        let takes_values = members.iter().any(|member| *member != "ProjectionExpression");
        let raw_values = match takes_values {
            true => request.map("ExpressionAttributeValues")?,
            false => None,
        };
        for (given, parameter) in [
            (names.as_ref().map(HashMap::len), "ExpressionAttributeNames"),
            (raw_values.map(Map::len), "ExpressionAttributeValues"),
        ] {
            match given {
                Some(0) => return Err(EngineError::validation(format!("{parameter} must not be empty")).into()),
                Some(_) if expressions.is_empty() => {
                    // DynamoDB names the missing expressions for values only.
                    let suffix = match (parameter, members) {
                        ("ExpressionAttributeNames", _) | (_, []) => String::new(),
                        (_, [one]) => format!(": {one} is null"),
                        (_, [rest @ .., last]) => format!(": {} and {last} are null", rest.join(", ")),
                    };
                    return Err(EngineError::validation(format!(
                        "{parameter} can only be specified when using expressions{suffix}"
                    ))
                    .into());
                }
                _ => {}
            }
        }
        for (name, value) in names.iter().flatten() {
            check_placeholder_key(name, '#', "ExpressionAttributeNames")?;
            if value.is_empty() {
                return Err(EngineError::validation(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {name}"
                ))
                .into());
            }
        }
        for key in raw_values.into_iter().flat_map(Map::keys) {
            check_placeholder_key(key, ':', "ExpressionAttributeValues")?;
        }
        let mut values = HashMap::new();
        for (key, value) in raw_values.into_iter().flatten() {
            let value = value_from_json(value).map_err(|error| match error {
                // DynamoDB names no key for a value nested too deeply.
                ProtocolError::Engine(EngineError::Validation(message)) if message != VALUE_TOO_DEEP => {
                    EngineError::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {message} for key {key}"
                    ))
                    .into()
                }
                other => other,
            })?;
            values.insert(key.clone(), value);
        }
        Ok(RequestPlaceholders {
            names: names.unwrap_or_default(),
            values,
        })
    }

    pub fn tracker(&self) -> Placeholders<'_> {
        Placeholders::new(&self.names, &self.values)
    }
}

/// Placeholders are `#name` and `:value`: a sigil, then letters, digits, `_`.
fn check_placeholder_key(key: &str, sigil: char, parameter: &str) -> Result<(), ProtocolError> {
    let valid = key
        .strip_prefix(sigil)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if valid {
        Ok(())
    } else {
        Err(EngineError::validation(format!(
            "{parameter} contains invalid key: Syntax error; key: \"{key}\""
        ))
        .into())
    }
}

const CONDITIONAL_OPERATORS: &[(&str, ConditionalOperator)] =
    &[("AND", ConditionalOperator::And), ("OR", ConditionalOperator::Or)];

/// Reads a legacy map of conditions (Expected, QueryFilter, ScanFilter,
/// KeyConditions).
pub(super) fn legacy_conditions(
    request: Fields<'_>,
    member: &str,
    violations: &mut ConstraintViolations,
) -> Result<Option<Vec<LegacyCondition>>, ProtocolError> {
    let Some(map) = request.map(member)? else {
        return Ok(None);
    };
    let mut conditions = Vec::with_capacity(map.len());
    for (attribute, entry) in map {
        let entry = as_object(entry)?;
        let operator = entry.string("ComparisonOperator")?;
        let operator = violations.one_of(
            operator,
            &format!("{}.{attribute}.member.comparisonOperator", lower_first(member)),
            ComparisonOperator::ALL,
        );
        let values = entry
            .list("AttributeValueList")?
            .into_iter()
            .flatten()
            .map(value_from_json)
            .collect::<Result<Vec<_>, _>>()?;
        conditions.push(LegacyCondition {
            attribute: attribute.clone(),
            value: entry.get("Value").map(value_from_json).transpose()?,
            exists: entry.boolean("Exists")?,
            operator,
            values,
        });
    }
    Ok(Some(conditions))
}

pub(super) fn conditional_operator(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<ConditionalOperator, ProtocolError> {
    let operator = request.string("ConditionalOperator")?;
    Ok(violations
        .one_of(operator, "conditionalOperator", CONDITIONAL_OPERATORS)
        .unwrap_or_default())
}

fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// ConditionalOperator is only meaningful with two or more legacy conditions.
pub(super) fn check_conditional_operator(
    request: Fields<'_>,
    conditions: Option<&Vec<LegacyCondition>>,
) -> Result<(), ProtocolError> {
    let given = request.get("ConditionalOperator").is_some();
    Ok(legacy::check_conditional_operator(conditions.map(Vec::len), given)?)
}

/// A write's condition: ConditionExpression, or the legacy Expected.
pub(super) fn write_condition(
    request: Fields<'_>,
    placeholders: &mut Placeholders<'_>,
    expected: Option<Vec<LegacyCondition>>,
    operator: ConditionalOperator,
) -> Result<Option<Condition>, ProtocolError> {
    if let Some(expression) = request.string("ConditionExpression")? {
        return Ok(Some(Condition::parse(expression, "ConditionExpression", placeholders)?));
    }
    check_conditional_operator(request, expected.as_ref())?;
    match expected {
        Some(entries) => Ok(legacy::expected(&entries, operator)?),
        None => Ok(None),
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum ReturnConsumedCapacity {
    None,
    Total,
    Indexes,
}

const RETURN_CONSUMED_CAPACITY: &[(&str, ReturnConsumedCapacity)] = &[
    ("INDEXES", ReturnConsumedCapacity::Indexes),
    ("TOTAL", ReturnConsumedCapacity::Total),
    ("NONE", ReturnConsumedCapacity::None),
];

impl ReturnConsumedCapacity {
    /// `dynamodb:ReturnConsumedCapacity`: the value given, NONE by default.
    pub fn condition_key(self) -> Option<String> {
        Some(super::wire_name(RETURN_CONSUMED_CAPACITY, &self).to_string())
    }
}

pub(super) fn return_consumed_capacity(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<ReturnConsumedCapacity, ProtocolError> {
    let value = request.string("ReturnConsumedCapacity")?;
    Ok(violations
        .one_of(value, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY)
        .unwrap_or(ReturnConsumedCapacity::None))
}

fn capacity_json(consumed: &ConsumedCapacity, mode: ReturnConsumedCapacity) -> Value {
    let mut entry = json!({"TableName": consumed.table_name, "CapacityUnits": consumed.total()});
    if mode == ReturnConsumedCapacity::Indexes {
        entry["Table"] = json!({"CapacityUnits": consumed.table_units()});
        for (member, indexes) in [
            ("GlobalSecondaryIndexes", &consumed.global_indexes),
            ("LocalSecondaryIndexes", &consumed.local_indexes),
        ] {
            if !indexes.is_empty() {
                let units: Map<String, Value> = indexes
                    .iter()
                    .map(|(name, units)| (name.clone(), json!({"CapacityUnits": units})))
                    .collect();
                entry[member] = Value::Object(units);
            }
        }
    }
    entry
}

/// ConsumedCapacity of a multi-table operation: a list, one per table.
pub(super) fn capacity_list(consumed: &[ConsumedCapacity], mode: ReturnConsumedCapacity) -> Value {
    Value::Array(consumed.iter().map(|c| capacity_json(c, mode)).collect())
}

/// ConsumedCapacity of a transaction: also split into read and write units.
pub(super) fn transaction_capacity_list(consumed: &[ConsumedCapacity], mode: ReturnConsumedCapacity) -> Value {
    Value::Array(
        consumed
            .iter()
            .map(|c| {
                let mut entry = capacity_json(c, mode);
                if c.read_units > 0.0 {
                    entry["ReadCapacityUnits"] = json!(c.read_units);
                }
                if c.write_units > 0.0 {
                    entry["WriteCapacityUnits"] = json!(c.write_units);
                }
                entry
            })
            .collect(),
    )
}

/// Adds ConsumedCapacity to a response when it was asked for.
pub(super) fn add_consumed_capacity(
    response: &mut Map<String, Value>,
    mode: ReturnConsumedCapacity,
    consumed: Option<&ConsumedCapacity>,
) {
    let Some(consumed) = consumed else { return };
    if mode != ReturnConsumedCapacity::None {
        response.insert("ConsumedCapacity".into(), capacity_json(consumed, mode));
    }
}

const RETURN_VALUES_ON_FAILURE: &[(&str, bool)] = &[("ALL_OLD", true), ("NONE", false)];

/// `path` prefixes the member's name in a violation: "" for a request's
/// own member, "transactItems.1.member.put." for a transaction action's.
pub(super) fn return_old_on_failure(
    request: Fields<'_>,
    path: &str,
    violations: &mut ConstraintViolations,
) -> Result<bool, ProtocolError> {
    let value = request.string("ReturnValuesOnConditionCheckFailure")?;
    Ok(violations
        .one_of(
            value,
            &format!("{path}returnValuesOnConditionCheckFailure"),
            RETURN_VALUES_ON_FAILURE,
        )
        .unwrap_or(false))
}

const RETURN_ITEM_COLLECTION_METRICS: &[(&str, bool)] = &[("SIZE", true), ("NONE", false)];

/// ReturnItemCollectionMetrics: true for SIZE.
pub(super) fn return_item_collection_metrics(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<bool, ProtocolError> {
    let value = request.string("ReturnItemCollectionMetrics")?;
    Ok(violations
        .one_of(value, "returnItemCollectionMetrics", RETURN_ITEM_COLLECTION_METRICS)
        .unwrap_or(false))
}

/// ItemCollectionMetrics for a write to a table with local indexes.
pub(super) fn item_collection_metrics(key: &halyard_engine::model::Item, size_bytes: i64) -> Value {
    // DynamoDB reports an estimate range in GB around the collection's size.
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    let size = size_bytes as f64 / GB;
    json!({
        "ItemCollectionKey": crate::attribute_value::item_to_json(key),
        "SizeEstimateRangeGB": [size.floor(), size.floor() + 1.0],
    })
}
