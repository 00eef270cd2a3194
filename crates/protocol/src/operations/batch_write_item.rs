use std::collections::HashMap;

use halyard_engine::model::Item;
use halyard_engine::{BatchWriteRequest, Engine, Error as EngineError};
use serde_json::{json, Map, Value};

use super::expressions::{return_consumed_capacity, return_item_collection_metrics, ReturnConsumedCapacity};
use super::non_empty_request_items;
use crate::access::{self, AccessCheck, AttributeNames, Authorizer, KeySchema};
use crate::attribute_value::{item_from_json, item_to_json};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

/// DynamoDB's limit on the requests of one BatchWriteItem.
const MAX_REQUESTS: usize = 25;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let request_items = request.map("RequestItems")?;
    violations.required(request_items, "requestItems");
    let capacity = return_consumed_capacity(request, &mut violations)?;
    return_item_collection_metrics(request, &mut violations)?;
    violations.into_result()?;
    let request_items = non_empty_request_items(request_items)?;
    let mut requests = Vec::new();
    let mut checks = Vec::with_capacity(request_items.len());
    // Tables by name, and the RequestItems key (name or ARN) that named each.
    let mut given_names = HashMap::with_capacity(request_items.len());
    for (given, list) in request_items {
        let mut table_violations = ConstraintViolations::default();
        table_violations.table_name_or_arn(Some(given), "requestItems.key");
        table_violations.into_result()?;
        let table_name = engine.resolve_table_name(given, "BatchWriteItem")?.to_string();
        given_names.insert(table_name.clone(), given.clone());
        let Value::Array(list) = list else {
            return Err(ProtocolError::Serialization(
                "Unexpected value type in payload: RequestItems entries are lists".into(),
            ));
        };
        if list.is_empty() || list.len() > MAX_REQUESTS {
            let shown = if list.is_empty() {
                String::new()
            } else {
                "...".to_string()
            };
            return Err(EngineError::validation(format!(
                "1 validation error detected: Value '{{{table_name}=[{shown}]}}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
            ))
            .into());
        }
        let first_of_table = requests.len();
        for entry in list {
            let entry = as_object(entry)?;
            match (entry.object("PutRequest")?, entry.object("DeleteRequest")?) {
                (Some(put), None) => {
                    let item = put.map("Item")?.ok_or_else(|| {
                        ProtocolError::from(EngineError::validation(
                            "1 validation error detected: Value null at 'requestItems.member.putRequest.item' failed to satisfy constraint: Member must not be null",
                        ))
                    })?;
                    requests.push(BatchWriteRequest::Put { table_name: table_name.clone(), item: item_from_json(item)? });
                }
                (None, Some(delete)) => {
                    let key = delete.map("Key")?.ok_or_else(|| {
                        ProtocolError::from(EngineError::validation(
                            "1 validation error detected: Value null at 'requestItems.member.deleteRequest.key' failed to satisfy constraint: Member must not be null",
                        ))
                    })?;
                    requests.push(BatchWriteRequest::Delete { table_name: table_name.clone(), key: item_from_json(key)? });
                }
                _ => {
                    return Err(EngineError::validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    )
                    .into())
                }
            }
        }
        checks.push(access_check(engine, &table_name, &requests[first_of_table..], capacity));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(EngineError::validation("Too many items requested for the BatchWriteItem call").into());
    }
    access::authorize(authorizer, &checks)?;
    let mut output = engine.batch_write_item(requests).await?;
    super::rename_tables(&mut output.consumed_capacity, &given_names);
    let mut response = Map::new();
    // Requests refused for throughput, for the caller to send again.
    let mut unprocessed: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for request in &output.unprocessed {
        let (table_name, entry) = match request {
            BatchWriteRequest::Put { table_name, item } => {
                (table_name, json!({ "PutRequest": { "Item": item_to_json(item) } }))
            }
            BatchWriteRequest::Delete { table_name, key } => {
                (table_name, json!({ "DeleteRequest": { "Key": item_to_json(key) } }))
            }
        };
        unprocessed.entry(table_name.clone()).or_default().push(entry);
    }
    response.insert("UnprocessedItems".into(), json!(unprocessed));
    if capacity != ReturnConsumedCapacity::None {
        response.insert(
            "ConsumedCapacity".into(),
            super::expressions::capacity_list(&output.consumed_capacity, capacity),
        );
    }
    Ok(Value::Object(response))
}

/// The check of one table's puts and deletes.
fn access_check(
    engine: &Engine,
    table: &str,
    requests: &[BatchWriteRequest],
    capacity: ReturnConsumedCapacity,
) -> AccessCheck {
    let targets: Vec<&Item> = requests
        .iter()
        .map(|request| match request {
            BatchWriteRequest::Put { item, .. } => item,
            BatchWriteRequest::Delete { key, .. } => key,
        })
        .collect();
    let mut attributes = AttributeNames::default();
    for target in &targets {
        attributes.item(target);
    }
    AccessCheck {
        leading_keys: KeySchema::of(engine, table, None).leading_keys(targets.iter().copied()),
        attributes: attributes.take(),
        return_consumed_capacity: capacity.condition_key(),
        ..access::table_check(engine, "dynamodb:BatchWriteItem", table, None)
    }
}
