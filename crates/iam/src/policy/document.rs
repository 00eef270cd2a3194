//! IAM policy documents: parsed from JSON with IAM's validation and its
//! MalformedPolicyDocument texts.

use serde_json::{Map, Value};
use thiserror::Error;

use super::conditions::{ConditionClause, ConditionOperator};

/// The only versions IAM accepts; policy variables exist only in the later.
pub const VERSION_2012: &str = "2012-10-17";
pub const VERSION_2008: &str = "2008-10-17";

/// Where a policy is attached decides which elements it must and must not
/// have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// User, group and role policies, managed or inline; session policies.
    Identity,
    /// Table and stream policies: name a Principal.
    Resource,
    /// A role's trust policy: names a Principal, no Resource.
    Trust,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct MalformedPolicyDocument(pub String);

fn malformed(text: impl Into<String>) -> MalformedPolicyDocument {
    MalformedPolicyDocument(text.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalBlock {
    pub negated: bool,
    /// `"*"` or `{"AWS": "*"}`.
    pub anyone: bool,
    /// ARNs or account ids under `AWS`.
    pub aws: Vec<String>,
    /// `Service`, `Federated`, `CanonicalUser` values (never a Halyard caller).
    pub other: Vec<String>,
}

/// `Action`/`NotAction` or `Resource`/`NotResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    pub negated: bool,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalBlock>,
    pub action: Patterns,
    pub resource: Option<Patterns>,
    pub conditions: Vec<ConditionClause>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses and validates a document for where it will be attached.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<PolicyDocument, MalformedPolicyDocument> {
        let value: Value = serde_json::from_str(json).map_err(|_| malformed("Syntax errors in policy."))?;
        let Value::Object(top) = value else {
            return Err(malformed("Syntax errors in policy."));
        };
        let mut version = None;
        let mut id = None;
        let mut statements = None;
        for (key, value) in &top {
            match key.as_str() {
                "Version" => version = Some(string(value)?),
                "Id" => id = Some(string(value)?),
                "Statement" => statements = Some(value),
                _ => return Err(malformed("Syntax errors in policy.")),
            }
        }
        if let Some(v) = &version {
            if v != VERSION_2012 && v != VERSION_2008 {
                return Err(malformed("The policy failed legacy parsing"));
            }
        }
        let statements = match statements {
            Some(Value::Array(list)) => list
                .iter()
                .map(|s| parse_statement(s, kind))
                .collect::<Result<Vec<_>, _>>()?,
            Some(single @ Value::Object(_)) => vec![parse_statement(single, kind)?],
            _ => return Err(malformed("Syntax errors in policy.")),
        };
        Ok(PolicyDocument {
            version,
            id,
            statements,
        })
    }

    /// Whether `${...}` is a variable (2012-10-17) or literal text.
    pub fn variables_enabled(&self) -> bool {
        self.version.as_deref() == Some(VERSION_2012)
    }
}

fn parse_statement(value: &Value, kind: PolicyKind) -> Result<Statement, MalformedPolicyDocument> {
    let Value::Object(fields) = value else {
        return Err(malformed("Syntax errors in policy."));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (key, value) in fields {
        match key.as_str() {
            "Sid" => sid = Some(string(value)?),
            "Effect" => {
                effect = Some(match string(value)?.as_str() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    other => return Err(malformed(format!("Invalid effect: {other}"))),
                })
            }
            "Principal" | "NotPrincipal" => set_once(&mut principal, parse_principal(value, key == "NotPrincipal")?)?,
            "Action" | "NotAction" => set_once(
                &mut action,
                Patterns {
                    negated: key == "NotAction",
                    values: strings(value)?,
                },
            )?,
            "Resource" | "NotResource" => set_once(
                &mut resource,
                Patterns {
                    negated: key == "NotResource",
                    values: strings(value)?,
                },
            )?,
            "Condition" => conditions = parse_conditions(value)?,
            _ => return Err(malformed("Syntax errors in policy.")),
        }
    }
    let effect = effect.ok_or_else(|| malformed("Missing required field Effect"))?;
    let action = action.ok_or_else(|| malformed("Policy statement must contain actions."))?;
    for a in &action.values {
        if a != "*" && !a.contains(':') {
            return Err(malformed(
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            ));
        }
    }
    if let Some(resource) = &resource {
        for r in &resource.values {
            if r != "*" && !r.starts_with("arn:") {
                return Err(malformed(format!("Resource {r} must be in ARN format or \"*\".")));
            }
        }
    }
    match kind {
        PolicyKind::Identity if principal.is_some() => {
            return Err(malformed("Policy document should not specify a principal."))
        }
        PolicyKind::Resource | PolicyKind::Trust if principal.is_none() => {
            return Err(malformed("Missing required field Principal"))
        }
        PolicyKind::Identity | PolicyKind::Resource if resource.is_none() => {
            return Err(malformed("Policy statement must contain resources."))
        }
        _ => {}
    }
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), MalformedPolicyDocument> {
    if slot.is_some() {
        // Action with NotAction (and the like) in one statement.
        return Err(malformed("Syntax errors in policy."));
    }
    *slot = Some(value);
    Ok(())
}

fn string(value: &Value) -> Result<String, MalformedPolicyDocument> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| malformed("Syntax errors in policy."))
}

/// A string or a non-empty list of strings.
fn strings(value: &Value) -> Result<Vec<String>, MalformedPolicyDocument> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) if !list.is_empty() => list.iter().map(string).collect(),
        _ => Err(malformed("Syntax errors in policy.")),
    }
}

/// Condition values: strings, numbers and booleans are all written as text.
fn condition_values(value: &Value) -> Result<Vec<String>, MalformedPolicyDocument> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(malformed("Syntax errors in policy.")),
    };
    match value {
        Value::Array(list) => list.iter().map(scalar).collect(),
        v => Ok(vec![scalar(v)?]),
    }
}

fn parse_principal(value: &Value, negated: bool) -> Result<PrincipalBlock, MalformedPolicyDocument> {
    let mut block = PrincipalBlock {
        negated,
        anyone: false,
        aws: Vec::new(),
        other: Vec::new(),
    };
    match value {
        Value::String(s) if s == "*" => block.anyone = true,
        Value::Object(map) if !map.is_empty() => {
            for (kind, ids) in map {
                let ids = strings(ids)?;
                match kind.as_str() {
                    "AWS" if ids.iter().any(|i| i == "*") => block.anyone = true,
                    "AWS" => block.aws.extend(ids),
                    "Service" | "Federated" | "CanonicalUser" => block.other.extend(ids),
                    _ => return Err(malformed("Invalid principal in policy")),
                }
            }
        }
        _ => return Err(malformed("Invalid principal in policy")),
    }
    Ok(block)
}

fn parse_conditions(value: &Value) -> Result<Vec<ConditionClause>, MalformedPolicyDocument> {
    let Value::Object(operators) = value else {
        return Err(malformed("Syntax errors in policy."));
    };
    let mut clauses = Vec::new();
    for (operator_name, keys) in operators {
        let operator = ConditionOperator::parse(operator_name)
            .ok_or_else(|| malformed(format!("Invalid Condition type : {operator_name}")))?;
        let Value::Object(keys) = keys else {
            return Err(malformed("Syntax errors in policy."));
        };
        clauses.extend(parse_keys(operator, keys)?);
    }
    Ok(clauses)
}

fn parse_keys(
    operator: ConditionOperator,
    keys: &Map<String, Value>,
) -> Result<Vec<ConditionClause>, MalformedPolicyDocument> {
    keys.iter()
        .map(|(key, values)| {
            if !key.contains(':') {
                return Err(malformed(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                ));
            }
            let values = condition_values(values)?;
            operator.validate_values(&values).map_err(malformed)?;
            Ok(ConditionClause {
                operator,
                key: key.clone(),
                values,
            })
        })
        .collect()
}
