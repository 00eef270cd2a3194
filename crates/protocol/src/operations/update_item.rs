use halyard_engine::expression::legacy::{self, AttributeAction, AttributeUpdate};
use halyard_engine::expression::update::Update;
use halyard_engine::{Engine, UpdateItemInput};
use serde_json::Value;

use super::expressions::{
    conditional_operator, legacy_conditions, return_consumed_capacity, return_item_collection_metrics,
    return_old_on_failure, write_condition, RequestPlaceholders,
};
use super::{return_values, table_name, write_response};
use crate::attribute_value::{item_from_json, value_from_json};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

const ATTRIBUTE_ACTIONS: &[(&str, AttributeAction)] = &[
    ("ADD", AttributeAction::Add),
    ("PUT", AttributeAction::Put),
    ("DELETE", AttributeAction::Delete),
];

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let key = request.map("Key")?;
    violations.required(key, "key");
    let return_values = return_values(request, &mut violations)?;
    let capacity = return_consumed_capacity(request, &mut violations)?;
    let collection_metrics = return_item_collection_metrics(request, &mut violations)?;
    let return_old_on_failure = return_old_on_failure(request, &mut violations)?;
    let expected = legacy_conditions(request, "Expected", &mut violations)?;
    let operator = conditional_operator(request, &mut violations)?;
    let mut attribute_updates = None;
    if let Some(map) = request.map("AttributeUpdates")? {
        let mut updates = Vec::with_capacity(map.len());
        for (attribute, entry) in map {
            let entry = as_object(entry)?;
            let action = violations.one_of(
                entry.string("Action")?,
                &format!("attributeUpdates.{attribute}.member.action"),
                ATTRIBUTE_ACTIONS,
            );
            updates.push(AttributeUpdate {
                attribute: attribute.clone(),
                action: action.unwrap_or_default(),
                value: entry.get("Value").map(value_from_json).transpose()?,
            });
        }
        attribute_updates = Some(updates);
    }
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(request, &["UpdateExpression", "ConditionExpression"])?;
    let mut tracker = placeholders.tracker();
    let update = match (request.string("UpdateExpression")?, attribute_updates) {
        (Some(expression), _) => Some(Update::parse(expression, &mut tracker)?),
        (None, Some(updates)) => Some(legacy::attribute_updates(&updates)?),
        (None, None) => None,
    };
    let condition = write_condition(request, &mut tracker, expected, operator)?;
    tracker.check_all_used()?;
    let key = item_from_json(key.expect("required checked"))?;

    let output = engine
        .update_item(UpdateItemInput {
            table_name: name.to_string(),
            key,
            update,
            condition,
            return_values,
            return_old_on_failure,
        })
        .await?;
    Ok(write_response(output, capacity, collection_metrics))
}
