use halyard_engine::Engine;
use serde_json::{json, Value};

use super::resource_policy::{policy_arn, revision_id};
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
    let arn = policy_arn(request, &mut violations)?;
    let expected_revision_id = revision_id(request, &mut violations)?;
    violations.into_result()?;
    access::authorize(authorizer, &[access::arn_check("dynamodb:DeleteResourcePolicy", arn)])?;
    let removed = engine
        .delete_resource_policy(arn, expected_revision_id.map(str::to_string))
        .await?;
    // A resource without a policy answers with no RevisionId.
    Ok(match removed {
        Some(revision_id) => json!({ "RevisionId": revision_id }),
        None => json!({}),
    })
}
