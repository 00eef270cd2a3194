use std::collections::HashMap;

use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::update::Update;
use halyard_engine::{Engine, Error as EngineError, TransactOperation, TransactWriteAction, TransactWriteItemsInput};
use serde_json::{Map, Value};

use super::expressions::{
    return_consumed_capacity, return_item_collection_metrics, return_old_on_failure, RequestPlaceholders,
    ReturnConsumedCapacity,
};
use super::transact_items;
use crate::access::{self, AccessCheck, AttributeNames, Authorizer, KeySchema};
use crate::attribute_value::item_from_json;
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
    // The actions' own member constraints are reported with the request's.
    let mut members = Vec::new();
    for (position, entry) in items.into_iter().flatten().enumerate() {
        let entry = as_object(entry)?;
        let kinds = ["Put", "Update", "Delete", "ConditionCheck"];
        let given: Vec<&str> = kinds.into_iter().filter(|kind| entry.get(kind).is_some()).collect();
        let [kind] = given.as_slice() else {
            return Err(
                EngineError::validation("TransactItems can only contain one of Check, Put, Update or Delete").into(),
            );
        };
        let action = entry.object(kind)?.expect("present");
        members.push(ActionMembers::check(kind, action, position + 1, &mut violations)?);
    }
    let token = request.string("ClientRequestToken")?;
    if let Some(token) = token {
        violations.length(token, "clientRequestToken", 1, 36);
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    return_item_collection_metrics(request, &mut violations)?;
    violations.into_result()?;

    // Tables by name, and the TableName (name or ARN) that named each.
    let mut given_names = HashMap::new();
    let actions = members
        .into_iter()
        .map(|members| members.into_action(engine, &mut given_names))
        .collect::<Result<Vec<_>, _>>()?;
    let checks: Vec<AccessCheck> = actions
        .iter()
        .map(|action| access_check(engine, action, capacity))
        .collect();
    access::authorize(authorizer, &checks)?;
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

/// One action's members, their constraints checked.
struct ActionMembers<'a> {
    kind: &'a str,
    action: Fields<'a>,
    table_name: &'a str,
    item_or_key: Option<&'a Map<String, Value>>,
    return_old_on_failure: bool,
}

impl<'a> ActionMembers<'a> {
    /// Adds the action's constraint violations, named by their full member
    /// path (`transactItems.2.member.update.tableName`).
    fn check(
        kind: &'a str,
        action: Fields<'a>,
        position: usize,
        violations: &mut ConstraintViolations,
    ) -> Result<Self, ProtocolError> {
        let path = format!("transactItems.{position}.member.{}", lower(kind));
        let table_name = action.string("TableName")?;
        violations.table_name_or_arn(table_name, &format!("{path}.tableName"));
        let member = if kind == "Put" { "Item" } else { "Key" };
        let item_or_key = action.map(member)?;
        violations.required(item_or_key, &format!("{path}.{}", lower(member)));
        if kind == "ConditionCheck" {
            violations.required(
                action.string("ConditionExpression")?.as_ref(),
                &format!("{path}.conditionExpression"),
            );
        }
        if kind == "Update" {
            violations.required(
                action.string("UpdateExpression")?.as_ref(),
                &format!("{path}.updateExpression"),
            );
        }
        let return_old_on_failure = return_old_on_failure(action, &format!("{path}."), violations)?;
        Ok(ActionMembers {
            kind,
            action,
            table_name: table_name.unwrap_or_default(),
            item_or_key,
            return_old_on_failure,
        })
    }

    fn into_action(
        self,
        engine: &Engine,
        given_names: &mut HashMap<String, String>,
    ) -> Result<TransactWriteAction, ProtocolError> {
        let action = self.action;
        let table = engine
            .resolve_table_name(self.table_name, "TransactWriteItems")?
            .to_string();
        given_names.insert(table.clone(), self.table_name.to_string());
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
        let item = item_from_json(self.item_or_key.expect("required checked"))?;
        let operation = match self.kind {
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
            return_old_on_failure: self.return_old_on_failure,
        })
    }
}

/// The check of one action: the single-item action it stands for.
fn access_check(engine: &Engine, action: &TransactWriteAction, capacity: ReturnConsumedCapacity) -> AccessCheck {
    let (iam_action, target, update) = match &action.operation {
        TransactOperation::Put(item) => ("dynamodb:PutItem", item, None),
        TransactOperation::Update { key, update } => ("dynamodb:UpdateItem", key, Some(update)),
        TransactOperation::Delete(key) => ("dynamodb:DeleteItem", key, None),
        TransactOperation::ConditionCheck(key) => ("dynamodb:ConditionCheckItem", key, None),
    };
    AccessCheck {
        leading_keys: KeySchema::of(engine, &action.table_name, None).leading_keys([target]),
        attributes: AttributeNames::default()
            .item(target)
            .update(update)
            .condition(action.condition.as_ref())
            .take(),
        return_consumed_capacity: capacity.condition_key(),
        enclosing_operation: Some("TransactWriteItems"),
        ..access::table_check(engine, iam_action, &action.table_name, None)
    }
}

fn lower(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// FNV-1a: a stable fingerprint of a request.
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
        (hash ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
