use halyard_engine::Engine;
use serde_json::{json, Value};

use crate::error::ProtocolError;

pub(super) fn handle(engine: &Engine) -> Result<Value, ProtocolError> {
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
