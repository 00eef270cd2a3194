use halyard_engine::Engine;
use serde_json::{json, Value};

use super::{authorize_table, table_name};
use crate::access::Authorizer;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    violations.into_result()?;
    let name = engine.resolve_table_name(name, "DescribeContinuousBackups")?;
    authorize_table(engine, authorizer, "dynamodb:DescribeContinuousBackups", name)?;
    engine.describe_continuous_backups(name)?;
    // What DynamoDB reports for a table without point-in-time recovery.
    Ok(json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": { "PointInTimeRecoveryStatus": "DISABLED" },
        }
    }))
}
