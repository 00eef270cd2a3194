use halyard_engine::{check_arn_shape, Engine};
use serde_json::{json, Value};

use crate::access::{self, Authorizer};
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let arn = request.string("ResourceArn")?;
    check_arn_shape("ListTagsOfResource", arn)?;
    let next_token = request.string("NextToken")?;
    access::authorize(
        authorizer,
        &[access::arn_check(
            "dynamodb:ListTagsOfResource",
            arn.unwrap_or_default(),
        )],
    )?;
    let tags = engine.list_tags_of_resource(arn.unwrap_or_default(), next_token)?;
    let tags: Vec<Value> = tags
        .iter()
        .map(|tag| json!({ "Key": tag.key, "Value": tag.value }))
        .collect();
    Ok(json!({ "Tags": tags }))
}
