//! SSESpecification (CreateTable, UpdateTable) and SSESpecificationOverride
//! (the restores), and SSEDescription.

use halyard_engine::model::TableDescription;
use halyard_engine::SseRequest;
use serde_json::{json, Value};

use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SseType {
    Aes256,
    Kms,
}

const SSE_TYPES: &[(&str, SseType)] = &[("AES256", SseType::Aes256), ("KMS", SseType::Kms)];

/// The specification in `member` (wire path `path`), once the request's
/// constraints have passed: read it with [`parse`], then [`check`] it.
pub(super) struct Specification {
    enabled: bool,
    sse_type: Option<SseType>,
    key_id: Option<String>,
}

pub(super) fn parse(
    request: Fields<'_>,
    member: &str,
    path: &str,
    violations: &mut ConstraintViolations,
) -> Result<Option<Specification>, ProtocolError> {
    let Some(spec) = request.object(member)? else {
        return Ok(None);
    };
    let enabled = spec.boolean("Enabled")?;
    let sse_type = violations.one_of(spec.string("SSEType")?, &format!("{path}.sSEType"), SSE_TYPES);
    let key_id = spec.string("KMSMasterKeyId")?.map(str::to_string);
    Ok(Some(Specification {
        enabled: enabled.unwrap_or(false),
        sse_type,
        key_id,
    }))
}

/// What the specification asks for: the service's own key unless Enabled;
/// with Enabled, a KMS key (the AWS managed key when none is named).
pub(super) fn check(spec: Option<Specification>) -> Result<Option<SseRequest>, ProtocolError> {
    let Some(spec) = spec else { return Ok(None) };
    if !spec.enabled {
        return Ok(Some(SseRequest::OwnedKey));
    }
    match (spec.sse_type, spec.key_id) {
        (Some(SseType::Aes256), _) => Err(halyard_engine::Error::validation(
            "One or more parameter values were invalid: SSEType AES256 is not supported",
        )
        .into()),
        (None, Some(_)) => {
            Err(halyard_engine::Error::validation("SSEType KMS is required if KMSMasterKeyId is specified").into())
        }
        (_, key_id) => Ok(Some(SseRequest::Kms { key_id })),
    }
}

/// Checks the caller's use of the customer managed key `sse` names for
/// `table` (the AWS managed key is DynamoDB's own to use).
pub(super) fn authorize_key(
    authorizer: &dyn crate::access::Authorizer,
    sse: &SseRequest,
    table: &str,
) -> Result<(), ProtocolError> {
    if let SseRequest::Kms { key_id: Some(key_id) } = sse {
        authorizer.authorize_key_use(key_id, table)?;
    }
    Ok(())
}

/// SSEDescription: only for a table under a KMS key (a table under the
/// service's own key has none, as DynamoDB reports it).
pub(super) fn description(table: &TableDescription, status: &str) -> Option<Value> {
    let sse = table.definition.sse.as_ref()?.reported()?;
    let mut description = json!({"Status": status, "SSEType": "KMS", "KMSMasterKeyArn": sse.key_arn});
    if let Some(since) = table.inaccessible_since {
        description["InaccessibleEncryptionDateTime"] = json!(since);
    }
    Some(description)
}
