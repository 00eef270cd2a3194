//! What the verifier needs to know about an access key, and the trait through
//! which it asks.

use std::fmt;

/// A secret string (secret access key, session token). Its `Debug` is
/// redacted so that no log line or error can carry it by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself: only for key derivation and token comparison.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Who a key belongs to: what policies are evaluated for, and what the
/// policy variables `${aws:username}` and `${aws:userid}` resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `arn:aws:iam::123456789012:user/alice`,
    /// `arn:aws:sts::123456789012:assumed-role/R/session`, ...
    pub arn: String,
    pub account: String,
    /// `AIDA...` for a user, `AROA...:session` for an assumed role.
    pub user_id: String,
    /// Set for IAM users only (IAM defines `aws:username` only for them).
    pub username: Option<String>,
}

/// One access key as the credential store knows it.
#[derive(Clone)]
pub struct Credential {
    pub secret_access_key: Secret,
    /// Present for temporary credentials: the request must carry the same
    /// value in `X-Amz-Security-Token`.
    pub session_token: Option<Secret>,
    /// Unix seconds after which temporary credentials fail with
    /// ExpiredTokenException.
    pub expires_at: Option<i64>,
    pub principal: Principal,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("principal", &self.principal)
            .finish()
    }
}

/// Where the verifier looks up an access key id. The server backs this with
/// its in-memory view of identities, so a lookup costs no storage read.
pub trait CredentialStore {
    fn secret_for(&self, access_key_id: &str) -> Option<Credential>;
}
