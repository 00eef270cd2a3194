use halyard_engine::{BackupTypeFilter, Engine, ListBackupsInput};
use serde_json::{json, Map, Value};

use super::backup_description;
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

const BACKUP_TYPES: &[(&str, BackupTypeFilter)] = &[
    ("USER", BackupTypeFilter::User),
    ("SYSTEM", BackupTypeFilter::System),
    ("AWS_BACKUP", BackupTypeFilter::AwsBackup),
    ("ALL", BackupTypeFilter::All),
];

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let table_name = request.string("TableName")?;
    if table_name.is_some() {
        violations.table_name_or_arn(table_name, "tableName");
    }
    let limit = request.integer("Limit")?;
    violations.range(limit, "limit", 1, Some(100));
    let start = request.string("ExclusiveStartBackupArn")?;
    if let Some(start) = start {
        violations.length(start, "exclusiveStartBackupArn", 37, 1024);
    }
    let backup_type = violations.one_of(request.string("BackupType")?, "backupType", BACKUP_TYPES);
    let lower = request.timestamp("TimeRangeLowerBound")?;
    let upper = request.timestamp("TimeRangeUpperBound")?;
    violations.into_result()?;
    let table_name = table_name
        .map(|name| engine.resolve_table_name(name, "ListBackups"))
        .transpose()?;
    access::authorize(authorizer, &[access::account_check("dynamodb:ListBackups")])?;
    if let (Some(lower), Some(upper)) = (lower, upper) {
        if lower > upper {
            return Err(halyard_engine::Error::validation(
                "TimeRangeUpperBound must be greater than or equal to TimeRangeLowerBound",
            )
            .into());
        }
    }
    let output = engine.list_backups(&ListBackupsInput {
        table_name: table_name.map(str::to_string),
        created_after: lower,
        created_before: upper,
        backup_type: backup_type.unwrap_or_default(),
        limit: limit.map(|limit| limit as usize),
        exclusive_start_backup_arn: start.map(str::to_string),
    })?;
    let mut response = Map::new();
    response.insert(
        "BackupSummaries".into(),
        Value::Array(output.backups.iter().map(backup_description::summary).collect()),
    );
    if let Some(arn) = output.last_evaluated_backup_arn {
        response.insert("LastEvaluatedBackupArn".into(), json!(arn));
    }
    Ok(Value::Object(response))
}
