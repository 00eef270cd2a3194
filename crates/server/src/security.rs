//! Authentication, the second step of every request's pipeline (parse,
//! authenticate, authorise, execute): who signed the request, with SigV4,
//! or — with `--auth off` — anyone, acting as the account's root.

use std::sync::Arc;

use axum::http::request::Parts;
use halyard_iam::access::{Caller, RequestFacts};
use halyard_iam::directory::{Directory, Grants};
use halyard_iam::error::AuthError;
use halyard_iam::sigv4::{self, HttpRequest, SystemClock, Verifier, VerifierConfig};

/// Whether requests must be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request is verified with SigV4 against the directory's keys.
    SigV4,
    /// Any credentials are accepted, as by DynamoDB Local: every request
    /// acts as the account's root.
    Off,
}

/// The SigV4 service names served on this endpoint.
const SERVICES: [&str; 5] = ["dynamodb", "iam", "sts", "kms", "cloudtrail"];

pub struct Security {
    mode: AuthMode,
    verifier: Verifier,
    directory: Arc<Directory>,
}

/// A request that passed authentication.
pub struct Authenticated {
    pub caller: Caller,
    /// The credential scope's service name (`dynamodb`, `iam`, `sts`, `kms`).
    pub service: String,
    /// The key the request was signed with (unverified with `--auth off`).
    pub access_key_id: String,
}

impl Security {
    pub fn new(mode: AuthMode, directory: Arc<Directory>) -> Security {
        let verifier = Verifier::new(VerifierConfig {
            services: SERVICES.iter().map(|s| s.to_string()).collect(),
            ..VerifierConfig::default()
        });
        Security {
            mode,
            verifier,
            directory,
        }
    }

    pub fn directory(&self) -> &Arc<Directory> {
        &self.directory
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// Authenticates a request from its head and its body as received
    /// (`body_sha256`: the hash of the bytes on the wire when they were
    /// decoded, so differ from `body`).
    pub fn authenticate(
        &self,
        parts: &Parts,
        body: &[u8],
        body_sha256: Option<&str>,
        facts: RequestFacts,
    ) -> Result<Authenticated, AuthError> {
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
            .collect();
        let request = HttpRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &headers,
            body: match body_sha256 {
                Some(hash) => sigv4::Body::Sha256Hex(hash),
                None => sigv4::Body::Bytes(body),
            },
        };
        match self.mode {
            AuthMode::SigV4 => {
                let verified = self.verifier.verify(&request, &*self.directory, &SystemClock)?;
                // The key was found a moment ago; it can only have gone if
                // it was deleted in between.
                let grants = self
                    .directory
                    .grants(&verified.access_key_id)
                    .ok_or(AuthError::UnrecognizedClient)?;
                Ok(Authenticated {
                    caller: Caller { grants, facts },
                    service: verified.service,
                    access_key_id: verified.access_key_id,
                })
            }
            AuthMode::Off => {
                let Some(header) = request.header("authorization") else {
                    return Err(AuthError::MissingAuthenticationToken);
                };
                Ok(Authenticated {
                    caller: Caller {
                        grants: Grants::root(self.directory.account_id()),
                        facts,
                    },
                    service: unverified_service(header).unwrap_or_else(|| "dynamodb".to_string()),
                    access_key_id: unverified_access_key(header).unwrap_or_default(),
                })
            }
        }
    }
}

/// The access key id of an Authorization header, unverified.
fn unverified_access_key(header: &str) -> Option<String> {
    let credential = header.split("Credential=").nth(1)?;
    credential.split('/').next().map(str::to_string)
}

/// The service named by an Authorization header's credential scope,
/// unverified (for routing with `--auth off`).
fn unverified_service(header: &str) -> Option<String> {
    let credential = header.split("Credential=").nth(1)?.split([',', ' ']).next()?;
    sigv4::authorization::CredentialScope::parse(credential)
        .ok()
        .map(|scope| scope.service)
}
