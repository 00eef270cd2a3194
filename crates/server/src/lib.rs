//! Halyard's HTTP front end: DynamoDB's JSON 1.0 protocol over HTTP/1.1.
//!
//! `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` runs an
//! operation; `GET /` answers a readiness check and `GET /health` reports
//! whether writes are accepted (see [`health_report`]). Every response carries
//! `x-amzn-RequestId` and `x-amz-crc32` (the CRC32 of the body, which SDKs
//! verify).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use halyard_engine::Engine;
use halyard_protocol::{ProtocolError, TARGET_PREFIX};
use http_body_util::BodyExt;

/// DynamoDB's limit on a request body.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// How much of an oversized body is read before the connection is dropped.
const DRAIN_LIMIT: usize = 4 * MAX_REQUEST_BYTES;

const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The router serving one engine.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/", get(health).post(dynamodb))
        .route("/health", get(health_report))
        .fallback(dynamodb)
        .with_state(engine)
}

async fn health() -> &'static str {
    "healthy: halyard\n"
}

/// The storage's health as JSON: 200 while writes are accepted, 503 while
/// they fail (out of space, or stopped after a storage failure).
async fn health_report(State(engine): State<Arc<Engine>>) -> Response {
    let report = engine.storage_health();
    let status = if report.writes_accepted() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": report.state.name(),
        "writesAccepted": report.writes_accepted(),
        "reason": report.reason,
        "since": report.since,
        "outOfSpaceFailures": report.out_of_space_failures,
    });
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

async fn dynamodb(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    let result = run(&engine, &headers, body).await;
    let (status, body) = match result {
        Ok(value) => (StatusCode::OK, value),
        Err(error) => {
            if let ProtocolError::Engine(halyard_engine::Error::Internal(detail)) = &error {
                tracing::error!(%detail, "internal error");
            }
            let wire = error.to_wire();
            (
                StatusCode::from_u16(wire.status).unwrap_or(StatusCode::BAD_REQUEST),
                wire.body,
            )
        }
    };
    respond(status, serde_json::to_vec(&body).expect("JSON values serialise"))
}

async fn run(engine: &Engine, headers: &HeaderMap, body: Body) -> Result<serde_json::Value, ProtocolError> {
    if !headers.contains_key("authorization") {
        return Err(ProtocolError::MissingAuthenticationToken);
    }
    let operation = headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.strip_prefix(TARGET_PREFIX))
        .ok_or(ProtocolError::UnknownOperation)?;
    let body = read_body(body).await?;
    halyard_protocol::handle(engine, operation, &body).await
}

/// Reads the body, up to [`MAX_REQUEST_BYTES`]. A larger body is read on
/// (and discarded) up to [`DRAIN_LIMIT`], so that the client, which is
/// still sending, sees the 413 answer rather than a broken connection.
async fn read_body(body: Body) -> Result<Bytes, ProtocolError> {
    let mut body = body;
    let mut buffer = Vec::new();
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ProtocolError::Serialization(format!("could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        received += data.len();
        if received <= MAX_REQUEST_BYTES {
            buffer.extend_from_slice(&data);
        } else if received > DRAIN_LIMIT {
            break;
        }
    }
    if received > MAX_REQUEST_BYTES {
        return Err(ProtocolError::RequestTooLarge(received));
    }
    Ok(Bytes::from(buffer))
}

/// A unique request id: a random per-process prefix and a counter (a
/// random id per request would cost a system call each).
fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase());
    format!("{prefix}{:016X}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn respond(status: StatusCode, body: Vec<u8>) -> Response {
    let crc = crc32fast::hash(&body);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    headers.insert("x-amz-crc32", HeaderValue::from(crc));
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&request_id()).expect("hex is a valid header value"),
    );
    response
}
