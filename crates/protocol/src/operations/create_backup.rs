use halyard_engine::Engine;
use serde_json::{json, Value};

use super::{authorize_table, backup_description, table_name};
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
    let backup_name = request.string("BackupName")?;
    violations.table_name(backup_name, "backupName");
    violations.into_result()?;
    let name = engine.resolve_table_name(name, "CreateBackup")?;
    authorize_table(engine, authorizer, "dynamodb:CreateBackup", name)?;
    let record = engine.create_backup(name, backup_name.unwrap_or_default()).await?;
    Ok(json!({ "BackupDetails": backup_description::details(&record) }))
}
