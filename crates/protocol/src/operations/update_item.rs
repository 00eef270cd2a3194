use halyard_engine::expression::legacy::{self, AttributeAction, AttributeUpdate};
use halyard_engine::expression::update::Update;
use halyard_engine::{Engine, UpdateItemInput};

use super::expressions::RequestPlaceholders;
use super::write_request::WriteRequest;
use super::write_response;
use crate::access::{self, Authorizer};
use crate::attribute_value::value_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

const ATTRIBUTE_ACTIONS: &[(&str, AttributeAction)] = &[
    ("ADD", AttributeAction::Add),
    ("PUT", AttributeAction::Put),
    ("DELETE", AttributeAction::Delete),
];

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<crate::Response, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let mut write = WriteRequest::parse(request, "Key", &mut violations)?;
    let attribute_updates = attribute_updates(request, &mut violations)?;
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(request, &["UpdateExpression", "ConditionExpression"])?;
    let mut tracker = placeholders.tracker();
    let update = match (request.string("UpdateExpression")?, attribute_updates) {
        (Some(expression), _) => Some(Update::parse(expression, &mut tracker)?),
        (None, Some(updates)) => Some(legacy::attribute_updates(&updates)?),
        (None, None) => None,
    };
    let condition = write.condition(request, &mut tracker)?;
    tracker.check_all_used()?;

    let table = engine.resolve_table_name(write.table_name, "UpdateItem")?;
    let key = write.target()?;
    let check = write.access_check(
        engine,
        "dynamodb:UpdateItem",
        table,
        &key,
        condition.as_ref(),
        update.as_ref(),
    );
    access::authorize(authorizer, &[check])?;

    let output = engine
        .update_item(UpdateItemInput {
            table_name: table.to_string(),
            key,
            update,
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

/// The legacy AttributeUpdates.
fn attribute_updates(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<Option<Vec<AttributeUpdate>>, ProtocolError> {
    let Some(map) = request.map("AttributeUpdates")? else {
        return Ok(None);
    };
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
    Ok(Some(updates))
}
