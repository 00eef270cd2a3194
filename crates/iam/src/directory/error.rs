//! IAM's and STS's errors, as the query protocol reports them: an HTTP
//! status, a code (`<Code>`), whether the sender or the service is at fault
//! (`<Type>`), and a message.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    InvalidInput(String),
    /// STS: session policies or tags beyond their packed allowance.
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// The query protocol's own validation (`ValidationError`).
    #[error("{0}")]
    Validation(String),
    /// The caller may not do this (STS AssumeRole, IAM actions).
    #[error("{0}")]
    AccessDenied(String),
    /// An action the service does not have.
    #[error("{0}")]
    InvalidAction(String),
    /// A fault of Halyard's (storage), reported as IAM's ServiceFailure.
    #[error("{0}")]
    ServiceFailure(String),
}

impl IamError {
    /// `<Code>` in the error response.
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            IamError::Validation(_) => "ValidationError",
            IamError::AccessDenied(_) => "AccessDenied",
            IamError::InvalidAction(_) => "InvalidAction",
            IamError::ServiceFailure(_) => "ServiceFailure",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_) | IamError::DeleteConflict(_) | IamError::LimitExceeded(_) => 409,
            IamError::AccessDenied(_) => 403,
            IamError::ServiceFailure(_) => 500,
            IamError::MalformedPolicyDocument(_)
            | IamError::InvalidInput(_)
            | IamError::PackedPolicyTooLarge(_)
            | IamError::Validation(_)
            | IamError::InvalidAction(_) => 400,
        }
    }

    /// `<Type>`: `Sender` or `Receiver`.
    pub fn fault(&self) -> &'static str {
        match self {
            IamError::ServiceFailure(_) => "Receiver",
            _ => "Sender",
        }
    }
}

impl From<crate::policy::MalformedPolicyDocument> for IamError {
    fn from(error: crate::policy::MalformedPolicyDocument) -> IamError {
        IamError::MalformedPolicyDocument(error.0)
    }
}
