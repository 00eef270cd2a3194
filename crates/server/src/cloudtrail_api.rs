//! CloudTrail on the DynamoDB endpoint: JSON 1.1 requests with
//! `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*`,
//! signed for `cloudtrail`, authorised as `cloudtrail:<Operation>`, answered
//! by the audit trail ([`halyard_audit::api`]).

use axum::body::{Body, HttpBody};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use halyard_audit::api::{self, TARGET_PREFIX};
use halyard_audit::error::CloudTrailError;
use halyard_audit::EventSource;
use halyard_iam::error::AuthError;
use serde_json::Value;

use crate::audit::Call;
use crate::body::{self, BodyLimits};
use crate::security::AuthMode;
use crate::{decoding, App};

const JSON_1_1: &str = "application/x-amz-json-1.1";

/// Whether the request is a CloudTrail one.
pub(crate) fn is_cloudtrail(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .is_some_and(|target| target.starts_with(TARGET_PREFIX))
}

pub(crate) async fn serve(app: &App, limits: &BodyLimits, request_id: &str, parts: Parts, body: Body) -> Response {
    let mut call = Call::start(&app.audit, &parts, request_id, EventSource::CloudTrail);
    let answer = run(app, limits, &parts, body, &mut call).await;
    let (status, body) = match answer {
        Ok(value) => {
            call.finish(None);
            (StatusCode::OK, value)
        }
        Err(error) => {
            let body = error.to_body();
            call.finish(Some((error.type_name().to_string(), error.to_string())));
            (
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST),
                body,
            )
        }
    };
    let mut response = (status, serde_json::to_vec(&body).expect("JSON values serialise")).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    response
}

async fn run(
    app: &App,
    limits: &BodyLimits,
    parts: &Parts,
    body: Body,
    call: &mut Call,
) -> Result<Value, CloudTrailError> {
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.strip_prefix(TARGET_PREFIX))
        .unwrap_or_default()
        .to_string();
    call.named(EventSource::CloudTrail, &operation);
    let codings =
        decoding::request_codings(&parts.headers).map_err(|e| CloudTrailError::Serialization(e.to_string()))?;
    let declared_length = body.size_hint().exact().and_then(|length| usize::try_from(length).ok());
    let received = body::read_body(body, declared_length, &codings, limits)
        .await
        .map_err(|e| CloudTrailError::Serialization(e.to_string()))?;
    let authenticated = app
        .security
        .authenticate(
            parts,
            &received.bytes,
            received.received_sha256.as_deref(),
            crate::request_facts(parts),
        )
        .map_err(auth_error)?;
    call.authenticated(&authenticated, app.security.directory());
    call.describe(halyard_audit::parameters::Described {
        parameters: cloudtrail_parameters(&received.bytes),
        read_only: api::read_only(&operation),
        management: true,
        ..Default::default()
    });
    if app.security.mode() == AuthMode::SigV4 {
        let action = format!("cloudtrail:{operation}");
        let resource = api::resource(&app.audit, &operation);
        let context = authenticated.caller.context(&action, &resource);
        authenticated
            .caller
            .authorize(&context, &[])
            .map_err(|denial| CloudTrailError::AccessDenied(denial.message()))?;
    }
    api::handle(&app.audit, &operation, &received.bytes).await
}

/// CloudTrail's requests hold names, times and selectors only: kept as sent,
/// bounded in size.
fn cloudtrail_parameters(body: &[u8]) -> Option<Value> {
    const MAX: usize = 16 * 1024;
    if body.len() > MAX {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    let Value::Object(map) = value else { return None };
    Some(Value::Object(
        map.into_iter()
            .map(|(key, value)| {
                let mut chars = key.chars();
                let camel = chars
                    .next()
                    .map(|first| first.to_ascii_lowercase().to_string() + chars.as_str())
                    .unwrap_or_default();
                (camel, value)
            })
            .collect(),
    ))
}

/// Authentication errors as CloudTrail names them.
fn auth_error(error: AuthError) -> CloudTrailError {
    let (type_name, status) = match error {
        AuthError::MissingAuthenticationToken => ("MissingAuthenticationTokenException", 403),
        AuthError::IncompleteSignature(_) => ("IncompleteSignatureException", 400),
        AuthError::InvalidSignature(_) => ("InvalidSignatureException", 403),
        AuthError::UnrecognizedClient => ("UnrecognizedClientException", 403),
        AuthError::ExpiredToken => ("ExpiredTokenException", 403),
    };
    CloudTrailError::Authentication {
        type_name,
        status,
        message: error.to_string(),
    }
}
