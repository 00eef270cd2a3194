use halyard_engine::{Engine, GetShardIteratorInput, ShardIteratorType};
use serde_json::{json, Value};

use super::{shard_id, stream_arn};
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

const ITERATOR_TYPES: &[(&str, ShardIteratorType)] = &[
    ("TRIM_HORIZON", ShardIteratorType::TrimHorizon),
    ("LATEST", ShardIteratorType::Latest),
    ("AT_SEQUENCE_NUMBER", ShardIteratorType::AtSequenceNumber),
    ("AFTER_SEQUENCE_NUMBER", ShardIteratorType::AfterSequenceNumber),
    ("AT_TIMESTAMP", ShardIteratorType::AtTimestamp),
];

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let arn = stream_arn(request, "StreamArn", "streamArn", &mut violations)?;
    violations.required(arn.as_ref(), "streamArn");
    let shard = shard_id(request, "ShardId", "shardId", &mut violations)?;
    violations.required(shard.as_ref(), "shardId");
    let given_type = request.string("ShardIteratorType")?;
    violations.required(given_type.as_ref(), "shardIteratorType");
    let sequence_number = request.string("SequenceNumber")?;
    if let Some(sequence_number) = sequence_number {
        violations.length(sequence_number, "sequenceNumber", 21, 40);
    }
    let timestamp = request.timestamp("Timestamp")?;
    violations.into_result()?;
    // DynamoDB checks the type itself, with a message of its own.
    let iterator_type = ITERATOR_TYPES
        .iter()
        .find(|(name, _)| Some(*name) == given_type)
        .map(|(_, iterator_type)| *iterator_type)
        .ok_or_else(|| halyard_engine::Error::validation("Invalid ShardIteratorType."))?;
    access::authorize(
        authorizer,
        &[access::arn_check("dynamodb:GetShardIterator", arn.unwrap_or_default())],
    )?;
    let iterator = engine
        .get_shard_iterator(&GetShardIteratorInput {
            stream_arn: arn.unwrap_or_default().to_string(),
            shard_id: shard.unwrap_or_default().to_string(),
            iterator_type,
            sequence_number: sequence_number.map(str::to_string),
            timestamp,
        })
        .await?;
    Ok(json!({ "ShardIterator": iterator }))
}
