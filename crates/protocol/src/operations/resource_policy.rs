//! A resource-based policy document as PutResourcePolicy and CreateTable's
//! ResourcePolicy take it: DynamoDB's size limit, validated as an IAM
//! resource policy, and stored in the canonical form GetResourcePolicy
//! returns.

use halyard_engine::Error as EngineError;
use halyard_iam::policy::{PolicyDocument, PolicyKind};
use serde_json::{Map, Value};

use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

/// DynamoDB's limit on a policy document, whitespace included.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The Version a document without one has.
const DEFAULT_VERSION: &str = "2008-10-17";

fn invalid(message: impl std::fmt::Display) -> EngineError {
    EngineError::validation(format!("One or more parameter values were invalid: {message}"))
}

fn invalid_document(message: impl std::fmt::Display) -> EngineError {
    invalid(format!("Invalid policy document: {message}"))
}

/// The ResourceArn member, with its constraints (1 to 1283 characters).
pub(super) fn policy_arn<'a>(
    request: Fields<'a>,
    violations: &mut ConstraintViolations,
) -> Result<&'a str, ProtocolError> {
    let arn = request.string("ResourceArn")?;
    violations.required(arn.as_ref(), "resourceArn");
    if let Some(arn) = arn {
        violations.length(arn, "resourceArn", 1, 1283);
    }
    Ok(arn.unwrap_or_default())
}

/// The ExpectedRevisionId member (1 to 255 characters).
pub(super) fn revision_id<'a>(
    request: Fields<'a>,
    violations: &mut ConstraintViolations,
) -> Result<Option<&'a str>, ProtocolError> {
    let revision_id = request.string("ExpectedRevisionId")?;
    if let Some(revision_id) = revision_id {
        violations.length(revision_id, "expectedRevisionId", 1, 255);
    }
    Ok(revision_id)
}

/// Checks a policy document and returns it in canonical form.
pub(super) fn checked_document(text: &str) -> Result<String, EngineError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(invalid(format!(
            "Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded"
        )));
    }
    let value: Value = serde_json::from_str(text).map_err(|_| invalid_document("This policy contains invalid Json"))?;
    if value
        .get("Statement")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        return Err(invalid_document("Could not parse the policy: Statement is empty!"));
    }
    PolicyDocument::parse(text, PolicyKind::Resource).map_err(invalid_document)?;
    Ok(canonical(&value))
}

/// The document as DynamoDB returns it: minified, members in a fixed
/// order, a Statement object as a one-element list, one-element lists as
/// their element, and an account id as a principal as its root ARN.
fn canonical(document: &Value) -> String {
    let mut members = vec![(
        "Version",
        document
            .get("Version")
            .cloned()
            .unwrap_or_else(|| DEFAULT_VERSION.into()),
    )];
    if let Some(id) = document.get("Id") {
        members.push(("Id", id.clone()));
    }
    let statements = match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().map(canonical_statement).collect(),
        Some(single) => vec![canonical_statement(single)],
        None => Vec::new(),
    };
    let mut out = String::new();
    write_object(&mut out, &members, false);
    out.push_str(",\"Statement\":[");
    out.push_str(&statements.join(","));
    out.push_str("]}");
    out
}

const STATEMENT_ORDER: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn canonical_statement(statement: &Value) -> String {
    let Value::Object(fields) = statement else {
        return statement.to_string();
    };
    let members: Vec<(&str, Value)> = STATEMENT_ORDER
        .iter()
        .filter_map(|&key| {
            let value = fields.get(key)?;
            let value = match key {
                "Principal" | "NotPrincipal" => canonical_principal(value),
                "Action" | "NotAction" | "Resource" | "NotResource" => collapse(value.clone()),
                "Condition" => canonical_condition(value),
                _ => value.clone(),
            };
            Some((key, value))
        })
        .collect();
    let mut out = String::new();
    write_object(&mut out, &members, true);
    out
}

/// `{"AWS": ["123456789012"]}` as `{"AWS": "arn:aws:iam::123456789012:root"}`,
/// repeated principals once.
fn canonical_principal(principal: &Value) -> Value {
    let Value::Object(kinds) = principal else {
        return principal.clone();
    };
    let mut out = Map::new();
    for (kind, values) in kinds {
        let values = match values {
            Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        let mut seen: Vec<Value> = Vec::with_capacity(values.len());
        for value in values {
            let value = match value.as_str() {
                Some(id) if kind == "AWS" && id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => {
                    Value::String(format!("arn:aws:iam::{id}:root"))
                }
                _ => value,
            };
            if !seen.contains(&value) {
                seen.push(value);
            }
        }
        out.insert(kind.clone(), collapse(Value::Array(seen)));
    }
    Value::Object(out)
}

fn canonical_condition(condition: &Value) -> Value {
    let Value::Object(operators) = condition else {
        return condition.clone();
    };
    let operators = operators
        .iter()
        .map(|(operator, keys)| {
            let keys = match keys {
                Value::Object(keys) => Value::Object(
                    keys.iter()
                        .map(|(key, values)| (key.clone(), collapse(values.clone())))
                        .collect(),
                ),
                other => other.clone(),
            };
            (operator.clone(), keys)
        })
        .collect();
    Value::Object(operators)
}

/// A one-element list as its element.
fn collapse(value: Value) -> Value {
    match value {
        Value::Array(mut list) if list.len() == 1 => list.remove(0),
        other => other,
    }
}

/// Writes `members` as a JSON object in their order (`close`: with its `}`).
fn write_object(out: &mut String, members: &[(&str, Value)], close: bool) {
    out.push('{');
    for (position, (key, value)) in members.iter().enumerate() {
        if position > 0 {
            out.push(',');
        }
        out.push_str(&Value::String((*key).to_string()).to_string());
        out.push(':');
        out.push_str(&value.to_string());
    }
    if close {
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_orders_members_and_collapses_lists() {
        let document = r#"{ "Statement": {"Resource": ["arn:aws:dynamodb:us-east-1:000000000000:table/t"],
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Effect": "Allow",
            "Principal": {"AWS": ["000000000000", "arn:aws:iam::000000000000:root"]},
            "Condition": {"StringEquals": {"aws:username": ["ann"]}}, "Sid": "s"} }"#;
        assert_eq!(
            checked_document(document).unwrap(),
            concat!(
                r#"{"Version":"2008-10-17","Statement":[{"Sid":"s","Effect":"Allow","#,
                r#""Principal":{"AWS":"arn:aws:iam::000000000000:root"},"#,
                r#""Action":["dynamodb:GetItem","dynamodb:PutItem"],"#,
                r#""Resource":"arn:aws:dynamodb:us-east-1:000000000000:table/t","#,
                r#""Condition":{"StringEquals":{"aws:username":"ann"}}}]}"#
            )
        );
    }
}
