use halyard_engine::Engine;
use serde_json::{json, Value};

use super::authorize_table;
use super::update_time_to_live::ttl_table_name;
use crate::access::Authorizer;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let name = ttl_table_name(engine, request, "DescribeTimeToLive")?;
    authorize_table(engine, authorizer, "dynamodb:DescribeTimeToLive", name)?;
    let description = engine.describe_time_to_live(name)?;
    let mut answer = json!({ "TimeToLiveStatus": description.status.name() });
    if let Some(attribute_name) = description.attribute_name {
        answer["AttributeName"] = json!(attribute_name);
    }
    Ok(json!({ "TimeToLiveDescription": answer }))
}
