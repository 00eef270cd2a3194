use halyard_engine::expression::condition::Condition;
use halyard_engine::expression::legacy;
use halyard_engine::{Engine, Error as EngineError, ScanInput, Select};
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
    let segment = request.integer("Segment")?;
    violations.range(segment, "segment", 0, Some(999_999));
    let total_segments = request.integer("TotalSegments")?;
    violations.range(total_segments, "totalSegments", 1, Some(1_000_000));
    let scan_filter = legacy_conditions(request, "ScanFilter", &mut violations)?;
    let operator = conditional_operator(request, &mut violations)?;
    let consistent_read = request.boolean("ConsistentRead")?.unwrap_or(false);
    let index_name = request.string("IndexName")?;
    if index_name.is_some() {
        violations.table_name(index_name, "indexName");
    }
    violations.into_result()?;
    let segment = match (segment, total_segments) {
        (Some(segment), Some(total)) => Some((segment as u32, total as u32)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(EngineError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            )
            .into())
        }
        (None, Some(_)) => {
            return Err(EngineError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            )
            .into())
        }
    };
    let placeholders = RequestPlaceholders::parse(request, &["FilterExpression", "ProjectionExpression"])?;
    let mut tracker = placeholders.tracker();
    let projection = projection(request, &mut tracker)?;
    check_conditional_operator(request, scan_filter.as_ref())?;
    let filter = match request.string("FilterExpression")? {
        Some(expression) => Some(Condition::parse(expression, "FilterExpression", &mut tracker)?),
        None => match scan_filter {
            Some(entries) => legacy::filter(&entries, operator)?,
            None => None,
        },
    };
    tracker.check_all_used()?;
    let select = check_select(select, request, false)?;
    let exclusive_start_key = exclusive_start_key.map(item_from_json).transpose()?;

    let page = engine
        .scan(ScanInput {
            table_name: name.to_string(),
            limit: limit.map(|l| l as usize),
            exclusive_start_key,
            filter,
            projection,
            select,
            index_name: index_name.map(str::to_string),
            consistent_read,
            segment,
        })
        .await?;
    Ok(page_response(page, capacity, select == Select::Count))
}
