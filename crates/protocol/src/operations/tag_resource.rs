use halyard_engine::{check_arn_shape, Engine};
use serde_json::{json, Value};

use super::create_table::tags;
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
    check_arn_shape("TagResource", arn)?;
    let mut violations = ConstraintViolations::default();
    let tags = tags(request, &mut violations)?;
    violations.required(tags.as_ref(), "tags");
    violations.into_result()?;
    access::authorize(
        authorizer,
        &[access::arn_check("dynamodb:TagResource", arn.unwrap_or_default())],
    )?;
    engine
        .tag_resource(arn.unwrap_or_default(), tags.unwrap_or_default())
        .await?;
    Ok(json!({}))
}
