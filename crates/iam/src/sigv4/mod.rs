//! AWS Signature Version 4 verification: the Authorization header and
//! presigned query strings.
//!
//! The order of checks follows what AWS reports first: a malformed header
//! (IncompleteSignatureException) before anything about dates or keys; then
//! the scope (service, region), the date (format, scope date, 15-minute
//! window); then the key (UnrecognizedClientException), its session token
//! and expiry (ExpiredTokenException); last the signature itself.

pub mod authorization;
pub mod canonical;
pub mod presigned;
pub mod sign;
pub mod signing_key_cache;
pub mod timestamp;

use subtle::ConstantTimeEq;

use crate::credentials::{CredentialStore, Principal, Secret};
use crate::error::AuthError;
use authorization::{parse_authorization_header, CredentialScope};
use canonical::{canonical_request, sha256_hex, string_to_sign, CanonicalParts};
use presigned::{is_presigned, parse_presigned, SIGNATURE_PARAM};
use signing_key_cache::{signature_matches, SigningKeyCache};
pub use timestamp::{Clock, FixedClock, SystemClock, Timestamp};

/// The literal a client signs instead of the body's hash when it opts out of
/// payload signing.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// How far a request's date may be from now, either way.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// The body, or its SHA-256 when the caller has already computed it.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Bytes(&'a [u8]),
    Sha256Hex(&'a str),
}

/// A request as received: the raw (still percent-encoded) path and query,
/// the headers in arrival order (names in any case, repeats allowed).
/// Its `Debug` shows header names only: values include session tokens.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Body<'a>,
}

impl std::fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("header_names", &names)
            .finish_non_exhaustive()
    }
}

impl<'a> HttpRequest<'a> {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What a verifier accepts.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Service names the credential scope may name (`dynamodb`, and the
    /// server may add `iam`, `sts`); the first is the one error messages cite.
    pub services: Vec<String>,
    /// The one region the scope must name, if any (a self-hosted server
    /// usually accepts whatever region the client is configured with).
    pub region: Option<String>,
    /// Whether `x-amz-content-sha256: UNSIGNED-PAYLOAD` is accepted.
    pub allow_unsigned_payload: bool,
    /// How many signing keys to keep.
    pub key_cache_capacity: usize,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            services: vec!["dynamodb".to_string()],
            region: None,
            allow_unsigned_payload: false,
            key_cache_capacity: 1024,
        }
    }
}

/// A request whose signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: Principal,
    pub access_key_id: String,
    pub region: String,
    pub service: String,
    /// Signed with temporary (session) credentials.
    pub temporary: bool,
}

/// Verifies SigV4 signatures, caching derived signing keys.
#[derive(Debug)]
pub struct Verifier {
    config: VerifierConfig,
    keys: SigningKeyCache,
}

/// The signature inputs, whichever form carried them.
struct Presented {
    scope: CredentialScope,
    signed_headers: Vec<String>,
    signature: String,
    amz_date: String,
    security_token: Option<Secret>,
    /// The query key left out of the canonical query (presigned only).
    exclude_query_key: Option<&'static str>,
}

impl Verifier {
    pub fn new(config: VerifierConfig) -> Verifier {
        let keys = SigningKeyCache::new(config.key_cache_capacity);
        Verifier { config, keys }
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Authenticates `request`: who signed it, or why it is refused.
    pub fn verify(
        &self,
        request: &HttpRequest<'_>,
        store: &dyn CredentialStore,
        clock: &dyn Clock,
    ) -> Result<Verified, AuthError> {
        let now = clock.now();
        let presented = if let Some(header) = request.header("authorization") {
            self.presented_in_header(request, header, now)?
        } else if is_presigned(request.query) {
            self.presented_in_query(request, now)?
        } else {
            return Err(AuthError::MissingAuthenticationToken);
        };
        self.check(request, presented, store, now)
    }

    fn presented_in_header(
        &self,
        request: &HttpRequest<'_>,
        header: &str,
        now: Timestamp,
    ) -> Result<Presented, AuthError> {
        let amz_date_header = request.header("x-amz-date");
        let date_header = request.header("date");
        let parsed = parse_authorization_header(header, amz_date_header.is_some() || date_header.is_some())?;
        require_host_signed(&parsed.signed_headers)?;
        self.check_scope(&parsed.scope)?;
        let (amz_date, timestamp) = match (amz_date_header, date_header) {
            (Some(text), _) => (text.to_string(), parse_basic_date(text)?),
            (None, Some(text)) => {
                let t = Timestamp::parse_http_date(text).ok_or_else(|| {
                    AuthError::IncompleteSignature(format!(
                        "Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
                    ))
                })?;
                (t.to_basic(), t)
            }
            (None, None) => unreachable!("the header parser refuses a request without a date"),
        };
        check_scope_date(&parsed.scope, &amz_date)?;
        check_window(timestamp, now)?;
        Ok(Presented {
            scope: parsed.scope,
            signed_headers: parsed.signed_headers,
            signature: parsed.signature,
            amz_date,
            security_token: request.header("x-amz-security-token").map(Secret::new),
            exclude_query_key: None,
        })
    }

    fn presented_in_query(&self, request: &HttpRequest<'_>, now: Timestamp) -> Result<Presented, AuthError> {
        let params = parse_presigned(request.query)?;
        require_host_signed(&params.signed_headers)?;
        self.check_scope(&params.scope)?;
        let timestamp = parse_basic_date(&params.amz_date)?;
        check_scope_date(&params.scope, &params.amz_date)?;
        if timestamp > now.plus(MAX_SKEW_SECONDS) {
            return Err(not_yet_current(timestamp, now));
        }
        let expires_at = timestamp.plus(params.expires_seconds);
        if now > expires_at {
            return Err(AuthError::InvalidSignature(format!(
                "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                params.amz_date,
                Timestamp(now.0 - params.expires_seconds).to_basic(),
                now.to_basic(),
                params.expires_seconds
            )));
        }
        Ok(Presented {
            scope: params.scope,
            signed_headers: params.signed_headers,
            signature: params.signature,
            amz_date: params.amz_date,
            security_token: params.security_token,
            exclude_query_key: Some(SIGNATURE_PARAM),
        })
    }

    fn check_scope(&self, scope: &CredentialScope) -> Result<(), AuthError> {
        if !self.config.services.contains(&scope.service) {
            let expected = self.config.services.first().map_or("", String::as_str);
            return Err(AuthError::InvalidSignature(format!(
                "Credential should be scoped to correct service: '{expected}'. "
            )));
        }
        if let Some(region) = &self.config.region {
            if *region != scope.region {
                return Err(AuthError::InvalidSignature(format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    scope.region
                )));
            }
        }
        Ok(())
    }

    fn check(
        &self,
        request: &HttpRequest<'_>,
        presented: Presented,
        store: &dyn CredentialStore,
        now: Timestamp,
    ) -> Result<Verified, AuthError> {
        let credential = store
            .secret_for(&presented.scope.access_key_id)
            .ok_or(AuthError::UnrecognizedClient)?;
        match (&credential.session_token, &presented.security_token) {
            (None, None) => {}
            (Some(expected), Some(given))
                if bool::from(expected.expose().as_bytes().ct_eq(given.expose().as_bytes())) => {}
            _ => return Err(AuthError::UnrecognizedClient),
        }
        if credential.expires_at.is_some_and(|at| now.0 >= at) {
            return Err(AuthError::ExpiredToken);
        }
        let payload_hash = self.payload_hash(request, &presented.signed_headers)?;
        let canonical = canonical_request(&CanonicalParts {
            method: request.method,
            raw_path: request.path,
            raw_query: request.query,
            exclude_query_key: presented.exclude_query_key,
            headers: request.headers,
            signed_headers: &presented.signed_headers,
            payload_hash: &payload_hash,
        });
        let to_sign = string_to_sign(&presented.amz_date, &presented.scope, &canonical);
        let key = self
            .keys
            .signing_key(credential.secret_access_key.expose(), &presented.scope);
        let presented_bytes = decode_signature(&presented.signature)?;
        if !signature_matches(&key, &to_sign, &presented_bytes) {
            return Err(AuthError::signature_mismatch());
        }
        Ok(Verified {
            principal: credential.principal,
            access_key_id: presented.scope.access_key_id,
            region: presented.scope.region,
            service: presented.scope.service,
            temporary: credential.session_token.is_some(),
        })
    }

    /// The canonical request's last line: the body's SHA-256, or what a
    /// signed `x-amz-content-sha256` header says — which must then be the
    /// body's hash, or UNSIGNED-PAYLOAD where that is allowed.
    fn payload_hash(&self, request: &HttpRequest<'_>, signed_headers: &[String]) -> Result<String, AuthError> {
        let actual = match request.body {
            Body::Bytes(bytes) => sha256_hex(bytes),
            Body::Sha256Hex(hash) => hash.to_ascii_lowercase(),
        };
        let Some(declared) = request.header("x-amz-content-sha256") else {
            return Ok(actual);
        };
        if declared == UNSIGNED_PAYLOAD {
            let signed = signed_headers.iter().any(|h| h == "x-amz-content-sha256");
            return if self.config.allow_unsigned_payload && signed {
                Ok(UNSIGNED_PAYLOAD.to_string())
            } else {
                Err(AuthError::signature_mismatch())
            };
        }
        if !declared.eq_ignore_ascii_case(&actual) {
            return Err(AuthError::signature_mismatch());
        }
        Ok(declared.to_string())
    }
}

fn parse_basic_date(text: &str) -> Result<Timestamp, AuthError> {
    Timestamp::parse_basic(text).ok_or_else(|| {
        AuthError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })
}

fn require_host_signed(signed_headers: &[String]) -> Result<(), AuthError> {
    if signed_headers.iter().any(|h| h == "host") {
        Ok(())
    } else {
        Err(AuthError::InvalidSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".to_string(),
        ))
    }
}

fn check_scope_date(scope: &CredentialScope, amz_date: &str) -> Result<(), AuthError> {
    let day = &amz_date[..8.min(amz_date.len())];
    if scope.date != day {
        return Err(AuthError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
            scope.date
        )));
    }
    Ok(())
}

fn check_window(timestamp: Timestamp, now: Timestamp) -> Result<(), AuthError> {
    if timestamp < now.plus(-MAX_SKEW_SECONDS) {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {} is now earlier than {} ({} - 15 min.)",
            timestamp.to_basic(),
            now.plus(-MAX_SKEW_SECONDS).to_basic(),
            now.to_basic()
        )));
    }
    if timestamp > now.plus(MAX_SKEW_SECONDS) {
        return Err(not_yet_current(timestamp, now));
    }
    Ok(())
}

fn not_yet_current(timestamp: Timestamp, now: Timestamp) -> AuthError {
    AuthError::InvalidSignature(format!(
        "Signature not yet current: {} is still later than {} (current time + 15 min.)",
        timestamp.to_basic(),
        now.plus(MAX_SKEW_SECONDS).to_basic()
    ))
}

/// The presented signature as bytes; anything but 64 hex digits cannot match.
fn decode_signature(signature: &str) -> Result<[u8; 32], AuthError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(signature, &mut out).map_err(|_| AuthError::signature_mismatch())?;
    Ok(out)
}
