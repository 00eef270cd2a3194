use halyard_engine::{Engine, PutItemInput};
use serde_json::Value;

use super::expressions::RequestPlaceholders;
use super::write_request::WriteRequest;
use super::write_response;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let mut write = WriteRequest::parse(request, "Item", &mut violations)?;
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(request, &["ConditionExpression"])?;
    let mut tracker = placeholders.tracker();
    let condition = write.condition(request, &mut tracker)?;
    tracker.check_all_used()?;

    let output = engine
        .put_item(PutItemInput {
            table_name: engine.resolve_table_name(write.table_name, "PutItem")?.to_string(),
            item: write.target()?,
            condition,
            return_values: write.return_values,
            return_old_on_failure: write.return_old_on_failure,
        })
        .await?;
    Ok(write_response(
        output,
        write.table_name,
        write.capacity,
        write.collection_metrics,
    ))
}
