//! What the PartiQL operations share: reading a statement and its
//! parameters, the IAM action of a statement, NextToken, and DynamoDB's
//! per-statement error codes.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use halyard_engine::model::AttributeValue;
use halyard_engine::partiql::{self, Parsed, Statement};
use halyard_engine::{Engine, Error as EngineError, StatementPosition};
use serde_json::{json, Value};

use super::transact_write_items::fnv1a;
use crate::access::{self, AccessCheck};
use crate::attribute_value::{item_from_json, item_to_json, value_from_json};
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

/// One statement of a request: its text, parsed, and its parameters.
pub(super) struct StatementRequest {
    pub parsed: Result<Parsed, EngineError>,
    pub parameters: Vec<AttributeValue>,
    pub return_old_on_failure: bool,
}

/// Reads `Statement`, `Parameters` and `ReturnValuesOnConditionCheckFailure`
/// of a request or of one entry of a batch or transaction. A statement that
/// does not parse is kept as its error: a batch answers it on its own.
pub(super) fn statement_request(
    fields: Fields<'_>,
    return_old_on_failure: bool,
) -> Result<StatementRequest, ProtocolError> {
    let text = fields.string("Statement")?.unwrap_or_default();
    let parameters = fields
        .list("Parameters")?
        .into_iter()
        .flatten()
        .map(value_from_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StatementRequest {
        parsed: partiql::parse(text),
        parameters,
        return_old_on_failure,
    })
}

/// The IAM check of a statement: `dynamodb:PartiQLSelect`, `PartiQLInsert`,
/// `PartiQLUpdate` or `PartiQLDelete` on the table (or the index a SELECT
/// reads).
pub(super) fn access_check(engine: &Engine, statement: &Statement) -> AccessCheck {
    let (action, index) = match statement {
        Statement::Select(select) | Statement::Exists(select) => ("dynamodb:PartiQLSelect", select.index.as_deref()),
        Statement::Insert(_) => ("dynamodb:PartiQLInsert", None),
        Statement::Update(_) => ("dynamodb:PartiQLUpdate", None),
        Statement::Delete(_) => ("dynamodb:PartiQLDelete", None),
    };
    access::table_check(engine, action, statement.table(), index)
}

fn invalid_token() -> ProtocolError {
    EngineError::validation("Invalid NextToken").into()
}

/// NextToken: where a SELECT resumes, tied to its statement's text.
pub(super) fn encode_token(statement: &str, position: &StatementPosition) -> String {
    let token = json!({
        "statement": fnv1a(statement.as_bytes()),
        "query": position.query,
        "key": position.exclusive_start_key.as_ref().map(item_to_json),
    });
    BASE64.encode(token.to_string())
}

pub(super) fn decode_token(statement: &str, token: &str) -> Result<StatementPosition, ProtocolError> {
    let bytes = BASE64.decode(token).map_err(|_| invalid_token())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid_token())?;
    let fields = as_object(&value).map_err(|_| invalid_token())?;
    if fields.get("statement").and_then(Value::as_u64) != Some(fnv1a(statement.as_bytes())) {
        return Err(invalid_token());
    }
    let query = fields
        .get("query")
        .and_then(Value::as_u64)
        .and_then(|q| usize::try_from(q).ok())
        .ok_or_else(invalid_token)?;
    let exclusive_start_key = match fields.get("key") {
        Some(Value::Object(key)) => Some(item_from_json(key).map_err(|_| invalid_token())?),
        _ => None,
    };
    Ok(StatementPosition {
        query,
        exclusive_start_key,
    })
}

/// BatchStatementError for an error (its Code from BatchStatementErrorCodeEnum).
pub(super) fn batch_error(error: &EngineError) -> Value {
    let code = match error {
        EngineError::ConditionalCheckFailed { .. } => "ConditionalCheckFailed",
        EngineError::DuplicateItem => "DuplicateItem",
        EngineError::ResourceNotFound(_) => "ResourceNotFound",
        EngineError::ItemCollectionSizeLimitExceeded(_) => "ItemCollectionSizeLimitExceeded",
        EngineError::Throttled { .. } => match error.type_name() {
            "ThrottlingException" => "ThrottlingError",
            _ => "ProvisionedThroughputExceeded",
        },
        EngineError::AccessDenied(_) => "AccessDenied",
        EngineError::Internal(_)
        | EngineError::OutOfSpace
        | EngineError::WritesStopped
        | EngineError::Conflict
        | EngineError::CommitOutcomeUnknown => "InternalServerError",
        _ => "ValidationError",
    };
    let message = match error {
        // Internal details go to the log, not to the caller.
        EngineError::Internal(_) => "Internal server error".to_string(),
        other => other.to_string(),
    };
    let mut entry = json!({"Code": code, "Message": message});
    if let EngineError::ConditionalCheckFailed { item: Some(item) } = error {
        entry["Item"] = item_to_json(item);
    }
    entry
}
