use halyard_engine::Engine;
use serde_json::{json, Value};

use crate::access::{self, Authorizer};
use crate::error::ProtocolError;

pub(super) fn handle(engine: &Engine, authorizer: &dyn Authorizer) -> Result<Value, ProtocolError> {
    access::authorize(authorizer, &[access::account_check("dynamodb:DescribeEndpoints")])?;
    let endpoints: Vec<Value> = engine
        .describe_endpoints()
        .into_iter()
        .map(|endpoint| {
            json!({
                "Address": endpoint.address,
                "CachePeriodInMinutes": endpoint.cache_period_in_minutes,
            })
        })
        .collect();
    Ok(json!({ "Endpoints": endpoints }))
}
