use halyard_engine::Engine;
use serde_json::{json, Value};

use crate::access::{self, Authorizer};
use crate::error::ProtocolError;

pub(super) fn handle(engine: &Engine, authorizer: &dyn Authorizer) -> Result<Value, ProtocolError> {
    access::authorize(authorizer, &[access::account_check("dynamodb:DescribeLimits")])?;
    let limits = engine.describe_limits();
    Ok(json!({
        "AccountMaxReadCapacityUnits": limits.account_max_read_capacity_units,
        "AccountMaxWriteCapacityUnits": limits.account_max_write_capacity_units,
        "TableMaxReadCapacityUnits": limits.table_max_read_capacity_units,
        "TableMaxWriteCapacityUnits": limits.table_max_write_capacity_units,
    }))
}
