use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::{key_condition, legacy};
use halyard_engine::{Engine, Error as EngineError, QueryInput, Select};
use serde_json::Value;

use super::expressions::{
    check_conditional_operator, conditional_operator, legacy_conditions, return_consumed_capacity, RequestPlaceholders,
};
use super::get_item::projection;
use super::{check_select, page_response, select, table_name};
use crate::attribute_value::item_from_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let limit = request.integer("Limit")?;
    violations.range(limit, "limit", 1, None);
    let select = select(request, &mut violations)?;
    let exclusive_start_key = request.map("ExclusiveStartKey")?;
    let capacity = return_consumed_capacity(request, &mut violations)?;
    let key_conditions = legacy_conditions(request, "KeyConditions", &mut violations)?;
    let query_filter = legacy_conditions(request, "QueryFilter", &mut violations)?;
    let operator = conditional_operator(request, &mut violations)?;
    let consistent_read = request.boolean("ConsistentRead")?.unwrap_or(false);
    let scan_index_forward = request.boolean("ScanIndexForward")?.unwrap_or(true);
    let index_name = request.string("IndexName")?;
    if index_name.is_some() {
        violations.table_name(index_name, "indexName");
    }
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(
        request,
        &["KeyConditionExpression", "FilterExpression", "ProjectionExpression"],
    )?;
    let mut tracker = placeholders.tracker();
    let key_terms = match (request.string("KeyConditionExpression")?, key_conditions) {
        (Some(expression), _) => key_condition::parse(expression, &mut tracker)?,
        (None, Some(entries)) => legacy::key_conditions(&entries)?,
        (None, None) => {
            return Err(EngineError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            )
            .into())
        }
    };
    let projection = projection(request, &mut tracker)?;
    check_conditional_operator(request, query_filter.as_ref())?;
    let legacy_filter = query_filter.is_some();
    let filter = match request.string("FilterExpression")? {
        Some(expression) => Some(Condition::parse(expression, "FilterExpression", &mut tracker)?),
        None => match query_filter {
            Some(entries) => legacy::filter(&entries, operator)?,
            None => None,
        },
    };
    tracker.check_all_used()?;
    let select = check_select(select, request, true)?;
    let exclusive_start_key = exclusive_start_key.map(item_from_json).transpose()?;

    let page = engine
        .query(QueryInput {
            table_name: name.to_string(),
            key_terms,
            scan_index_forward,
            limit: limit.map(|l| l as usize),
            exclusive_start_key,
            filter,
            legacy_filter,
            projection,
            select,
            index_name: index_name.map(str::to_string),
            consistent_read,
        })
        .await?;
    Ok(page_response(page, capacity, select == Select::Count))
}
