//! Authentication errors, with DynamoDB's `__type` names and message texts.
//!
//! None of these carries a secret: messages are built only from what the
//! client itself sent (its header, its dates, its key id) and the clock.

use thiserror::Error;

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// Neither an Authorization header nor presigned query parameters.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The Authorization header or presigned parameters are malformed.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The signature, its scope or its date does not hold.
    #[error("{0}")]
    InvalidSignature(String),
    /// The access key id (or the session token presented with it) is unknown.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// Temporary credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
}

impl AuthError {
    /// The short exception name (the part after `#` in `__type`).
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::ExpiredToken => "ExpiredTokenException",
        }
    }

    /// DynamoDB's `__type`: authentication errors come from the Coral
    /// service framework, not from the DynamoDB model's namespace.
    pub fn namespaced_type(&self) -> String {
        format!("com.amazon.coral.service#{}", self.type_name())
    }

    /// The mismatch every wrong secret, tampered header or body gets.
    pub(crate) fn signature_mismatch() -> AuthError {
        AuthError::InvalidSignature(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details."
                .to_string(),
        )
    }
}
