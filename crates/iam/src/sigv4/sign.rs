//! Signing, for Halyard's own client (`halyard check --endpoint`): the same
//! canonical request the verifier rebuilds, so the two cannot disagree.

use super::authorization::CredentialScope;
use super::canonical::{canonical_request, sha256_hex, string_to_sign, CanonicalParts};
use super::signing_key_cache::{derive_signing_key, hmac};
use super::Timestamp;

/// What to sign: a request without a query string.
pub struct Unsigned<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// `host` must be among them.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The `X-Amz-Date` and `Authorization` header values for `request`,
/// signed at `at` with every header it has.
pub fn authorization(
    request: &Unsigned<'_>,
    access_key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
    at: Timestamp,
) -> (String, String) {
    let amz_date = at.to_basic();
    let mut headers: Vec<(&str, &str)> = request.headers.to_vec();
    headers.push(("x-amz-date", &amz_date));
    let mut signed: Vec<String> = headers.iter().map(|(name, _)| name.to_ascii_lowercase()).collect();
    signed.sort();
    signed.dedup();
    let payload_hash = sha256_hex(request.body);
    let canonical = canonical_request(&CanonicalParts {
        method: request.method,
        raw_path: request.path,
        raw_query: "",
        exclude_query_key: None,
        headers: &headers,
        signed_headers: &signed,
        payload_hash: &payload_hash,
    });
    let scope = CredentialScope {
        access_key_id: access_key_id.to_string(),
        date: amz_date[..8].to_string(),
        region: region.to_string(),
        service: service.to_string(),
    };
    let signature = hex::encode(hmac(
        &derive_signing_key(secret, &scope),
        string_to_sign(&amz_date, &scope, &canonical).as_bytes(),
    ));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{}, SignedHeaders={}, Signature={signature}",
        scope.scope_string(),
        signed.join(";")
    );
    (amz_date, authorization)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credential, CredentialStore, Principal, Secret};
    use crate::sigv4::{Body, FixedClock, HttpRequest, Verifier, VerifierConfig};

    struct One;
    impl CredentialStore for One {
        fn secret_for(&self, id: &str) -> Option<Credential> {
            (id == "AKIAONE").then(|| Credential {
                secret_access_key: Secret::new("s3cret"),
                session_token: None,
                expires_at: None,
                principal: Principal {
                    arn: "arn:aws:iam::000000000000:root".into(),
                    account: "000000000000".into(),
                    user_id: "000000000000".into(),
                    username: None,
                },
            })
        }
    }

    #[test]
    fn what_it_signs_the_verifier_accepts() {
        let at = Timestamp(1_796_139_000);
        let headers = [("host", "127.0.0.1:8000")];
        let unsigned = Unsigned {
            method: "GET",
            path: "/halyard/check",
            headers: &headers,
            body: b"",
        };
        let (date, signed) = authorization(&unsigned, "AKIAONE", "s3cret", "us-east-1", "dynamodb", at);
        let all = [
            ("host", "127.0.0.1:8000"),
            ("x-amz-date", date.as_str()),
            ("authorization", signed.as_str()),
        ];
        let request = HttpRequest {
            method: "GET",
            path: "/halyard/check",
            query: "",
            headers: &all,
            body: Body::Bytes(b""),
        };
        let verifier = Verifier::new(VerifierConfig::default());
        let verified = verifier.verify(&request, &One, &FixedClock(at));
        assert!(verified.is_ok(), "{verified:?}");
        let (_, wrong) = authorization(&unsigned, "AKIAONE", "other", "us-east-1", "dynamodb", at);
        let all = [all[0], all[1], ("authorization", wrong.as_str())];
        let request = HttpRequest {
            headers: &all,
            ..request
        };
        assert!(verifier.verify(&request, &One, &FixedClock(at)).is_err());
    }
}
