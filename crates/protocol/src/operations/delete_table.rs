use halyard_engine::Engine;
use serde_json::{json, Value};

use super::{table_description, table_name};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    violations.into_result()?;
    let description = engine
        .delete_table(engine.resolve_table_name(name, "DeleteTable")?)
        .await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
