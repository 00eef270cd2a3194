//! Why a console request is refused before it reaches the API, with the
//! status and the JSON body (DynamoDB's shape: `__type`, `message`) the
//! console's script shows.

use serde_json::json;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConsoleError {
    /// Unknown key, wrong secret or token, expired or inactive key: one
    /// answer for all, so that sign-in does not tell which keys exist.
    #[error("Sign-in failed: the access key ID, secret access key or session token is not valid.")]
    SignInFailed,
    #[error("Sign in to use the console: there is no session, or it has expired or been signed out.")]
    NoSession,
    #[error("The request's CSRF token is missing or does not match the session's.")]
    CsrfMismatch,
    #[error("The request comes from another origin than the console's.")]
    ForeignOrigin,
    #[error("The request body is not valid: {0}")]
    BadRequest(String),
}

impl ConsoleError {
    pub fn status(&self) -> u16 {
        match self {
            ConsoleError::SignInFailed | ConsoleError::NoSession => 401,
            ConsoleError::CsrfMismatch | ConsoleError::ForeignOrigin => 403,
            ConsoleError::BadRequest(_) => 400,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ConsoleError::SignInFailed => "SignInFailed",
            ConsoleError::NoSession => "NoSession",
            ConsoleError::CsrfMismatch => "CsrfMismatch",
            ConsoleError::ForeignOrigin => "ForeignOrigin",
            ConsoleError::BadRequest(_) => "BadRequest",
        }
    }

    /// The answer's body.
    pub fn body(&self) -> String {
        json!({"__type": format!("halyard.console#{}", self.code()), "message": self.to_string()}).to_string()
    }
}
