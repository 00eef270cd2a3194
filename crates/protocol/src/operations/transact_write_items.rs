use std::collections::HashMap;

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::update::Update;
use halyard_engine::{Engine, Error as EngineError, TransactOperation, TransactWriteAction, TransactWriteItemsInput};
use serde_json::{Map, Value};

use super::expressions::{
    return_consumed_capacity, return_item_collection_metrics, return_old_on_failure, RequestPlaceholders,
    ReturnConsumedCapacity,
};
use super::{table_name, transact_items};
use crate::attribute_value::item_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let items = transact_items(request, &mut violations)?;
    let token = request.string("ClientRequestToken")?;
    if let Some(token) = token {
        violations.length(token, "clientRequestToken", 1, 36);
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    return_item_collection_metrics(request, &mut violations)?;
    violations.into_result()?;

    let mut actions = Vec::new();
    // Tables by name, and the TableName (name or ARN) that named each.
    let mut given_names = HashMap::new();
    for (position, entry) in items.expect("required checked").iter().enumerate() {
        let entry = as_object(entry)?;
        let kinds = ["Put", "Update", "Delete", "ConditionCheck"];
        let given: Vec<&str> = kinds.into_iter().filter(|kind| entry.get(kind).is_some()).collect();
        let [kind] = given.as_slice() else {
            return Err(
                EngineError::validation("TransactItems can only contain one of Check, Put, Update or Delete").into(),
            );
        };
        let action = entry.object(kind)?.expect("present");
        actions.push(transact_action(engine, kind, action, position + 1, &mut given_names)?);
    }
    // The request itself (what a retry with the same token must repeat).
    let fingerprint = fnv1a(
        serde_json::to_string(request.get("TransactItems").expect("required checked"))
            .unwrap_or_default()
            .as_bytes(),
    );
    let mut output = engine
        .transact_write_items(TransactWriteItemsInput {
            actions,
            client_request_token: token.map(str::to_string),
            fingerprint,
        })
        .await?;
    super::rename_tables(&mut output.consumed_capacity, &given_names);
    let mut response = Map::new();
    if capacity != ReturnConsumedCapacity::None {
        response.insert(
            "ConsumedCapacity".into(),
            super::expressions::transaction_capacity_list(&output.consumed_capacity, capacity),
        );
    }
    Ok(Value::Object(response))
}

fn transact_action(
    engine: &Engine,
    kind: &str,
    action: Fields<'_>,
    position: usize,
    given_names: &mut HashMap<String, String>,
) -> Result<TransactWriteAction, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let given = table_name(action, &mut violations)?;
    let return_old_on_failure = return_old_on_failure(action, &mut violations)?;
    let member = if kind == "Put" { "Item" } else { "Key" };
    let map = action.map(member)?;
    violations.required(
        map,
        &format!("transactItems.{position}.member.{}.{}", lower(kind), lower(member)),
    );
    if kind == "ConditionCheck" {
        violations.required(
            action.string("ConditionExpression")?.as_ref(),
            &format!("transactItems.{position}.member.conditionCheck.conditionExpression"),
        );
    }
    if kind == "Update" {
        violations.required(
            action.string("UpdateExpression")?.as_ref(),
            &format!("transactItems.{position}.member.update.updateExpression"),
        );
    }
    violations.into_result()?;
    let table = engine.resolve_table_name(given, "TransactWriteItems")?.to_string();
    given_names.insert(table.clone(), given.to_string());
    let placeholders = RequestPlaceholders::parse(action, &["ConditionExpression"])?;
    let mut tracker = placeholders.tracker();
    let update = match action.string("UpdateExpression")? {
        Some(expression) => Some(Update::parse(expression, &mut tracker)?),
        None => None,
    };
    let condition = match action.string("ConditionExpression")? {
        Some(expression) => Some(Condition::parse(expression, "ConditionExpression", &mut tracker)?),
        None => None,
    };
    tracker.check_all_used()?;
    let item = item_from_json(map.expect("required checked"))?;
    let operation = match kind {
        "Put" => TransactOperation::Put(item),
        "Update" => TransactOperation::Update {
            key: item,
            update: update.unwrap_or_default(),
        },
        "Delete" => TransactOperation::Delete(item),
        _ => TransactOperation::ConditionCheck(item),
    };
    Ok(TransactWriteAction {
        table_name: table,
        operation,
        condition,
        return_old_on_failure,
    })
}

fn lower(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// FNV-1a: a stable fingerprint of a request.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
        (hash ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
