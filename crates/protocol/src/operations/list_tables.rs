use halyard_engine::{Engine, ListTablesInput};
use serde_json::{Map, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let exclusive_start = request.string("ExclusiveStartTableName")?;
    if exclusive_start.is_some() {
        violations.table_name(exclusive_start, "exclusiveStartTableName");
    }
    let limit = request.integer("Limit")?;
    violations.range(limit, "limit", 1, Some(100));
    violations.into_result()?;
    access::authorize(authorizer, &[access::account_check("dynamodb:ListTables")])?;

    let output = engine.list_tables(ListTablesInput {
        exclusive_start_table_name: exclusive_start.map(str::to_string),
        limit: limit.map(|l| l as usize),
    });
    let mut response = Map::new();
    response.insert("TableNames".into(), output.table_names.into());
    if let Some(last) = output.last_evaluated_table_name {
        response.insert("LastEvaluatedTableName".into(), last.into());
    }
    Ok(Value::Object(response))
}
