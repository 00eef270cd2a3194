use halyard_engine::{Engine, Error as EngineError, TimeToLiveRequest};
use serde_json::{json, Value};

use super::authorize_table;
use crate::access::Authorizer;
use crate::error::ProtocolError;
use crate::fields::Fields;

/// The TTL operations' TableName: a table name or a table ARN. They name
/// an invalid or missing one this way rather than as a constraint
/// violation.
pub(super) fn ttl_table_name<'a>(engine: &Engine, request: Fields<'a>, action: &str) -> Result<&'a str, ProtocolError> {
    let name = request.string("TableName")?.unwrap_or_default();
    if halyard_engine::is_arn(name) && name.chars().count() <= halyard_engine::MAX_TABLE_ARN_LENGTH {
        return Ok(engine.resolve_table_name(name, action)?);
    }
    let valid = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(name)
    } else {
        Err(EngineError::validation(
            "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
        )
        .into())
    }
}

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let name = ttl_table_name(engine, request, "UpdateTimeToLive")?;
    let request = request
        .object("TimeToLiveSpecification")?
        .map(|specification| -> Result<TimeToLiveRequest, ProtocolError> {
            Ok(TimeToLiveRequest {
                enabled: specification.boolean("Enabled")?,
                attribute_name: specification.string("AttributeName")?.map(str::to_string),
            })
        })
        .transpose()?;
    authorize_table(engine, authorizer, "dynamodb:UpdateTimeToLive", name)?;
    let applied = engine.update_time_to_live(name, request).await?;
    Ok(json!({
        "TimeToLiveSpecification": {
            "Enabled": applied.enabled,
            "AttributeName": applied.attribute_name,
        }
    }))
}
