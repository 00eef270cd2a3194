//! Requests signed by botocore verify; any tampering is refused with the
//! error DynamoDB gives.

mod common;

use common::vectors;
use halyard_iam::error::AuthError;

fn mismatch() -> String {
    "The request signature we calculated does not match the signature you provided. Check your \
     AWS Secret Access Key and signing method. Consult the service documentation for details."
        .to_string()
}

#[test]
fn every_botocore_vector_verifies() {
    let all = vectors();
    assert!(all.len() >= 20);
    for v in &all {
        let verified = v.verify_at(0).unwrap_or_else(|e| panic!("{}: {e:?}", v.name));
        assert_eq!(verified.access_key_id, v.access_key_id, "{}", v.name);
        assert_eq!(verified.region, v.region);
        assert_eq!(verified.service, v.service);
        assert_eq!(verified.temporary, v.session_token.is_some());
        assert_eq!(verified.principal.arn, "arn:aws:iam::111122223333:user/alice");
    }
}

/// The vector's signature as it travels: in the Authorization header or the
/// query string.
fn signature_of(v: &common::Vector) -> String {
    if let Some((_, auth)) = v.headers.iter().find(|(n, _)| n == "Authorization") {
        auth.rsplit("Signature=").next().unwrap().to_string()
    } else {
        v.query.rsplit("X-Amz-Signature=").next().unwrap().to_string()
    }
}

fn with_signature(v: &common::Vector, signature: &str) -> common::Vector {
    let mut t = v.clone();
    let old = signature_of(v);
    if let Some((_, auth)) = t.headers.iter_mut().find(|(n, _)| n == "Authorization") {
        *auth = auth.replace(&old, signature);
    } else {
        t.query = t.query.replace(&old, signature);
    }
    t
}

#[test]
fn every_character_of_the_signature_matters() {
    for v in vectors() {
        let sig = signature_of(&v);
        assert_eq!(sig.len(), 64);
        for i in 0..sig.len() {
            let mut chars: Vec<char> = sig.chars().collect();
            chars[i] = if chars[i] == '0' { '1' } else { '0' };
            let tampered: String = chars.into_iter().collect();
            let err = with_signature(&v, &tampered).verify_at(0).unwrap_err();
            assert_eq!(err, AuthError::InvalidSignature(mismatch()), "{} at {i}", v.name);
        }
        // Not hex, too short, too long: still a plain mismatch.
        for bad in ["zz".repeat(32), sig[..62].to_string(), format!("{sig}00")] {
            let err = with_signature(&v, &bad).verify_at(0).unwrap_err();
            assert_eq!(err, AuthError::InvalidSignature(mismatch()), "{}", v.name);
        }
    }
}

#[test]
fn a_changed_signed_header_or_body_is_refused() {
    for v in vectors().into_iter().filter(|v| !v.query.contains("X-Amz-Signature")) {
        let mut t = v.clone();
        t.header_mut("host").push('x');
        assert_eq!(
            t.verify_at(0).unwrap_err(),
            AuthError::InvalidSignature(mismatch()),
            "{}",
            v.name
        );

        if !v.allow_unsigned_payload {
            let mut t = v.clone();
            let mut body = t.body();
            body.push(b' ');
            t.body_base64 = base64_encode(&body);
            assert_eq!(
                t.verify_at(0).unwrap_err(),
                AuthError::InvalidSignature(mismatch()),
                "{}",
                v.name
            );
        }
    }
}

#[test]
fn unsigned_payload_is_refused_unless_allowed() {
    let mut v = vectors().into_iter().find(|v| v.name == "unsigned-payload").unwrap();
    v.allow_unsigned_payload = false;
    assert_eq!(v.verify_at(0).unwrap_err(), AuthError::InvalidSignature(mismatch()));
}

#[test]
fn a_changed_query_is_refused() {
    for v in vectors().into_iter().filter(|v| !v.query.is_empty()) {
        let mut t = v.clone();
        t.query = format!("{}&extra=1", t.query);
        assert_eq!(
            t.verify_at(0).unwrap_err(),
            AuthError::InvalidSignature(mismatch()),
            "{}",
            v.name
        );
    }
}

#[test]
fn wrong_secret_and_unknown_key() {
    let v = vectors().remove(0);
    let mut t = v.clone();
    t.secret_access_key.push('x');
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::InvalidSignature(mismatch()));
    let mut t = v.clone();
    t.access_key_id = "AKIAOTHER".into();
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::UnrecognizedClient);
    assert_eq!(
        AuthError::UnrecognizedClient.to_string(),
        "The security token included in the request is invalid."
    );
}

#[test]
fn session_tokens_must_match_and_expire() {
    let v = vectors()
        .into_iter()
        .find(|v| v.name == "get-item-session-token")
        .unwrap();
    // The store knows another token for the key.
    let mut t = v.clone();
    t.session_token = Some("other".into());
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::UnrecognizedClient);
    // Long-term key presented with a token.
    let mut t = v.clone();
    t.session_token = None;
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::UnrecognizedClient);
    // The store's credentials expire an hour after `now`.
    assert!(v.verify_at(0).is_ok());
}

#[test]
fn expired_temporary_credentials() {
    let v = vectors()
        .into_iter()
        .find(|v| v.name == "get-item-session-token")
        .unwrap();
    let mut store = v.store();
    for c in store.0.values_mut() {
        c.expires_at = Some(v.now_ts().0);
    }
    let headers: Vec<(&str, &str)> = v.headers.iter().map(|(n, x)| (n.as_str(), x.as_str())).collect();
    let body = v.body();
    let request = halyard_iam::sigv4::HttpRequest {
        method: &v.method,
        path: &v.path,
        query: &v.query,
        headers: &headers,
        body: halyard_iam::sigv4::Body::Bytes(&body),
    };
    let err = v
        .verifier()
        .verify(&request, &store, &halyard_iam::sigv4::FixedClock(v.now_ts()))
        .unwrap_err();
    assert_eq!(err, AuthError::ExpiredToken);
    assert_eq!(err.namespaced_type(), "com.amazon.coral.service#ExpiredTokenException");
}

#[test]
fn stale_and_future_dates_get_dynamodbs_messages() {
    let v = vectors().remove(0);
    // 15 minutes either way is still accepted.
    assert!(v.verify_at(15 * 60).is_ok());
    assert!(v.verify_at(-15 * 60).is_ok());
    assert_eq!(
        v.verify_at(15 * 60 + 1).unwrap_err(),
        AuthError::InvalidSignature(
            "Signature expired: 20261201T120000Z is now earlier than 20261201T120001Z (20261201T121501Z - 15 min.)"
                .to_string()
        )
    );
    assert_eq!(
        v.verify_at(-(15 * 60 + 1)).unwrap_err(),
        AuthError::InvalidSignature(
            "Signature not yet current: 20261201T120000Z is still later than 20261201T115959Z (current time + 15 min.)"
                .to_string()
        )
    );
}

#[test]
fn scope_date_region_and_service_are_checked() {
    let v = vectors().remove(0);
    // A scope date that is not X-Amz-Date's day.
    let mut t = v.clone();
    *t.header_mut("authorization") = t.header_mut("authorization").replace("/20261201/", "/20261130/");
    assert_eq!(
        t.verify_at(0).unwrap_err(),
        AuthError::InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261130' != '20261201', from '20261201T120000Z'."
                .to_string()
        )
    );
    // A changed X-Amz-Date (same day): the signature no longer matches.
    let mut t = v.clone();
    *t.header_mut("x-amz-date") = "20261201T120001Z".into();
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::InvalidSignature(mismatch()));
    // Another region: the signing key differs.
    let mut t = v.clone();
    *t.header_mut("authorization") = t.header_mut("authorization").replace("/us-east-1/", "/us-west-2/");
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::InvalidSignature(mismatch()));
    // A service the verifier does not serve.
    let mut t = v.clone();
    *t.header_mut("authorization") = t.header_mut("authorization").replace("/dynamodb/", "/s3/");
    assert_eq!(
        t.verify_at(0).unwrap_err(),
        AuthError::InvalidSignature("Credential should be scoped to correct service: 'dynamodb'. ".to_string())
    );
    // A service it serves, but not the one signed for.
    let mut t = v.clone();
    *t.header_mut("authorization") = t.header_mut("authorization").replace("/dynamodb/", "/sts/");
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::InvalidSignature(mismatch()));
}

#[test]
fn host_must_be_signed_and_missing_auth_is_named() {
    let v = vectors().remove(0);
    let mut t = v.clone();
    *t.header_mut("authorization") = t
        .header_mut("authorization")
        .replace("content-type;host;", "content-type;");
    assert_eq!(
        t.verify_at(0).unwrap_err(),
        AuthError::InvalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.".to_string())
    );
    let mut t = v.clone();
    t.headers.retain(|(n, _)| n != "Authorization");
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::MissingAuthenticationToken);
    assert_eq!(
        AuthError::MissingAuthenticationToken.to_string(),
        "Request is missing Authentication Token"
    );
    let mut t = v.clone();
    t.headers.retain(|(n, _)| n != "X-Amz-Date");
    let err = t.verify_at(0).unwrap_err();
    assert_eq!(err.type_name(), "IncompleteSignatureException");
    assert!(err.to_string().starts_with(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="
    ));
}

#[test]
fn presigned_urls_expire() {
    let v = vectors().into_iter().find(|v| v.name == "presigned").unwrap();
    assert!(v.verify_at(300).is_ok());
    let err = v.verify_at(301).unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
    assert!(err.to_string().starts_with("Signature expired: 20261201T120000Z"));
    let mut t = v.clone();
    t.query = t.query.replace("X-Amz-Expires=300", "X-Amz-Expires=301");
    assert_eq!(t.verify_at(0).unwrap_err(), AuthError::InvalidSignature(mismatch()));
}

#[test]
fn no_secret_in_errors_or_debug_output() {
    for v in vectors() {
        let mut t = v.clone();
        t.secret_access_key.push('x');
        let err = t.verify_at(0).unwrap_err();
        let shown = format!("{err} {err:?} {:?} {:?}", t.store().0, t.verifier());
        assert!(!shown.contains(&v.secret_access_key), "{shown}");
        if let Some(token) = &v.session_token {
            assert!(!format!("{:?}", v.store().0).contains(token.as_str()));
            let parsed = halyard_iam::sigv4::presigned::parse_presigned(&v.query);
            assert!(!format!("{parsed:?}").contains(token.as_str()));
            let headers: Vec<(&str, &str)> = v.headers.iter().map(|(n, x)| (n.as_str(), x.as_str())).collect();
            let request = halyard_iam::sigv4::HttpRequest {
                method: &v.method,
                path: &v.path,
                query: &v.query,
                headers: &headers,
                body: halyard_iam::sigv4::Body::Bytes(b""),
            };
            assert!(!format!("{request:?}").contains(token.as_str()));
        }
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
