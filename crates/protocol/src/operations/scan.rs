use halyard_engine::{Engine, Error as EngineError, ScanInput, Select};

use super::expressions::RequestPlaceholders;
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
    let mut page = PageRequest::parse(request, "ScanFilter", &mut violations)?;
    let segment = request.integer("Segment")?;
    violations.range(segment, "segment", 0, Some(999_999));
    let total_segments = request.integer("TotalSegments")?;
    violations.range(total_segments, "totalSegments", 1, Some(1_000_000));
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
    let expressions = page.expressions(request, &mut tracker)?;
    tracker.check_all_used()?;

    let table = engine.resolve_table_name(page.table_name, "Scan")?;
    let check = page.access_check(engine, "dynamodb:Scan", table, &expressions, None);
    access::authorize(authorizer, &[check])?;

    let result = engine
        .scan(ScanInput {
            table_name: table.to_string(),
            limit: page.limit,
            exclusive_start_key: page.exclusive_start_key()?,
            filter: expressions.filter,
            projection: expressions.projection,
            select: expressions.select,
            index_name: page.index_name.map(str::to_string),
            consistent_read: page.consistent_read,
            segment,
        })
        .await?;
    Ok(page_response(
        result,
        page.table_name,
        page.capacity,
        expressions.select == Select::Count,
    ))
}
