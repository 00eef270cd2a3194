//! Halyard's HTTP front end: DynamoDB's JSON 1.0 protocol over HTTP/1.1.
//!
//! `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` runs an
//! operation; `GET /` answers a readiness check and `GET /health` reports
//! whether writes are accepted (see [`health_report`]). Every response carries
//! `x-amzn-RequestId` and `x-amz-crc32` (the CRC32 of the body, which SDKs
//! verify).

mod admin;
mod body;
mod content_type;
pub mod listener;

use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
pub use body::BodyLimits;
use halyard_engine::Engine;
use halyard_protocol::ProtocolError;

/// The router serving one engine; [`listener::serve`] serves it.
pub fn router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/", get(health).post(dynamodb))
        .route("/health", get(health_report))
        .route("/halyard/check", get(admin::check))
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

async fn dynamodb(
    State(engine): State<Arc<Engine>>,
    Extension(limits): Extension<BodyLimits>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(content_type) = content_type::response_type(&headers, !body.is_end_stream()) else {
        return respond(StatusCode::NOT_FOUND, content_type::NOT_FOUND_BODY.to_vec(), None);
    };
    let result = run(&engine, &limits, &headers, body).await;
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
    respond(
        status,
        serde_json::to_vec(&body).expect("JSON values serialise"),
        Some(content_type),
    )
}

async fn run(
    engine: &Engine,
    limits: &BodyLimits,
    headers: &HeaderMap,
    body: Body,
) -> Result<serde_json::Value, ProtocolError> {
    if !headers.contains_key("authorization") {
        return Err(ProtocolError::MissingAuthenticationToken);
    }
    let (service, operation) = headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(halyard_protocol::route)
        .ok_or(ProtocolError::UnknownOperation)?;
    let declared_length = body.size_hint().exact().and_then(|length| usize::try_from(length).ok());
    let body = body::read_body(body, declared_length, limits).await?;
    halyard_protocol::handle(engine, service, operation, &body.bytes).await
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

fn respond(status: StatusCode, body: Vec<u8>, content_type: Option<&'static str>) -> Response {
    let crc = crc32fast::hash(&body);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    match content_type {
        Some(content_type) => headers.insert("content-type", HeaderValue::from_static(content_type)),
        None => headers.remove("content-type"),
    };
    headers.insert("x-amz-crc32", HeaderValue::from(crc));
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&request_id()).expect("hex is a valid header value"),
    );
    response
}
