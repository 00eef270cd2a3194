use halyard_engine::{Engine, Error as EngineError};
use serde_json::{json, Map, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::records::{self, ImportRecord};
use crate::transfer::{next_token, token_id};

/// Imports listed per page when PageSize is not given.
const PAGE: usize = 25;

/// ListImports: newest first, of one table or of all.
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
    let size = request.integer("PageSize")?;
    violations.range(size, "pageSize", 1, Some(25));
    let token = request.string("NextToken")?;
    if let Some(token) = token {
        violations.length(token, "nextToken", 112, 1024);
    }
    violations.into_result()?;
    let after = token
        .map(|token| {
            token_id(token).ok_or_else(|| EngineError::validation("Invalid NextToken provided for ListImports"))
        })
        .transpose()?;
    access::authorize(authorizer, &[access::account_check("dynamodb:ListImports")])?;
    let limit = size.map_or(PAGE, |size| size as usize);
    let mut imports: Vec<ImportRecord> = records::all(engine, records::IMPORT)?;
    imports.reverse();
    let mut listed = imports
        .into_iter()
        .filter(|record| table_arn.is_none_or(|arn| record.table_arn == arn))
        .filter(|record| after.as_ref().is_none_or(|after| record.id < *after));
    let page: Vec<ImportRecord> = listed.by_ref().take(limit).collect();
    let mut response = Map::new();
    response.insert(
        "ImportSummaryList".into(),
        Value::Array(page.iter().map(records::import_summary).collect()),
    );
    if let (Some(last), Some(_)) = (page.last(), listed.next()) {
        response.insert("NextToken".into(), json!(next_token(&last.id)));
    }
    Ok(Value::Object(response))
}
