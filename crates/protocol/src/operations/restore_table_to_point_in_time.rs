use halyard_engine::{Engine, RestoreTime};
use serde_json::{json, Value};

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
    let source_name = request.string("SourceTableName")?;
    if source_name.is_some() {
        violations.table_name(source_name, "sourceTableName");
    }
    let source_arn = request.string("SourceTableArn")?;
    if let Some(arn) = source_arn {
        violations.length(arn, "sourceTableArn", 1, 1024);
    }
    let target = restore_overrides::target_table_name(request, &mut violations)?;
    let latest = request.boolean("UseLatestRestorableTime")?;
    let time = request.timestamp("RestoreDateTime")?;
    let overrides = restore_overrides::parse(request, &mut violations)?;
    violations.into_result()?;
    let invalid = |message: &str| -> ProtocolError { halyard_engine::Error::validation(message).into() };
    let source = match (source_name, source_arn) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "Only one of SourceTableArn or SourceTableName can be specified",
            ))
        }
        (None, None) => return Err(invalid("Either SourceTableArn or SourceTableName must be specified")),
        (Some(name), None) => name,
        (None, Some(arn)) => engine.resolve_table_name(arn, "RestoreTableToPointInTime")?,
    };
    let time = match (latest, time) {
        (Some(true), Some(_)) => {
            return Err(invalid(
                "Only one of RestoreDateTime or UseLatestRestorableTime can be specified",
            ))
        }
        (Some(true), None) => RestoreTime::Latest,
        (_, Some(time)) => RestoreTime::At(time),
        (_, None) => {
            return Err(invalid(
                "Either RestoreDateTime or UseLatestRestorableTime must be specified",
            ))
        }
    };
    // The source table is read, and the target table written.
    let action = "dynamodb:RestoreTableToPointInTime";
    access::authorize(
        authorizer,
        &[
            access::table_check(engine, action, source, None),
            access::table_check(engine, action, target, None),
        ],
    )?;
    super::sse_specification::authorize_key(authorizer, &overrides.sse, target)?;
    let description = engine
        .restore_table_to_point_in_time(source, target, time, &overrides)
        .await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
