//! Binding a statement's `?` parameters: literals and parameters become
//! attribute values, WHERE conditions the engine's [`Condition`]s and SET
//! clauses its update actions.

use super::{Error, Expr, Operand, SetOperand, SetValue, UpdateClause, Value};
use crate::expression::condition::{Condition, Operand as ConditionOperand};
use crate::expression::path::DocumentPath;
use crate::expression::update::{self, UpdateAction};
use crate::model::{AttributeValue, Item, Number};

/// A literal or parameter as an attribute value. `parameters` are the
/// request's, in order.
pub fn bind_value(value: &Value, parameters: &[AttributeValue]) -> Result<AttributeValue, Error> {
    Ok(match value {
        Value::String(text) => AttributeValue::S(text.clone()),
        Value::Number(text) => AttributeValue::N(number(text)?),
        Value::Bool(flag) => AttributeValue::Bool(*flag),
        Value::Null => AttributeValue::Null,
        Value::Parameter(index) => parameters.get(*index).cloned().ok_or_else(parameter_count_mismatch)?,
        Value::List(values) => AttributeValue::L(
            values
                .iter()
                .map(|value| bind_value(value, parameters))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut map = Item::new();
            for (key, value) in entries {
                map.insert(key.clone(), bind_value(value, parameters)?);
            }
            AttributeValue::M(map)
        }
        Value::Set(members) => set(members, parameters)?,
    })
}

pub(crate) fn parameter_count_mismatch() -> Error {
    Error::validation("Number of parameters in request and statement don't match.")
}

fn number(text: &str) -> Result<Number, Error> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    // DynamoDB's numbers have no leading `.`: `.5` is `0.5`.
    let normalised = match unsigned.strip_prefix('-') {
        Some(rest) if rest.starts_with('.') => format!("-0{rest}"),
        _ if unsigned.starts_with('.') => format!("0{unsigned}"),
        _ => unsigned.to_string(),
    };
    Number::parse(&normalised).map_err(|error| Error::validation(error.to_string()))
}

/// `<<...>>`: a string, number or binary set, without duplicates.
fn set(members: &[Value], parameters: &[AttributeValue]) -> Result<AttributeValue, Error> {
    let values = members
        .iter()
        .map(|member| bind_value(member, parameters))
        .collect::<Result<Vec<_>, _>>()?;
    let unsupported =
        || Error::validation("Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags");
    let set = match values.first() {
        Some(AttributeValue::S(_)) => AttributeValue::Ss(
            values
                .into_iter()
                .map(|value| match value {
                    AttributeValue::S(text) => Ok(text),
                    _ => Err(unsupported()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(AttributeValue::N(_)) => AttributeValue::Ns(
            values
                .into_iter()
                .map(|value| match value {
                    AttributeValue::N(number) => Ok(number),
                    _ => Err(unsupported()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(AttributeValue::B(_)) => AttributeValue::Bs(
            values
                .into_iter()
                .map(|value| match value {
                    AttributeValue::B(bytes) => Ok(bytes),
                    _ => Err(unsupported()),
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(unsupported()),
    };
    if has_duplicates(&set) {
        return Err(Error::validation("Input collection contains duplicates"));
    }
    Ok(set)
}

fn has_duplicates(set: &AttributeValue) -> bool {
    fn any_repeated<T: Ord + Clone>(members: &[T]) -> bool {
        let mut sorted = members.to_vec();
        sorted.sort();
        sorted.windows(2).any(|pair| pair[0] == pair[1])
    }
    match set {
        AttributeValue::Ss(members) => any_repeated(members),
        AttributeValue::Bs(members) => any_repeated(members),
        AttributeValue::Ns(members) => {
            let mut texts: Vec<String> = members.iter().map(Number::to_string).collect();
            texts.sort();
            texts.windows(2).any(|pair| pair[0] == pair[1])
        }
        _ => false,
    }
}

fn operand(operand: &Operand, parameters: &[AttributeValue]) -> Result<ConditionOperand, Error> {
    Ok(match operand {
        Operand::Path(path) => ConditionOperand::Path(path.clone()),
        Operand::Size(path) => ConditionOperand::Size(path.clone()),
        Operand::Value(value) => ConditionOperand::Value(bind_value(value, parameters)?),
    })
}

/// A WHERE condition as the engine's condition.
pub fn bind_condition(expr: &Expr, parameters: &[AttributeValue]) -> Result<Condition, Error> {
    let bind = |o: &Operand| operand(o, parameters);
    Ok(match expr {
        Expr::Compare(left, comparator, right) => {
            if let (Operand::Path(a), Operand::Path(b)) = (left, right) {
                if a == b {
                    return Err(Error::validation(format!(
                        "The first operand must be distinct from the remaining operands for this operator or function; operator: {}, first operand: {a}",
                        comparator.symbol()
                    )));
                }
            }
            Condition::Compare(bind(left)?, *comparator, bind(right)?)
        }
        Expr::Between(subject, low, high) => Condition::Between(bind(subject)?, bind(low)?, bind(high)?),
        Expr::In(subject, candidates) => {
            Condition::In(bind(subject)?, candidates.iter().map(bind).collect::<Result<_, _>>()?)
        }
        Expr::IsMissing(path, false) => Condition::AttributeNotExists(path.clone()),
        Expr::IsMissing(path, true) => Condition::AttributeExists(path.clone()),
        Expr::IsNull(path, negated) => {
            let is_null =
                Condition::AttributeType(path.clone(), ConditionOperand::Value(AttributeValue::S("NULL".into())));
            match negated {
                false => is_null,
                // NOT NULL holds for any present value but NULL.
                true => Condition::And(
                    Box::new(Condition::AttributeExists(path.clone())),
                    Box::new(Condition::Not(Box::new(is_null))),
                ),
            }
        }
        Expr::BeginsWith(a, b) => Condition::BeginsWith(bind(a)?, bind(b)?),
        Expr::Contains(a, b) => Condition::Contains(bind(a)?, bind(b)?),
        Expr::AttributeType(path, type_name) => {
            let type_name = bind(type_name)?;
            if let ConditionOperand::Value(AttributeValue::S(name)) = &type_name {
                const TYPES: &[&str] = &["N", "BS", "L", "B", "NULL", "M", "S", "SS", "NS", "BOOL"];
                if !TYPES.contains(&name.as_str()) {
                    return Err(Error::validation(format!(
                        "Invalid attribute type name found; type: {name}, valid types: {{N,BS,L,B,NULL,M,S,SS,NS,BOOL}}"
                    )));
                }
            }
            Condition::AttributeType(path.clone(), type_name)
        }
        Expr::And(a, b) => Condition::And(
            Box::new(bind_condition(a, parameters)?),
            Box::new(bind_condition(b, parameters)?),
        ),
        Expr::Or(a, b) => Condition::Or(
            Box::new(bind_condition(a, parameters)?),
            Box::new(bind_condition(b, parameters)?),
        ),
        Expr::Not(a) => Condition::Not(Box::new(bind_condition(a, parameters)?)),
    })
}

fn set_operand(operand: &SetOperand, parameters: &[AttributeValue]) -> Result<update::SetOperand, Error> {
    Ok(match operand {
        SetOperand::Path(path) => update::SetOperand::Path(path.clone()),
        SetOperand::Value(value) => update::SetOperand::Value(bind_value(value, parameters)?),
        SetOperand::ListAppend(a, b) => update::SetOperand::ListAppend(
            Box::new(set_operand(a, parameters)?),
            Box::new(set_operand(b, parameters)?),
        ),
    })
}

/// SET and REMOVE clauses as update actions.
pub fn bind_update_actions(
    clauses: &[UpdateClause],
    parameters: &[AttributeValue],
) -> Result<Vec<UpdateAction>, Error> {
    clauses
        .iter()
        .map(|clause| {
            Ok(match clause {
                UpdateClause::Remove(path) => UpdateAction::Remove(path.clone()),
                UpdateClause::Set(path, value) => match value {
                    SetValue::Operand(o) => {
                        UpdateAction::Set(path.clone(), update::SetValue::Operand(set_operand(o, parameters)?))
                    }
                    SetValue::Plus(a, b) => UpdateAction::Set(
                        path.clone(),
                        update::SetValue::Plus(set_operand(a, parameters)?, set_operand(b, parameters)?),
                    ),
                    SetValue::Minus(a, b) => UpdateAction::Set(
                        path.clone(),
                        update::SetValue::Minus(set_operand(a, parameters)?, set_operand(b, parameters)?),
                    ),
                    SetValue::SetAdd(source, members) | SetValue::SetDelete(source, members) => {
                        let add = matches!(value, SetValue::SetAdd(..));
                        set_function(path, source, members, add, parameters)?
                    }
                },
            })
        })
        .collect()
}

/// `SET s = set_add(s, <<...>>)` is ADD; `set_delete` is DELETE.
fn set_function(
    target: &DocumentPath,
    source: &DocumentPath,
    members: &Value,
    add: bool,
    parameters: &[AttributeValue],
) -> Result<UpdateAction, Error> {
    let name = if add { "SET_ADD" } else { "SET_DELETE" };
    if source != target {
        return Err(Error::validation(format!(
            "The first argument to {name} must be the attribute being set"
        )));
    }
    let members = bind_value(members, parameters)?;
    if !matches!(
        members,
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
    ) {
        return Err(Error::validation(format!(
            "The second argument to {name} must be a value with type SET"
        )));
    }
    Ok(match add {
        true => UpdateAction::Add(target.clone(), members),
        false => UpdateAction::Delete(target.clone(), members),
    })
}
