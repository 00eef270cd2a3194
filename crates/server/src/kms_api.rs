//! KMS on the DynamoDB endpoint: AWS's JSON 1.1 protocol with
//! `X-Amz-Target: TrentService.<Operation>`, signed for the service `kms`,
//! through the same pipeline as every request (parse, authenticate,
//! authorise, execute), answered in KMS's JSON and error forms.

use axum::body::{Body, HttpBody};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use halyard_iam::error::AuthError;
use halyard_kms::kms_api::{self, KmsError};

use crate::body::{self, BodyLimits};
use crate::{decoding, App};

const JSON_1_1: &str = "application/x-amz-json-1.1";

/// Whether the request is for KMS.
pub(crate) fn is_kms(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .is_some_and(|target| target.starts_with(kms_api::TARGET_PREFIX))
}

/// Why a KMS request failed: before the service saw it (authentication),
/// or in the service.
enum Failure {
    Auth(AuthError),
    Kms(KmsError),
}

impl From<KmsError> for Failure {
    fn from(error: KmsError) -> Failure {
        Failure::Kms(error)
    }
}

impl From<AuthError> for Failure {
    fn from(error: AuthError) -> Failure {
        Failure::Auth(error)
    }
}

pub(crate) async fn serve(app: &App, limits: &BodyLimits, parts: Parts, body: Body) -> Response {
    let (status, body) = match run(app, limits, &parts, body).await {
        Ok(value) => (StatusCode::OK, value),
        Err(Failure::Auth(error)) => (
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "__type": error.type_name(), "message": error.to_string() }),
        ),
        Err(Failure::Kms(error)) => {
            if let KmsError::Internal(detail) = &error {
                tracing::error!(%detail, "KMS internal error");
            }
            let wire = error.to_wire();
            (
                StatusCode::from_u16(wire.status).unwrap_or(StatusCode::BAD_REQUEST),
                wire.body,
            )
        }
    };
    let bytes = serde_json::to_vec(&body).expect("JSON values serialise");
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_1_1));
    response
}

async fn run(app: &App, limits: &BodyLimits, parts: &Parts, body: Body) -> Result<serde_json::Value, Failure> {
    let headers = &parts.headers;
    if !headers.contains_key("authorization") && !parts.uri.query().is_some_and(|q| q.contains("X-Amz-Signature=")) {
        return Err(AuthError::MissingAuthenticationToken.into());
    }
    let operation = headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.strip_prefix(kms_api::TARGET_PREFIX))
        .ok_or(KmsError::UnknownOperation)?
        .to_string();
    let codings = decoding::request_codings(headers).map_err(|e| KmsError::Serialization(e.to_string()))?;
    let declared_length = body.size_hint().exact().and_then(|length| usize::try_from(length).ok());
    let body = body::read_body(body, declared_length, &codings, limits)
        .await
        .map_err(|e| KmsError::Serialization(e.to_string()))?;
    let authenticated = app.security.authenticate(
        parts,
        &body.bytes,
        body.received_sha256.as_deref(),
        crate::request_facts(parts),
    )?;
    if authenticated.service != "kms" {
        return Err(
            AuthError::InvalidSignature("Credential should be scoped to correct service: 'kms'. ".into()).into(),
        );
    }
    Ok(kms_api::handle(&app.keys, &authenticated.caller, &operation, &body.bytes).await?)
}
