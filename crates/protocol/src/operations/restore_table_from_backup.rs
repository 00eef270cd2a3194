use halyard_engine::Engine;
use serde_json::{json, Value};

use super::backup_description::backup_arn;
use super::{restore_overrides, table_description};
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let target = restore_overrides::target_table_name(request, &mut violations)?;
    let arn = backup_arn(request, &mut violations)?;
    let overrides = restore_overrides::parse(request, &mut violations)?;
    violations.into_result()?;
    // The backup is read, and the target table written.
    let action = "dynamodb:RestoreTableFromBackup";
    access::authorize(
        authorizer,
        &[
            access::arn_check(action, arn),
            access::table_check(engine, action, target, None),
        ],
    )?;
    super::sse_specification::authorize_key(authorizer, &overrides.sse, target)?;
    let description = engine.restore_table_from_backup(arn, target, &overrides).await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
