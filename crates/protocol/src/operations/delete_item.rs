use halyard_engine::{DeleteItemInput, Engine};
use serde_json::Value;

use super::expressions::{
    conditional_operator, legacy_conditions, return_consumed_capacity, return_item_collection_metrics,
    return_old_on_failure, write_condition, RequestPlaceholders,
};
use super::{return_values, table_name, write_response};
use crate::attribute_value::item_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

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
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(request, &["ConditionExpression"])?;
    let mut tracker = placeholders.tracker();
    let condition = write_condition(request, &mut tracker, expected, operator)?;
    tracker.check_all_used()?;
    let key = item_from_json(key.expect("required checked"))?;

    let output = engine
        .delete_item(DeleteItemInput {
            table_name: name.to_string(),
            key,
            condition,
            return_values,
            return_old_on_failure,
        })
        .await?;
    Ok(write_response(output, capacity, collection_metrics))
}
