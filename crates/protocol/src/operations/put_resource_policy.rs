use halyard_engine::{Engine, PutResourcePolicyInput};
use serde_json::{json, Value};

use super::resource_policy::{checked_document, policy_arn, revision_id};
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
    let policy = request.string("Policy")?;
    violations.required(policy.as_ref(), "policy");
    let expected_revision_id = revision_id(request, &mut violations)?;
    // Accepted: it matters only to the self-lockout check, which needs
    // policy evaluation of the caller.
    request.boolean("ConfirmRemoveSelfResourceAccess")?;
    violations.into_result()?;
    // The ARN is checked before the document, the document before the
    // table is looked up, as in DynamoDB.
    engine.check_policy_arn(arn)?;
    access::authorize(authorizer, &[access::arn_check("dynamodb:PutResourcePolicy", arn)])?;
    let document = checked_document(policy.unwrap_or_default())?;
    let revision_id = engine
        .put_resource_policy(PutResourcePolicyInput {
            resource_arn: arn.to_string(),
            document,
            expected_revision_id: expected_revision_id.map(str::to_string),
        })
        .await?;
    Ok(json!({ "RevisionId": revision_id }))
}
