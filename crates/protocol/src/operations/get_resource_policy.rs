use halyard_engine::Engine;
use serde_json::{json, Value};

use super::resource_policy::policy_arn;
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
    let arn = policy_arn(request, &mut violations)?;
    violations.into_result()?;
    access::authorize(authorizer, &[access::arn_check("dynamodb:GetResourcePolicy", arn)])?;
    let policy = engine.get_resource_policy(arn)?;
    Ok(json!({ "Policy": policy.document, "RevisionId": policy.revision_id }))
}
