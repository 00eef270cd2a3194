use halyard_engine::Engine;
use serde_json::{json, Value};

use super::backup_description::{self, backup_arn};
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
    let arn = backup_arn(request, &mut violations)?;
    violations.into_result()?;
    access::authorize(authorizer, &[access::arn_check("dynamodb:DescribeBackup", arn)])?;
    let record = engine.describe_backup(arn)?;
    Ok(json!({ "BackupDescription": backup_description::description(&record) }))
}
