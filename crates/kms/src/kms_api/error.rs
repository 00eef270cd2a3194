//! The key service's errors, and their one conversion to KMS's wire form
//! (`{"__type": ..., "message": ...}`, HTTP 400 but for internal faults).

/// A KMS request's failure, named as KMS names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Disabled(String),
    #[error("{0}")]
    InvalidState(String),
    /// KMS says nothing about why a ciphertext does not decrypt.
    #[error("")]
    InvalidCiphertext,
    #[error("{0}")]
    IncorrectKey(String),
    #[error("{0}")]
    InvalidKeyUsage(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    InvalidAliasName(String),
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    InvalidMarker(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Tag(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("{0}")]
    AccessDenied(String),
    /// A body that is not a JSON object of the operation's shape.
    #[error("{0}")]
    Serialization(String),
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRunOperation,
    #[error("")]
    UnknownOperation,
    /// A fault of Halyard's (storage, unreadable key material): details go
    /// to the log, not to the caller.
    #[error("{0}")]
    Internal(String),
}

/// An error as sent.
pub struct WireError {
    pub status: u16,
    pub body: serde_json::Value,
}

impl KmsError {
    pub fn type_name(&self) -> &'static str {
        match self {
            KmsError::NotFound(_) => "NotFoundException",
            KmsError::Disabled(_) => "DisabledException",
            KmsError::InvalidState(_) => "KMSInvalidStateException",
            KmsError::InvalidCiphertext => "InvalidCiphertextException",
            KmsError::IncorrectKey(_) => "IncorrectKeyException",
            KmsError::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            KmsError::AlreadyExists(_) => "AlreadyExistsException",
            KmsError::InvalidAliasName(_) => "InvalidAliasNameException",
            KmsError::InvalidArn(_) => "InvalidArnException",
            KmsError::InvalidMarker(_) => "InvalidMarkerException",
            KmsError::Validation(_) => "ValidationException",
            KmsError::Tag(_) => "TagException",
            KmsError::LimitExceeded(_) => "LimitExceededException",
            KmsError::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            KmsError::UnsupportedOperation(_) => "UnsupportedOperationException",
            KmsError::AccessDenied(_) => "AccessDeniedException",
            KmsError::Serialization(_) => "SerializationException",
            KmsError::DryRunOperation => "DryRunOperationException",
            KmsError::UnknownOperation => "UnknownOperationException",
            KmsError::Internal(_) => "KMSInternalException",
        }
    }

    pub fn to_wire(&self) -> WireError {
        let status = match self {
            KmsError::Internal(_) => 500,
            _ => 400,
        };
        let message = match self {
            KmsError::Internal(_) => "An internal error occurred.".to_string(),
            other => other.to_string(),
        };
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.type_name().into());
        if !message.is_empty() {
            body.insert("message".into(), message.into());
        }
        WireError {
            status,
            body: serde_json::Value::Object(body),
        }
    }
}

/// AWS's text for a member that fails its constraint (Coral's validation),
/// one error at a time.
pub fn constraint(value: impl std::fmt::Display, member: &str, constraint: &str) -> KmsError {
    KmsError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}
