use halyard_engine::{check_arn_shape, Engine};
use serde_json::{json, Value};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    // DynamoDB checks the ARN's shape before the other members.
    let arn = request.string("ResourceArn")?;
    check_arn_shape("UntagResource", arn)?;
    let mut violations = ConstraintViolations::default();
    let keys = request.string_list("TagKeys")?;
    violations.required(keys.as_ref(), "tagKeys");
    violations.into_result()?;
    access::authorize(
        authorizer,
        &[access::arn_check("dynamodb:UntagResource", arn.unwrap_or_default())],
    )?;
    engine
        .untag_resource(arn.unwrap_or_default(), keys.unwrap_or_default())
        .await?;
    Ok(json!({}))
}
