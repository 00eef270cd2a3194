use halyard_engine::{Engine, ListStreamsInput};
use serde_json::{json, Value};

use super::{invalid, limit, stream_arn};
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let table_name = request.string("TableName")?;
    if table_name.is_some() {
        violations.table_name(table_name, "tableName");
    }
    let limit = limit(request, &mut violations)?;
    let exclusive_start = stream_arn(
        request,
        "ExclusiveStartStreamArn",
        "exclusiveStartStreamArn",
        &mut violations,
    )?;
    violations.into_result()?;
    if limit.is_some_and(|limit| limit > 100) {
        return Err(invalid("Limit cannot be greater than the maximum allowed size: 100"));
    }
    access::authorize(authorizer, &[access::account_check("dynamodb:ListStreams")])?;
    let output = engine.list_streams(&ListStreamsInput {
        table_name: table_name.map(str::to_string),
        limit: limit.map(|limit| limit as usize),
        exclusive_start_stream_arn: exclusive_start.map(str::to_string),
    })?;
    let streams: Vec<Value> = output
        .streams
        .iter()
        .map(|stream| json!({"StreamArn": stream.arn, "TableName": stream.table_name, "StreamLabel": stream.label}))
        .collect();
    let mut response = json!({ "Streams": streams });
    if let Some(arn) = output.last_evaluated_stream_arn {
        response["LastEvaluatedStreamArn"] = json!(arn);
    }
    Ok(response)
}
