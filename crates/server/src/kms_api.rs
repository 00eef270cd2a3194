//! KMS on the DynamoDB endpoint: AWS's JSON 1.1 protocol with
//! `X-Amz-Target: TrentService.<Operation>`, signed for the service `kms`,
//! through the same pipeline as every request (parse, authenticate,
//! authorise, execute, audit), answered in KMS's JSON and error forms.
//! Every key use is an audit event (the trail's "key usage tracking").

use axum::body::{Body, HttpBody};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use halyard_audit::parameters::Described;
use halyard_audit::EventSource;
use halyard_iam::error::AuthError;
use halyard_kms::kms_api::{self, KmsError};
use serde_json::Value;

use crate::audit::Call;
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

pub(crate) async fn serve(app: &App, limits: &BodyLimits, request_id: &str, parts: Parts, body: Body) -> Response {
    let mut call = Call::start(&app.audit, &parts, request_id, EventSource::Kms);
    let (status, body) = match run(app, limits, &parts, body, &mut call).await {
        Ok(value) => {
            call.finish(None);
            (StatusCode::OK, value)
        }
        Err(Failure::Auth(error)) => {
            call.finish(Some((error.type_name().to_string(), error.to_string())));
            (
                StatusCode::BAD_REQUEST,
                serde_json::json!({ "__type": error.type_name(), "message": error.to_string() }),
            )
        }
        Err(Failure::Kms(error)) => {
            if let KmsError::Internal(detail) = &error {
                tracing::error!(%detail, "KMS internal error");
            }
            call.finish(Some((error.type_name().to_string(), error.to_string())));
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

async fn run(
    app: &App,
    limits: &BodyLimits,
    parts: &Parts,
    body: Body,
    call: &mut Call,
) -> Result<serde_json::Value, Failure> {
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
    call.named(EventSource::Kms, &operation);
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
    call.authenticated(&authenticated, app.security.directory());
    call.describe(Described {
        parameters: kms_parameters(&body.bytes),
        read_only: is_read_only(&operation),
        management: true,
        ..Default::default()
    });
    if authenticated.service != "kms" {
        return Err(
            AuthError::InvalidSignature("Credential should be scoped to correct service: 'kms'. ".into()).into(),
        );
    }
    Ok(kms_api::handle(&app.keys, &authenticated.caller, &operation, &body.bytes).await?)
}

/// What a KMS request's record keeps: which key and how it was used, never
/// plaintext, ciphertext or policies (CloudTrail's KMS records keep the
/// same members).
fn kms_parameters(body: &[u8]) -> Option<Value> {
    const KEPT: [&str; 12] = [
        "KeyId",
        "AliasName",
        "TargetKeyId",
        "DestinationKeyId",
        "EncryptionAlgorithm",
        "EncryptionContext",
        "DestinationEncryptionContext",
        "KeySpec",
        "KeyUsage",
        "NumberOfBytes",
        "PendingWindowInDays",
        "RotationPeriodInDays",
    ];
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let kept: serde_json::Map<String, Value> = request
        .into_iter()
        .filter(|(name, _)| KEPT.contains(&name.as_str()))
        .map(|(name, value)| {
            let mut chars = name.chars();
            let first = chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string())
                .unwrap_or_default();
            (first + chars.as_str(), value)
        })
        .collect();
    (!kept.is_empty()).then_some(Value::Object(kept))
}

/// KMS calls that change no key (CloudTrail marks cryptographic operations
/// read-only too).
fn is_read_only(operation: &str) -> bool {
    [
        "Describe",
        "List",
        "Get",
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateRandom",
    ]
    .iter()
    .any(|prefix| operation.starts_with(prefix))
}
