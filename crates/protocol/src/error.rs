//! The error catalogue: every error Halyard returns, in DynamoDB's wire form.

use halyard_engine::Error as EngineError;
use serde_json::json;

/// An error at the protocol level, or one the engine raised.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The body is not well-formed JSON, or a member has the wrong JSON type.
    #[error("{0}")]
    Serialization(String),
    #[error("An unknown operation was requested.")]
    UnknownOperation,
    /// The request's signature (or its absence) did not authenticate it.
    #[error(transparent)]
    Authentication(#[from] halyard_iam::error::AuthError),
    #[error("Request size {0} bytes exceeded the limit of 16777216 bytes")]
    RequestTooLarge(usize),
    /// Header fields of more bytes than the server takes.
    #[error("Request header size {size} bytes exceeded the limit of {limit} bytes")]
    HeadersTooLarge { size: usize, limit: usize },
    /// A compressed body that decompresses past the 16 MB limit.
    #[error("Decompressed request size exceeded the limit of 16777216 bytes")]
    DecompressedTooLarge,
    /// A Content-Encoding that is not decoded, or a body that does not
    /// decode as its Content-Encoding says. DynamoDB answers both with 500.
    #[error("{0}")]
    UndecodableBody(String),
    /// The request body did not arrive within the body timeout (seconds).
    #[error("The request body was not received within {0} seconds")]
    RequestTimeout(u64),
    /// The server's budget for request bodies stayed spent for the whole
    /// body timeout. SDKs retry this error with back-off.
    #[error("Rate of requests exceeds the allowed throughput.")]
    Throttled,
    /// The caller's policies do not allow one of the request's actions
    /// (the message names the caller, the action and the resource).
    #[error("{0}")]
    AccessDenied(String),
}

impl From<crate::constraints::ConstraintViolations> for ProtocolError {
    fn from(violations: crate::constraints::ConstraintViolations) -> Self {
        ProtocolError::Engine(EngineError::Validation(violations.to_string()))
    }
}

/// An error ready to send: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct WireError {
    pub status: u16,
    pub body: serde_json::Value,
}

const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810#";
const CORAL_VALIDATE: &str = "com.amazon.coral.validate#";
const CORAL_SERVICE: &str = "com.amazon.coral.service#";
const CORAL_AVAILABILITY: &str = "com.amazon.coral.availability#";

impl ProtocolError {
    /// The HTTP status and the `__type` name (without its namespace).
    pub fn status_and_type(&self) -> (u16, &'static str) {
        let (status, _, type_name) = self.classify();
        (status, type_name)
    }

    fn classify(&self) -> (u16, &'static str, &'static str) {
        match self {
            ProtocolError::Engine(error) => match error {
                EngineError::Validation(_) => (400, CORAL_VALIDATE, "ValidationException"),
                EngineError::AccessDenied(_) => (400, CORAL_SERVICE, "AccessDeniedException"),
                EngineError::Throttling(_) => (400, CORAL_AVAILABILITY, "ThrottlingException"),
                EngineError::Internal(_)
                | EngineError::OutOfSpace
                | EngineError::WritesStopped
                | EngineError::Conflict
                | EngineError::CommitOutcomeUnknown => (500, DYNAMODB, "InternalServerError"),
                other => (400, DYNAMODB, other.type_name()),
            },
            ProtocolError::Serialization(_) => (400, CORAL_SERVICE, "SerializationException"),
            ProtocolError::UnknownOperation => (400, CORAL_SERVICE, "UnknownOperationException"),
            // Authentication is the service framework's, not DynamoDB's model's.
            ProtocolError::Authentication(error) => (400, CORAL_SERVICE, error.type_name()),
            ProtocolError::RequestTooLarge(_) | ProtocolError::DecompressedTooLarge => {
                (413, DYNAMODB, "RequestEntityTooLarge")
            }
            ProtocolError::HeadersTooLarge { .. } => (431, DYNAMODB, "RequestHeaderFieldsTooLarge"),
            ProtocolError::UndecodableBody(_) => (500, DYNAMODB, "InternalServerError"),
            ProtocolError::RequestTimeout(_) => (400, CORAL_SERVICE, "RequestTimeoutException"),
            ProtocolError::Throttled => (400, CORAL_AVAILABILITY, "ThrottlingException"),
            ProtocolError::AccessDenied(_) => (400, CORAL_SERVICE, "AccessDeniedException"),
        }
    }

    /// The one place errors become DynamoDB's wire format.
    pub fn to_wire(&self) -> WireError {
        let (status, namespace, type_name) = self.classify();
        let message = match self {
            // Internal details go to the log, not to the caller.
            ProtocolError::Engine(EngineError::Internal(_)) => "Internal server error".to_string(),
            other => other.to_string(),
        };
        let mut body = json!({ "__type": format!("{namespace}{type_name}"), "message": message });
        if let ProtocolError::Engine(EngineError::ConditionalCheckFailed { item: Some(item) }) = self {
            body["Item"] = crate::attribute_value::item_to_json(item);
        }
        if let ProtocolError::Engine(EngineError::Throttled { reasons, .. }) = self {
            let reasons: Vec<serde_json::Value> = reasons
                .iter()
                .map(|r| json!({ "reason": r.reason, "resource": r.resource }))
                .collect();
            // The member's name differs between the two shapes (botocore's model).
            let member = match type_name {
                "ThrottlingException" => "throttlingReasons",
                _ => "ThrottlingReasons",
            };
            body[member] = json!(reasons);
        }
        if let ProtocolError::Engine(EngineError::TransactionCanceled { reasons }) = self {
            let reasons: Vec<serde_json::Value> = reasons
                .iter()
                .map(|reason| {
                    let mut entry = json!({ "Code": reason.code });
                    if let Some(message) = &reason.message {
                        entry["Message"] = json!(message);
                    }
                    if let Some(item) = &reason.item {
                        entry["Item"] = crate::attribute_value::item_to_json(item);
                    }
                    entry
                })
                .collect();
            body["CancellationReasons"] = json!(reasons);
        }
        WireError { status, body }
    }
}
