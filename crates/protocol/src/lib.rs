//! The DynamoDB JSON 1.0 protocol: requests in wire JSON become engine
//! calls; engine results and errors become wire JSON.
//!
//! Each operation has its own file under [`operations`], holding the
//! wire-level validation DynamoDB applies before anything else (required
//! members, lengths, enum values) and the mapping to and from engine types.

mod attribute_value;
mod constraints;
mod error;
mod fields;
mod operations;

pub use error::{ProtocolError, WireError};

use halyard_engine::Engine;
use serde_json::Value;

/// The `X-Amz-Target` prefix of DynamoDB operations.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Runs one request: `operation` is the part of `X-Amz-Target` after the
/// prefix, `body` the raw request body. Returns the response body.
pub async fn handle(engine: &Engine, operation: &str, body: &[u8]) -> Result<Value, ProtocolError> {
    let request: Value = serde_json::from_slice(body).map_err(|e| ProtocolError::Serialization(e.to_string()))?;
    let Value::Object(request) = request else {
        return Err(ProtocolError::Serialization(
            "Request body must be a JSON object".into(),
        ));
    };
    operations::dispatch(engine, operation, fields::Fields::new(&request)).await
}
