//! The DynamoDB JSON 1.0 protocol: requests in wire JSON become engine
//! calls; engine results and errors become wire JSON.
//!
//! Each operation has its own file under [`operations`], holding the
//! wire-level validation DynamoDB applies before anything else (required
//! members, lengths, enum values) and the mapping to and from engine types.

pub mod access;
mod attribute_value;
mod constraints;
mod error;
mod fields;
pub mod observe;
mod operations;
mod response;
mod streams;
pub mod transfer;

pub use access::{AccessCheck, AccessDenied, AllowAll, Authorizer};
pub use error::{ProtocolError, WireError};
pub use response::Response;

use halyard_engine::Engine;
use serde_json::Value;

/// The `X-Amz-Target` prefix of DynamoDB operations.
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The `X-Amz-Target` prefix of DynamoDB Streams operations.
pub const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

/// The API an `X-Amz-Target` names, and the operation in it.
pub fn route(target: &str) -> Option<(Service, &str)> {
    if let Some(operation) = target.strip_prefix(TARGET_PREFIX) {
        return Some((Service::DynamoDb, operation));
    }
    target
        .strip_prefix(STREAMS_TARGET_PREFIX)
        .map(|operation| (Service::Streams, operation))
}

/// The APIs served on the DynamoDB endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DynamoDb,
    Streams,
}

/// Runs one request: `operation` is the part of `X-Amz-Target` after the
/// prefix, `body` the raw request body. Each operation asks `authorizer`
/// for what it is about to do once the request is valid, before it
/// reaches the engine. Returns the response body.
pub async fn handle(
    engine: &std::sync::Arc<Engine>,
    authorizer: &dyn Authorizer,
    service: Service,
    operation: &str,
    body: &[u8],
) -> Result<Response, ProtocolError> {
    // With metrics off, not even the clock is read.
    let started = engine.metrics().enabled().then(std::time::Instant::now);
    let request = match parse(body) {
        Ok(request) => request,
        Err(error) => {
            observe::rejected(engine, Some(operation), &error);
            return Err(error);
        }
    };
    let fields = fields::Fields::new(&request);
    let result = match service {
        Service::DynamoDb => operations::dispatch(engine, authorizer, operation, fields).await,
        Service::Streams => streams::dispatch(engine, authorizer, operation, fields)
            .await
            .map(Response::from),
    };
    if let Some(started) = started {
        observe::request(engine, operation, &request, &result, started);
    }
    result
}

fn parse(body: &[u8]) -> Result<serde_json::Map<String, Value>, ProtocolError> {
    let request: Value = serde_json::from_slice(body).map_err(|e| ProtocolError::Serialization(e.to_string()))?;
    let Value::Object(request) = request else {
        return Err(ProtocolError::Serialization(
            "Request body must be a JSON object".into(),
        ));
    };
    Ok(request)
}
