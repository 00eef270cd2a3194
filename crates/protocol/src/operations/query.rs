use halyard_engine::expression::{key_condition, legacy};
use halyard_engine::{Engine, Error as EngineError, QueryInput, Select};

use super::expressions::{legacy_conditions, RequestPlaceholders};
use super::page_request::PageRequest;
use super::page_response;
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
    let mut page = PageRequest::parse(request, "QueryFilter", &mut violations)?;
    let key_conditions = legacy_conditions(request, "KeyConditions", &mut violations)?;
    let scan_index_forward = request.boolean("ScanIndexForward")?.unwrap_or(true);
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
    let expressions = page.expressions(request, &mut tracker)?;
    tracker.check_all_used()?;

    let table = engine.resolve_table_name(page.table_name, "Query")?;
    let check = page.access_check(engine, "dynamodb:Query", table, &expressions, Some(&key_terms));
    access::authorize(authorizer, &[check])?;

    let result = engine
        .query(QueryInput {
            table_name: table.to_string(),
            key_terms,
            scan_index_forward,
            limit: page.limit,
            exclusive_start_key: page.exclusive_start_key()?,
            filter: expressions.filter,
            legacy_filter: expressions.legacy_filter,
            projection: expressions.projection,
            select: expressions.select,
            index_name: page.index_name.map(str::to_string),
            consistent_read: page.consistent_read,
        })
        .await?;
    Ok(page_response(
        result,
        page.table_name,
        page.capacity,
        expressions.select == Select::Count,
    ))
}
