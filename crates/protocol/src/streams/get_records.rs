use halyard_engine::streams::format_sequence;
use halyard_engine::streams::iterator::ShardIterator;
use halyard_engine::streams::record::StreamRecord;
use halyard_engine::{Engine, MAX_RECORDS};
use serde_json::{json, Value};

use super::{invalid, limit};
use crate::access::{self, Authorizer};
use crate::attribute_value::item_to_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let iterator = request.string("ShardIterator")?;
    violations.required(iterator.as_ref(), "shardIterator");
    if let Some(iterator) = iterator {
        violations.length(iterator, "shardIterator", 1, 2048);
    }
    let limit = limit(request, &mut violations)?;
    violations.into_result()?;
    if limit.is_some_and(|limit| limit > MAX_RECORDS as i64) {
        return Err(invalid("Limit should be less than or equal to 1000"));
    }
    // The iterator names the stream it reads.
    let stream = ShardIterator::decode(iterator.unwrap_or_default())?.stream_arn;
    access::authorize(authorizer, &[access::arn_check("dynamodb:GetRecords", &stream)])?;
    let output = engine
        .get_records(iterator.unwrap_or_default(), limit.map(|limit| limit as usize))
        .await?;
    let region = engine.region();
    let records: Vec<Value> = output
        .records
        .iter()
        .map(|record| record_json(record, region))
        .collect();
    let mut response = json!({ "Records": records });
    if let Some(next) = output.next_shard_iterator {
        response["NextShardIterator"] = json!(next);
    }
    Ok(response)
}

fn record_json(record: &StreamRecord, region: &str) -> Value {
    let mut change = json!({
        "ApproximateCreationDateTime": record.created,
        "Keys": item_to_json(&record.keys),
        "SequenceNumber": format_sequence(record.sequence),
        "SizeBytes": record.size_bytes(),
        "StreamViewType": record.view_type.name(),
    });
    if let Some(image) = &record.new_image {
        change["NewImage"] = item_to_json(image);
    }
    if let Some(image) = &record.old_image {
        change["OldImage"] = item_to_json(image);
    }
    let mut entry = json!({
        "eventID": record.event_id_text(),
        "eventName": record.event_name.name(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": change,
    });
    if record.by_service {
        // Time to Live deletes are made by the service itself. The Streams
        // API names the members as its model does (Lambda events lowercase them).
        entry["userIdentity"] = json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"});
    }
    entry
}
