use halyard_engine::{DeleteItemInput, Engine};
use serde_json::Value;

use super::{attributes_response, refuse_unsupported, return_values, table_name};
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
    violations.into_result()?;
    refuse_unsupported(
        request,
        &["ConditionExpression", "Expected", "ConditionalOperator"],
    )?;
    let key = item_from_json(key.expect("required checked"))?;
    let old = engine
        .delete_item(DeleteItemInput {
            table_name: name.to_string(),
            key,
            return_values,
        })
        .await?;
    Ok(attributes_response(old))
}
