use halyard_engine::model::KeyType;
use halyard_engine::streams::format_sequence;
use halyard_engine::{DescribeStreamInput, Engine};
use serde_json::{json, Map, Value};

use super::{invalid, limit, shard_id, stream_arn};
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

const SHARD_FILTER_TYPES: &[(&str, ())] = &[("CHILD_SHARDS", ())];

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let arn = stream_arn(request, "StreamArn", "streamArn", &mut violations)?;
    violations.required(arn.as_ref(), "streamArn");
    let limit = limit(request, &mut violations)?;
    let exclusive_start = shard_id(
        request,
        "ExclusiveStartShardId",
        "exclusiveStartShardId",
        &mut violations,
    )?;
    let mut children_of = None;
    if let Some(filter) = request.object("ShardFilter")? {
        violations.one_of(filter.string("Type")?, "shardFilter.type", SHARD_FILTER_TYPES);
        children_of = shard_id(filter, "ShardId", "shardFilter.shardId", &mut violations)?;
    }
    violations.into_result()?;
    if limit.is_some_and(|limit| limit > 100) {
        return Err(invalid("Limit cannot be greater than the maximum: 100"));
    }
    access::authorize(
        authorizer,
        &[access::arn_check("dynamodb:DescribeStream", arn.unwrap_or_default())],
    )?;
    let output = engine.describe_stream(&DescribeStreamInput {
        stream_arn: arn.unwrap_or_default().to_string(),
        limit: limit.map(|limit| limit as usize),
        exclusive_start_shard_id: exclusive_start.map(str::to_string),
        children_of: children_of.map(str::to_string),
    })?;
    let stream = &output.stream;
    let shards: Vec<Value> = output
        .shards
        .iter()
        .map(|shard| {
            let mut range = Map::new();
            range.insert("StartingSequenceNumber".into(), json!(format_sequence(shard.start)));
            if let Some(end) = shard.end {
                range.insert("EndingSequenceNumber".into(), json!(format_sequence(end)));
            }
            let mut entry = json!({"ShardId": shard.id, "SequenceNumberRange": range});
            if let Some(parent) = &shard.parent {
                entry["ParentShardId"] = json!(parent);
            }
            entry
        })
        .collect();
    let key_schema: Vec<Value> = stream
        .key_schema
        .iter()
        .map(|key| {
            let key_type = match key.key_type {
                KeyType::Hash => "HASH",
                KeyType::Range => "RANGE",
            };
            json!({"AttributeName": key.attribute_name, "KeyType": key_type})
        })
        .collect();
    let mut description = json!({
        "StreamArn": stream.arn,
        "StreamLabel": stream.label,
        "StreamStatus": stream.status().name(),
        "StreamViewType": stream.view_type.name(),
        "CreationRequestDateTime": stream.created,
        "TableName": stream.table_name,
        "KeySchema": key_schema,
        "Shards": shards,
    });
    if let Some(id) = output.last_evaluated_shard_id {
        description["LastEvaluatedShardId"] = json!(id);
    }
    Ok(json!({ "StreamDescription": description }))
}
