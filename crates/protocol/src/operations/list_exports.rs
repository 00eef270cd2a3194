use halyard_engine::Engine;
use serde_json::{json, Map, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::records::{self, ExportRecord};
use crate::transfer::{list_page, listed_after};

/// Exports listed per page when MaxResults is not given.
const PAGE: usize = 25;

/// ListExports: newest first, of one table or of all.
pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let table_arn = request.string("TableArn")?;
    if let Some(arn) = table_arn {
        violations.length(arn, "tableArn", 1, 1024);
    }
    let max = request.integer("MaxResults")?;
    violations.range(max, "maxResults", 1, Some(25));
    let token = request.string("NextToken")?;
    violations.into_result()?;
    let after = listed_after(token, "ListExports")?;
    access::authorize(authorizer, &[access::account_check("dynamodb:ListExports")])?;
    let limit = max.map_or(PAGE, |max| max as usize);
    let exports: Vec<ExportRecord> = records::all(engine, records::EXPORT)?;
    let (page, next) = list_page(exports, table_arn, after, limit);
    let mut response = Map::new();
    response.insert(
        "ExportSummaries".into(),
        Value::Array(page.iter().map(records::export_summary).collect()),
    );
    if let Some(next) = next {
        response.insert("NextToken".into(), json!(next));
    }
    Ok(Value::Object(response))
}
