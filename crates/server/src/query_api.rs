//! IAM and STS on the DynamoDB endpoint: form-encoded query-protocol
//! requests (no `X-Amz-Target`), routed by the SigV4 credential scope's
//! service name, answered in XML.

use std::sync::Arc;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use halyard_audit::parameters;
use halyard_audit::EventSource;
use halyard_iam::directory::IamError;
use halyard_iam::error::AuthError;
use halyard_iam::query::{failure, QueryRequest, QueryResponse, QueryService};

use crate::audit::{self, Call};
use crate::body::{self, BodyLimits};
use crate::{decoding, App};

const FORM: &str = "application/x-www-form-urlencoded";

/// Whether the request is a query-protocol one.
pub(crate) fn is_query(headers: &HeaderMap) -> bool {
    !headers.contains_key("x-amz-target")
        && headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case(FORM))
}

pub(crate) async fn serve(app: &App, limits: &BodyLimits, request_id: &str, parts: Parts, body: Body) -> Response {
    let mut call = Call::start(&app.audit, &parts, request_id, EventSource::Iam);
    let answer = run(app, limits, request_id, &parts, body, &mut call).await;
    // IAM and STS changes are recorded when the call ends, not with their
    // write: the directory's commands decide their own verdicts.
    call.finish(audit::query_error(answer.status, &answer.body));
    let mut response = (
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST),
        answer.body,
    )
        .into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}

async fn run(
    app: &App,
    limits: &BodyLimits,
    request_id: &str,
    parts: &Parts,
    body: Body,
    call: &mut Call,
) -> QueryResponse {
    // Until authenticated, errors are IAM's (the service cannot be known).
    let mut service = QueryService::Iam;
    let received = async {
        let codings = decoding::request_codings(&parts.headers).map_err(|e| IamError::InvalidInput(e.to_string()))?;
        let declared_length = body_length(&parts.headers);
        body::read_body(body, declared_length, &codings, limits)
            .await
            .map_err(|e| IamError::InvalidInput(e.to_string()))
    }
    .await;
    let received = match received {
        Ok(received) => received,
        Err(error) => return failure(service, &error, request_id),
    };
    let request = QueryRequest::parse(&received.bytes);
    let action = request.action().unwrap_or("Unknown");
    call.named(EventSource::Iam, action);
    call.describe(parameters::query(action, &|name| request.get(name).map(str::to_string)));
    let authenticated = app.security.authenticate(
        parts,
        &received.bytes,
        received.received_sha256.as_deref(),
        crate::request_facts(parts),
    );
    let authenticated = match authenticated {
        Ok(authenticated) => authenticated,
        Err(error) => return auth_failure(service, &error, request_id),
    };
    call.authenticated(&authenticated, app.security.directory());
    service = match QueryService::from_signing_name(&authenticated.service) {
        Some(service) => service,
        None => {
            let error = IamError::InvalidAction(format!(
                "The service {} does not accept query-protocol requests here",
                authenticated.service
            ));
            return failure(service, &error, request_id);
        }
    };
    let directory: &Arc<_> = app.security.directory();
    match service {
        QueryService::Iam => halyard_iam::iam_api::handle(directory, &authenticated.caller, &request, request_id).await,
        QueryService::Sts => halyard_iam::sts_api::handle(directory, &authenticated.caller, &request, request_id).await,
    }
}

fn body_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

/// Authentication errors as IAM and STS name them.
fn auth_failure(service: QueryService, error: &AuthError, request_id: &str) -> QueryResponse {
    let (code, status) = match error {
        AuthError::MissingAuthenticationToken => ("MissingAuthenticationToken", 403),
        AuthError::IncompleteSignature(_) => ("IncompleteSignature", 400),
        AuthError::InvalidSignature(_) => ("SignatureDoesNotMatch", 403),
        AuthError::UnrecognizedClient => ("InvalidClientTokenId", 403),
        AuthError::ExpiredToken => ("ExpiredToken", 403),
    };
    halyard_iam::query::failure_with_code(service, code, status, &error.to_string(), request_id)
}
