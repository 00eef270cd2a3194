use halyard_engine::Engine;
use serde_json::{json, Value};

use super::table_name;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    violations.into_result()?;
    engine.describe_continuous_backups(engine.resolve_table_name(name, "DescribeContinuousBackups")?)?;
    // What DynamoDB reports for a table without point-in-time recovery.
    Ok(json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": { "PointInTimeRecoveryStatus": "DISABLED" },
        }
    }))
}
