use halyard_engine::model::Item;
use halyard_engine::{BatchGetTable, Engine, Error as EngineError};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::expressions::{return_consumed_capacity, RequestPlaceholders, ReturnConsumedCapacity};
use super::get_item::{implied_select, projection};
use super::{non_empty_request_items, select_key};
use crate::access::{self, AccessCheck, AttributeNames, Authorizer, KeySchema};
use crate::attribute_value::{item_from_json, item_to_json, ItemsJson};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};
use crate::response::{Response, ResponseWriter};

/// DynamoDB's limit on the keys of one BatchGetItem.
const MAX_KEYS: usize = 100;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Response, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let request_items = request.map("RequestItems")?;
    violations.required(request_items, "requestItems");
    if let Some(request_items) = request_items {
        violations.table_name_keys(request_items, "requestItems");
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    violations.into_result()?;
    let request_items = non_empty_request_items(request_items)?;
    let mut tables = Vec::with_capacity(request_items.len());
    let mut checks = Vec::with_capacity(request_items.len());
    let mut total_keys = 0;
    for (table_name, entry) in request_items {
        let mut table_violations = ConstraintViolations::default();
        let entry = as_object(entry)?;
        let keys = entry.list("Keys")?;
        table_violations.required(keys, &format!("requestItems.{table_name}.member.keys"));
        if keys.is_some_and(|keys| keys.is_empty()) {
            table_violations.add(
                Some("[]"),
                &format!("requestItems.{table_name}.member.keys"),
                "have length greater than or equal to 1",
            );
        }
        if keys.is_some_and(|keys| keys.len() > MAX_KEYS) {
            table_violations.add(
                Some("[...]"),
                &format!("requestItems.{table_name}.member.keys"),
                &format!("have length less than or equal to {MAX_KEYS}"),
            );
        }
        table_violations.into_result()?;
        let placeholders = RequestPlaceholders::parse(entry, &["ProjectionExpression"])?;
        let mut tracker = placeholders.tracker();
        let projection = projection(entry, &format!("requestItems.{table_name}.member."), &mut tracker)?;
        tracker.check_all_used()?;
        let keys = keys
            .expect("required checked")
            .iter()
            .map(|key| match key {
                Value::Object(map) => item_from_json(map),
                other => Err(crate::fields::wrong_type(other, "Map")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        total_keys += keys.len();
        let table = engine.resolve_table_name(table_name, "BatchGetItem")?.to_string();
        let mut attributes = AttributeNames::default();
        for key in &keys {
            attributes.item(key);
        }
        checks.push(AccessCheck {
            leading_keys: KeySchema::of(engine, &table, None).leading_keys(&keys),
            attributes: attributes.projection(projection.as_ref()).take(),
            select: select_key(implied_select(projection.as_ref()), false),
            return_consumed_capacity: capacity.condition_key(),
            ..access::table_check(engine, "dynamodb:BatchGetItem", &table, None)
        });
        tables.push(BatchGetTable {
            table_name: table,
            keys,
            projection,
            consistent_read: entry.boolean("ConsistentRead")?.unwrap_or(false),
        });
    }
    if total_keys > MAX_KEYS {
        return Err(EngineError::validation("Too many items requested for the BatchGetItem call").into());
    }
    access::authorize(authorizer, &checks)?;
    let results = engine.batch_get_item(tables).await?;

    let mut responses = Vec::with_capacity(results.len());
    let mut unprocessed = Map::new();
    let mut consumed = Vec::new();
    for ((table_name, entry), result) in request_items.iter().zip(results) {
        if !result.unprocessed_keys.is_empty() {
            // The table's request as it was, with only the keys not read.
            let mut rest = entry.as_object().cloned().unwrap_or_default();
            rest.insert(
                "Keys".into(),
                Value::Array(result.unprocessed_keys.iter().map(item_to_json).collect()),
            );
            unprocessed.insert(table_name.clone(), Value::Object(rest));
        }
        // Responses and ConsumedCapacity name each table as the request did.
        consumed.extend(result.consumed_capacity.map(|mut capacity| {
            capacity.table_name = table_name.clone();
            capacity
        }));
        responses.push((table_name.as_str(), result.items));
    }
    let mut response = ResponseWriter::new();
    response.member("Responses", &TableItems(&responses));
    response.member("UnprocessedKeys", &unprocessed);
    if capacity != ReturnConsumedCapacity::None {
        response.member(
            "ConsumedCapacity",
            &super::expressions::capacity_list(&consumed, capacity),
        );
    }
    Ok(response.finish())
}

/// Responses: each table's items, by the name the request gave.
struct TableItems<'a>(&'a [(&'a str, Vec<Item>)]);

impl Serialize for TableItems<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(table, items)| (table, ItemsJson(items))))
    }
}
