use halyard_engine::{Engine, Error as EngineError, PutItemInput};
use serde_json::Value;

use super::{attributes_response, refuse_unsupported, return_values, table_name};
use crate::attribute_value::item_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let item = request.map("Item")?;
    violations.required(item, "item");
    let return_values = return_values(request, &mut violations)?;
    violations.into_result()?;
    refuse_unsupported(
        request,
        &["ConditionExpression", "Expected", "ConditionalOperator"],
    )?;
    if request.get("ExpressionAttributeNames").is_some()
        || request.get("ExpressionAttributeValues").is_some()
    {
        return Err(EngineError::validation(
            "ExpressionAttributeNames and ExpressionAttributeValues can only be specified when using expressions",
        )
        .into());
    }
    let item = item_from_json(item.expect("required checked"))?;
    let old = engine
        .put_item(PutItemInput {
            table_name: name.to_string(),
            item,
            return_values,
        })
        .await?;
    Ok(attributes_response(old))
}
