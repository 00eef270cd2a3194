use halyard_engine::{Engine, Error as EngineError};
use serde_json::{json, Map, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::records::{self, ExportRecord};
use crate::transfer::{next_token, token_id};

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
    let after = token
        .map(|token| {
            token_id(token).ok_or_else(|| EngineError::validation("Invalid NextToken provided for ListExports"))
        })
        .transpose()?;
    access::authorize(authorizer, &[access::account_check("dynamodb:ListExports")])?;
    let limit = max.map_or(PAGE, |max| max as usize);
    let mut exports: Vec<ExportRecord> = records::all(engine, records::EXPORT)?;
    exports.reverse();
    let mut listed = exports
        .into_iter()
        .filter(|record| table_arn.is_none_or(|arn| record.table_arn == arn))
        .filter(|record| after.as_ref().is_none_or(|after| record.id < *after));
    let page: Vec<ExportRecord> = listed.by_ref().take(limit).collect();
    let mut response = Map::new();
    response.insert(
        "ExportSummaries".into(),
        Value::Array(page.iter().map(records::export_summary).collect()),
    );
    if let (Some(last), Some(_)) = (page.last(), listed.next()) {
        response.insert("NextToken".into(), json!(next_token(&last.id)));
    }
    Ok(Value::Object(response))
}
