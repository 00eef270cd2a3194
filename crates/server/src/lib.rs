//! Halyard's HTTP front end: DynamoDB's JSON 1.0 protocol over HTTP/1.1.
//!
//! `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` runs an
//! operation; `GET /` answers a readiness check and `GET /health` reports
//! whether writes are accepted (see [`health_report`]); `/console/...` is the
//! web console when enabled ([`console`]); any other request is
//! taken for a DynamoDB one. Every response carries an `x-amzn-RequestId`
//! and, with an allowed `Origin`, CORS headers ([`cors`]); DynamoDB's carry
//! `x-amz-crc32` (the CRC32 of the body as sent, which SDKs verify). Request
//! bodies may be compressed ([`decoding`]), and so may responses
//! ([`encoding`]).

mod admin;
mod audit;
mod authorizer;
mod body;
mod cloudtrail_api;
mod connection_info;
mod console;
mod content_type;
pub mod cors;
mod decoding;
mod encoding;
mod kms_api;
mod leftover;
pub mod listener;
pub mod metrics;
mod query_api;
pub mod security;
pub mod tls;

use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_ENCODING, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
pub use body::BodyLimits;
pub use connection_info::ConnectionInfo;
pub use cors::CorsOrigins;
use encoding::ResponseCoding;
use halyard_audit::{Audit, EventSource};
use halyard_console::Console;
use halyard_engine::Engine;
use halyard_iam::access::{Caller, RequestFacts};
use halyard_iam::error::AuthError;
use halyard_kms::key_store::KeyStore;
use halyard_protocol::{AllowAll, ProtocolError};
use security::{AuthMode, Security};

/// What every request is served with: the engine, who may use it, and
/// the audit trail that records what they do.
pub struct App {
    engine: Arc<Engine>,
    security: Security,
    keys: Arc<KeyStore>,
    resource_policies: authorizer::ResourcePolicyCache,
    audit: Arc<Audit>,
    /// `/metrics`, unless metrics are off.
    scrape: Option<Arc<metrics::Scrape>>,
}

/// The router serving one engine; [`listener::serve`] serves it. With
/// `scrape`, `GET /metrics` answers the metrics ([`metrics`]); with
/// `console`, the web console is served under `/console/`.
pub fn router(
    engine: Arc<Engine>,
    security: Security,
    keys: Arc<KeyStore>,
    cors: CorsOrigins,
    audit: Arc<Audit>,
    scrape: Option<Arc<metrics::Scrape>>,
    console: Option<Arc<Console>>,
) -> Router {
    let routes = Router::new();
    let routes = match scrape {
        Some(_) => routes.route("/metrics", get(serve_metrics).fallback(serve_request)),
        None => routes,
    };
    let router = routes
        .route("/", get(health).post(serve_request).fallback(serve_request))
        // Other methods on these paths are DynamoDB requests too, rather
        // than axum's bare 405.
        .route("/health", get(health_report).fallback(serve_request))
        .route("/halyard/check", get(admin::check).fallback(serve_request))
        .route("/halyard/backup", post(admin::backup).fallback(serve_request));
    let router = match console {
        Some(console) => router.merge(console::routes(console, engine.metrics().clone())),
        None => router,
    };
    router
        .fallback(serve_request)
        .with_state(Arc::new(App {
            engine,
            security,
            keys,
            resource_policies: Default::default(),
            audit,
            scrape,
        }))
        .layer(middleware::from_fn_with_state(Arc::new(cors), common_headers))
}

/// The id of the request being served, also sent as `x-amzn-RequestId`.
#[derive(Clone)]
struct RequestId(HeaderValue);

impl RequestId {
    fn as_str(&self) -> &str {
        self.0.to_str().expect("request ids are ASCII")
    }
}

/// The most bytes of header fields (`name: value\r\n` each) a request may
/// have. DynamoDB does not document its limit; AWS's front ends are reported
/// to refuse header sections over 16 KB (tests/e2e/ORACLE_NOTES.md). hyper's
/// own limits ([`listener`]) are far above it, so that an oversized request
/// reaches this check and gets a DynamoDB answer.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Refuses requests whose headers are too large, answers CORS preflights,
/// and gives every answer its request id and CORS headers.
async fn common_headers(State(cors): State<Arc<CorsOrigins>>, mut request: Request, next: Next) -> Response {
    let id = request_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let header_bytes = header_bytes(request.headers());
    let mut response = if header_bytes > MAX_HEADER_BYTES {
        // Before anything else looks at them; the body is left unread (and
        // dropped or the connection closed, see `leftover`).
        let content_type = content_type::response_type(request.headers(), false);
        let error = ProtocolError::HeadersTooLarge {
            size: header_bytes,
            limit: MAX_HEADER_BYTES,
        };
        error_response(&error, content_type).await
    } else {
        match cors.preflight(request.method(), request.headers()) {
            Some(preflight) => preflight,
            None => {
                let origin = request.headers().get(ORIGIN).cloned();
                let mut response = next.run(request).await;
                cors.decorate(origin.as_ref(), &mut response);
                response
            }
        }
    };
    response.headers_mut().insert("x-amzn-requestid", id);
    response
}

/// The size of the header fields as sent on the wire.
fn header_bytes(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + ": \r\n".len())
        .sum()
}

async fn serve_metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    match &app.scrape {
        Some(scrape) => metrics::answer(scrape, &headers).await,
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn health() -> &'static str {
    "healthy: halyard\n"
}

/// The storage's health as JSON: 200 while writes are accepted, 503 while
/// they fail (out of space, stopped after a storage failure, or no
/// writable database server reachable), for a load balancer. Cheap: it
/// reads the state the writes and the storage's background probe keep.
async fn health_report(State(app): State<Arc<App>>) -> Response {
    let report = app.engine.storage_health();
    let status = if report.writes_accepted() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = serde_json::json!({
        "status": report.state.name(),
        "writesAccepted": report.writes_accepted(),
        "reason": report.reason,
        "since": report.since,
        "outOfSpaceFailures": report.out_of_space_failures,
    });
    // Only a node of several over one database holds task leases.
    if let Some(leases) = report.leases {
        body["leases"] = leases.into();
    }
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// Every request that is not a health check: DynamoDB and DynamoDB
/// Streams (JSON, `X-Amz-Target`), KMS (JSON 1.1, `TrentService.*`),
/// CloudTrail (JSON 1.1), or IAM and STS (query protocol).
async fn serve_request(
    State(app): State<Arc<App>>,
    Extension(limits): Extension<BodyLimits>,
    Extension(id): Extension<RequestId>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if query_api::is_query(&parts.headers) {
        return query_api::serve(&app, &limits, id.as_str(), parts, body).await;
    }
    if kms_api::is_kms(&parts.headers) {
        return kms_api::serve(&app, &limits, id.as_str(), parts, body).await;
    }
    if cloudtrail_api::is_cloudtrail(&parts.headers) {
        return cloudtrail_api::serve(&app, &limits, id.as_str(), parts, body).await;
    }
    let coding = encoding::negotiate(&parts.headers);
    let Some(content_type) = content_type::response_type(&parts.headers, !body.is_end_stream()) else {
        return respond(StatusCode::NOT_FOUND, content_type::NOT_FOUND_BODY.to_vec(), None, None).await;
    };
    let mut call = audit::Call::start(&app.audit, &parts, id.as_str(), EventSource::DynamoDb);
    match run(&app, &limits, &parts, body, &mut call).await {
        Ok(response) => {
            call.finish(None);
            respond(StatusCode::OK, response.into_body(), Some(content_type), coding).await
        }
        Err(error) => {
            if let ProtocolError::Engine(halyard_engine::Error::Internal(detail)) = &error {
                tracing::error!(%detail, "internal error");
            }
            call.finish(audit::wire_error(&error.to_wire().body));
            error_response(&error, Some(content_type)).await
        }
    }
}

/// `error` in DynamoDB's wire form (errors are small: never compressed).
async fn error_response(error: &ProtocolError, content_type: Option<&'static str>) -> Response {
    let wire = error.to_wire();
    let status = StatusCode::from_u16(wire.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::to_vec(&wire.body).expect("JSON values serialise");
    respond(status, body, content_type, None).await
}

/// The pipeline of a DynamoDB request: parse, authenticate, authorise,
/// execute; `call` (the audit step) learns what each step finds.
async fn run(
    app: &App,
    limits: &BodyLimits,
    parts: &Parts,
    body: Body,
    call: &mut audit::Call,
) -> Result<halyard_protocol::Response, ProtocolError> {
    let headers = &parts.headers;
    let target = headers.get("x-amz-target").and_then(|target| target.to_str().ok());
    if let Some(operation) = target.and_then(|t| t.rsplit_once('.')).map(|(_, operation)| operation) {
        call.named(EventSource::DynamoDb, operation);
    }
    // Requests refused before the protocol layer count in the metrics here.
    let rejected = |operation: Option<&str>, error: ProtocolError| {
        halyard_protocol::observe::rejected(&app.engine, operation, &error);
        error
    };
    if !headers.contains_key("authorization") && !parts.uri.query().is_some_and(|q| q.contains("X-Amz-Signature=")) {
        return Err(rejected(None, AuthError::MissingAuthenticationToken.into()));
    }
    let (service, operation) = target
        .and_then(halyard_protocol::route)
        .ok_or_else(|| rejected(None, ProtocolError::UnknownOperation))?;
    let codings = decoding::request_codings(headers).map_err(|e| rejected(Some(operation), e))?;
    let declared_length = body.size_hint().exact().and_then(|length| usize::try_from(length).ok());
    let body = body::read_body(body, declared_length, &codings, limits)
        .await
        .map_err(|e| rejected(Some(operation), e))?;
    let authenticated = app
        .security
        .authenticate(
            parts,
            &body.bytes,
            body.received_sha256.as_deref(),
            request_facts(parts),
        )
        .map_err(|e| rejected(Some(operation), e.into()))?;
    call.authenticated(&authenticated, app.security.directory());
    call.describe_dynamodb(&app.engine, operation, &body.bytes);
    execute(app, &authenticated.caller, service, operation, &body.bytes, call).await
}

/// The pipeline's last steps, for SDK and console calls alike: authorise
/// `caller`'s request, execute it, and audit it (a mutation's record rides
/// its write).
async fn execute(
    app: &App,
    caller: &Caller,
    service: halyard_protocol::Service,
    operation: &str,
    body: &[u8],
    call: &mut audit::Call,
) -> Result<halyard_protocol::Response, ProtocolError> {
    match app.security.mode() {
        AuthMode::Off => {
            call.run(halyard_protocol::handle(
                &app.engine,
                &AllowAll,
                service,
                operation,
                body,
            ))
            .await
        }
        AuthMode::SigV4 => {
            let authorizer = authorizer::RequestAuthorizer {
                caller,
                engine: &app.engine,
                keys: &app.keys,
                policies: &app.resource_policies,
            };
            call.run(halyard_protocol::handle(
                &app.engine,
                &authorizer,
                service,
                operation,
                body,
            ))
            .await
        }
    }
}

/// What the transport tells about a request, for policy conditions.
/// (`aws:SourceIp` is the TCP peer: no proxy header is trusted.)
fn request_facts(parts: &Parts) -> RequestFacts {
    let connection = parts.extensions.get::<ConnectionInfo>();
    RequestFacts {
        source_ip: connection.map(|c| c.peer.ip()),
        secure_transport: connection.is_some_and(|c| c.secure),
        now: halyard_iam::directory::now(),
    }
}

/// A request id shaped like DynamoDB's: 52 characters of `0-9A-V` (260
/// random bits), from a CSPRNG so that ids cannot be guessed.
fn request_id() -> HeaderValue {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
    let mut id = [0u8; 52];
    rand::fill(&mut id[..]);
    for byte in &mut id {
        *byte = ALPHABET[usize::from(*byte & 31)];
    }
    HeaderValue::from_bytes(&id).expect("the alphabet is valid in a header")
}

/// A DynamoDB answer; a large one is compressed in `coding` if given.
async fn respond(
    status: StatusCode,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    coding: Option<ResponseCoding>,
) -> Response {
    let coding = coding.filter(|_| body.len() >= encoding::COMPRESS_FROM);
    let body = match coding {
        Some(coding) => encoding::compress(body, coding).await,
        None => body,
    };
    // Of the bytes sent: SDKs check it before decompressing.
    let crc = crc32fast::hash(&body);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    match content_type {
        Some(content_type) => headers.insert("content-type", HeaderValue::from_static(content_type)),
        None => headers.remove("content-type"),
    };
    if let Some(coding) = coding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
    }
    headers.insert("x-amz-crc32", HeaderValue::from(crc));
    response
}
