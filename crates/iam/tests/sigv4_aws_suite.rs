//! Cases of AWS's published SigV4 test suite (aws-sig-v4-test-suite:
//! get-vanilla, get-vanilla-query-order-key-case, post-vanilla), with the
//! published signatures, verified.

use halyard_iam::credentials::{Credential, CredentialStore, Principal, Secret};
use halyard_iam::error::AuthError;
use halyard_iam::sigv4::{Body, FixedClock, HttpRequest, Timestamp, Verifier, VerifierConfig};

struct SuiteKey;

impl CredentialStore for SuiteKey {
    fn secret_for(&self, access_key_id: &str) -> Option<Credential> {
        (access_key_id == "AKIDEXAMPLE").then(|| Credential {
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: None,
            expires_at: None,
            principal: Principal {
                arn: "arn:aws:iam::123456789012:user/example".into(),
                account: "123456789012".into(),
                user_id: "AIDAEXAMPLE".into(),
                username: Some("example".into()),
            },
        })
    }
}

fn verify(method: &str, query: &str, signature: &str) -> Result<(), AuthError> {
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    );
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", authorization.as_str()),
    ];
    let request = HttpRequest {
        method,
        path: "/",
        query,
        headers: &headers,
        body: Body::Bytes(b""),
    };
    let verifier = Verifier::new(VerifierConfig {
        services: vec!["service".into()],
        region: Some("us-east-1".into()),
        ..VerifierConfig::default()
    });
    let clock = FixedClock(Timestamp::parse_basic("20150830T123600Z").unwrap());
    verifier.verify(&request, &SuiteKey, &clock).map(|_| ())
}

#[test]
fn get_vanilla() {
    verify(
        "GET",
        "",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    )
    .unwrap();
}

#[test]
fn get_vanilla_query_order_key_case() {
    verify(
        "GET",
        "Param2=value2&Param1=value1",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    )
    .unwrap();
}

#[test]
fn post_vanilla() {
    verify(
        "POST",
        "",
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    )
    .unwrap();
}

#[test]
fn the_suite_signature_does_not_verify_another_request() {
    let err = verify(
        "POST",
        "",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    )
    .unwrap_err();
    assert_eq!(err.type_name(), "InvalidSignatureException");
}
