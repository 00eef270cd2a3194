use std::collections::HashMap;

use halyard_engine::expression::projection::Projection;
use halyard_engine::expression::ExpressionNames;
use halyard_engine::{Engine, Error as EngineError, GetItemInput};
use serde_json::{json, Value};

use super::table_name;
use crate::attribute_value::{item_from_json, item_to_json};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let key = request.map("Key")?;
    violations.required(key, "key");
    let consistent_read = request.boolean("ConsistentRead")?.unwrap_or(false);
    violations.into_result()?;
    let key = item_from_json(key.expect("required checked"))?;

    let projection = projection(request)?;
    let item = engine
        .get_item(GetItemInput {
            table_name: name.to_string(),
            key,
            projection,
            consistent_read,
        })
        .await?;
    Ok(match item {
        Some(item) => json!({ "Item": item_to_json(&item) }),
        None => json!({}),
    })
}

/// ProjectionExpression (with ExpressionAttributeNames) or the legacy
/// AttributesToGet, as GetItem, Query and Scan accept them.
pub(super) fn projection(request: Fields<'_>) -> Result<Option<Projection>, ProtocolError> {
    let projection_expression = request.string("ProjectionExpression")?;
    let attributes_to_get = request.string_list("AttributesToGet")?;
    let names = request.string_map("ExpressionAttributeNames")?;
    Ok(match (projection_expression, attributes_to_get) {
        (Some(_), Some(_)) => {
            return Err(EngineError::validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            )
            .into())
        }
        (None, Some(names)) if names.is_empty() => {
            return Err(EngineError::validation("AttributesToGet cannot be empty").into())
        }
        (None, Some(names)) => Some(Projection::from_attribute_names(&names)),
        (Some(expression), None) => {
            let empty = HashMap::new();
            let mut tracked = ExpressionNames::new(names.as_ref().unwrap_or(&empty));
            let projection = Projection::parse(expression, &mut tracked)?;
            tracked.check_all_used()?;
            Some(projection)
        }
        (None, None) => {
            if names.is_some() {
                return Err(EngineError::validation(
                    "ExpressionAttributeNames can only be specified when using expressions",
                )
                .into());
            }
            None
        }
    })
}
