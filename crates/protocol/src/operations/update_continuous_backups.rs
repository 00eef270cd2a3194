use halyard_engine::Engine;
use serde_json::Value;

use super::{authorize_table, continuous_backups_description, table_name};
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
    let specification = request.object("PointInTimeRecoverySpecification")?;
    violations.required(specification.as_ref(), "pointInTimeRecoverySpecification");
    let (mut enabled, mut days) = (None, None);
    if let Some(specification) = specification {
        enabled = specification.boolean("PointInTimeRecoveryEnabled")?;
        violations.required(
            enabled.as_ref(),
            "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
        );
        days = specification.integer("RecoveryPeriodInDays")?;
        violations.range(
            days,
            "pointInTimeRecoverySpecification.recoveryPeriodInDays",
            1,
            Some(35),
        );
    }
    violations.into_result()?;
    let name = engine.resolve_table_name(name, "UpdateContinuousBackups")?;
    authorize_table(engine, authorizer, "dynamodb:UpdateContinuousBackups", name)?;
    let pitr = engine
        .update_continuous_backups(name, enabled.unwrap_or(false), days)
        .await?;
    Ok(continuous_backups_description::to_json(pitr.as_ref()))
}
