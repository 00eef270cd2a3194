//! The DynamoDB Streams API (`DynamoDBStreams_20120810.*`), served on the
//! same endpoint as DynamoDB, one file per operation.

mod describe_stream;
mod get_records;
mod get_shard_iterator;
mod list_streams;

use halyard_engine::Engine;
use serde_json::Value;

use crate::access::Authorizer;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(crate) async fn dispatch(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    operation: &str,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    match operation {
        "ListStreams" => list_streams::handle(engine, authorizer, request),
        "DescribeStream" => describe_stream::handle(engine, authorizer, request),
        "GetShardIterator" => get_shard_iterator::handle(engine, authorizer, request).await,
        "GetRecords" => get_records::handle(engine, authorizer, request).await,
        _ => Err(ProtocolError::UnknownOperation),
    }
}

/// A StreamArn member: 37 to 1024 characters.
fn stream_arn<'a>(
    request: Fields<'a>,
    member: &str,
    path: &str,
    violations: &mut ConstraintViolations,
) -> Result<Option<&'a str>, ProtocolError> {
    let arn = request.string(member)?;
    if let Some(arn) = arn {
        violations.length(arn, path, 37, 1024);
    }
    Ok(arn)
}

/// A ShardId member: 28 to 65 characters.
fn shard_id<'a>(
    request: Fields<'a>,
    member: &str,
    path: &str,
    violations: &mut ConstraintViolations,
) -> Result<Option<&'a str>, ProtocolError> {
    let id = request.string(member)?;
    if let Some(id) = id {
        violations.length(id, path, 28, 65);
    }
    Ok(id)
}

/// A Limit member: at least 1; above `max` DynamoDB answers with its own
/// message (`too_many`), after the other checks.
fn limit(request: Fields<'_>, violations: &mut ConstraintViolations) -> Result<Option<i64>, ProtocolError> {
    let limit = request.integer("Limit")?;
    violations.range(limit, "limit", 1, None);
    Ok(limit)
}

fn invalid(message: &str) -> ProtocolError {
    halyard_engine::Error::validation(format!("One or more parameter values were invalid: {message}")).into()
}
