use halyard_engine::Engine;
use serde_json::{json, Map, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::records::{self, ImportRecord};
use crate::transfer::{list_page, listed_after};

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
    let after = listed_after(token, "ListImports")?;
    access::authorize(authorizer, &[access::account_check("dynamodb:ListImports")])?;
    let limit = size.map_or(PAGE, |size| size as usize);
    let imports: Vec<ImportRecord> = records::all(engine, records::IMPORT)?;
    let (page, next) = list_page(imports, table_arn, after, limit);
    let mut response = Map::new();
    response.insert(
        "ImportSummaryList".into(),
        Value::Array(page.iter().map(records::import_summary).collect()),
    );
    if let Some(next) = next {
        response.insert("NextToken".into(), json!(next));
    }
    Ok(Value::Object(response))
}
