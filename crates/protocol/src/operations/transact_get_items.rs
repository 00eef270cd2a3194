use std::collections::HashMap;

use halyard_engine::{Engine, TransactGet};
use serde_json::{json, Map, Value};

use super::expressions::{return_consumed_capacity, RequestPlaceholders, ReturnConsumedCapacity};
use super::get_item::{implied_select, projection};
use super::select_key;
use super::transact_items;
use crate::access::{self, AccessCheck, AttributeNames, Authorizer, KeySchema};
use crate::attribute_value::{item_from_json, item_to_json};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let items = transact_items(request, &mut violations)?;
    // Each Get's member constraints are reported with the request's, named
    // by their full path (`transactItems.1.member.get.key`).
    let mut members = Vec::new();
    for (position, entry) in items.into_iter().flatten().enumerate() {
        let path = format!("transactItems.{}.member.get", position + 1);
        let get = as_object(entry)?.object("Get")?;
        violations.required(get.as_ref(), &path);
        let Some(get) = get else { continue };
        let table = get.string("TableName")?;
        violations.table_name_or_arn(table, &format!("{path}.tableName"));
        let key = get.map("Key")?;
        violations.required(key, &format!("{path}.key"));
        members.push((get, table.unwrap_or_default(), key));
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    violations.into_result()?;
    let mut gets = Vec::new();
    let mut checks = Vec::new();
    // Tables by name, and the TableName (name or ARN) that named each.
    let mut given_names = HashMap::new();
    for (get, given, key) in members {
        let table = engine.resolve_table_name(given, "TransactGetItems")?.to_string();
        given_names.insert(table.clone(), given.to_string());
        let placeholders = RequestPlaceholders::parse(get, &["ProjectionExpression"])?;
        let mut tracker = placeholders.tracker();
        let projection = projection(get, "", &mut tracker)?;
        tracker.check_all_used()?;
        let key = item_from_json(key.expect("required checked"))?;
        checks.push(AccessCheck {
            leading_keys: KeySchema::of(engine, &table, None).leading_keys([&key]),
            attributes: AttributeNames::default()
                .item(&key)
                .projection(projection.as_ref())
                .take(),
            select: select_key(implied_select(projection.as_ref()), false),
            return_consumed_capacity: capacity.condition_key(),
            enclosing_operation: Some("TransactGetItems"),
            ..access::table_check(engine, "dynamodb:GetItem", &table, None)
        });
        gets.push(TransactGet {
            table_name: table,
            key,
            projection,
        });
    }
    access::authorize(authorizer, &checks)?;
    let mut output = engine.transact_get_items(gets).await?;
    super::rename_tables(&mut output.consumed_capacity, &given_names);
    Ok(read_responses(&output.items, &output.consumed_capacity, capacity))
}

/// A transaction's reads as answered (TransactGetItems, and a read
/// ExecuteTransaction): one `Item` (or nothing) per read, in order, and the
/// capacity when asked for.
pub(super) fn read_responses(
    items: &[Option<halyard_engine::model::Item>],
    consumed: &[halyard_engine::ConsumedCapacity],
    capacity: ReturnConsumedCapacity,
) -> Value {
    let responses: Vec<Value> = items
        .iter()
        .map(|item| match item {
            Some(item) => json!({ "Item": item_to_json(item) }),
            None => json!({}),
        })
        .collect();
    let mut response = Map::new();
    response.insert("Responses".into(), Value::Array(responses));
    if capacity != ReturnConsumedCapacity::None {
        response.insert(
            "ConsumedCapacity".into(),
            super::expressions::transaction_capacity_list(consumed, capacity),
        );
    }
    Value::Object(response)
}
