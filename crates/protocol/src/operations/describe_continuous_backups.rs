use halyard_engine::Engine;
use serde_json::Value;

use super::{authorize_table, continuous_backups_description, table_name};
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
    let pitr = engine.describe_continuous_backups(name)?;
    Ok(continuous_backups_description::to_json(pitr.as_ref()))
}
