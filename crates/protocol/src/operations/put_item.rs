use halyard_engine::{Engine, PutItemInput};

use super::expressions::RequestPlaceholders;
use super::write_request::WriteRequest;
use super::write_response;
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<crate::Response, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let mut write = WriteRequest::parse(request, "Item", &mut violations)?;
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(request, &["ConditionExpression"])?;
    let mut tracker = placeholders.tracker();
    let condition = write.condition(request, &mut tracker)?;
    tracker.check_all_used()?;

    let table = engine.resolve_table_name(write.table_name, "PutItem")?;
    let item = write.target()?;
    let check = write.access_check(engine, "dynamodb:PutItem", table, &item, condition.as_ref(), None);
    access::authorize(authorizer, &[check])?;

    let output = engine
        .put_item(PutItemInput {
            table_name: table.to_string(),
            item,
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
