use halyard_engine::Engine;
use serde_json::{json, Value};

use super::{authorize_table, table_description, table_name};
use crate::access::Authorizer;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    violations.into_result()?;
    let name = engine.resolve_table_name(name, "DeleteTable")?;
    authorize_table(engine, authorizer, "dynamodb:DeleteTable", name)?;
    let description = engine.delete_table(name).await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
