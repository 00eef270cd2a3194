//! The cost of authentication and authorisation per request: verifying a
//! typical DynamoDB request's signature (headers and a 200-byte body) with a
//! warm signing-key cache, and evaluating a 10-statement policy.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use halyard_iam::credentials::{Credential, CredentialStore, Principal, Secret};
use halyard_iam::policy::{evaluate, PolicyDocument, PolicyKind, PolicySet, RequestContext};
use halyard_iam::sigv4::authorization::CredentialScope;
use halyard_iam::sigv4::canonical::{canonical_request, sha256_hex, string_to_sign, CanonicalParts};
use halyard_iam::sigv4::signing_key_cache::{derive_signing_key, hmac};
use halyard_iam::sigv4::{Body, FixedClock, HttpRequest, Timestamp, Verifier, VerifierConfig};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20261201T120000Z";

struct OneKey;

impl CredentialStore for OneKey {
    fn secret_for(&self, _: &str) -> Option<Credential> {
        Some(Credential {
            secret_access_key: Secret::new(SECRET),
            session_token: None,
            expires_at: None,
            principal: Principal {
                arn: "arn:aws:iam::111122223333:user/alice".into(),
                account: "111122223333".into(),
                user_id: "AIDAALICE".into(),
                username: Some("alice".into()),
            },
        })
    }
}

fn verification(c: &mut Criterion) {
    let body = format!(
        r#"{{"TableName":"Music","Key":{{"Artist":{{"S":"No One You Know"}},"SongTitle":{{"S":"Call Me Today{}"}}}}}}"#,
        "x".repeat(200 - 96)
    );
    assert_eq!(body.len(), 200);
    let signed = ["content-type", "host", "x-amz-date", "x-amz-target"].map(String::from);
    let mut headers = vec![
        ("Content-Type", "application/x-amz-json-1.0".to_string()),
        ("Host", "localhost:8000".to_string()),
        ("X-Amz-Date", DATE.to_string()),
        ("X-Amz-Target", "DynamoDB_20120810.GetItem".to_string()),
        (
            "User-Agent",
            "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux".to_string(),
        ),
    ];
    // Sign the request the way a client does, with the crate's own
    // canonicalisation (the botocore vectors prove it equal to botocore's).
    let scope = CredentialScope {
        access_key_id: "AKIDEXAMPLE".into(),
        date: "20261201".into(),
        region: "us-east-1".into(),
        service: "dynamodb".into(),
    };
    let borrowed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let canonical = canonical_request(&CanonicalParts {
        method: "POST",
        raw_path: "/",
        raw_query: "",
        exclude_query_key: None,
        headers: &borrowed,
        signed_headers: &signed,
        payload_hash: &sha256_hex(body.as_bytes()),
    });
    let signature = hex::encode(hmac(
        &derive_signing_key(SECRET, &scope),
        string_to_sign(DATE, &scope, &canonical).as_bytes(),
    ));
    headers.push((
        "Authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders={}, Signature={signature}",
            signed.join(";")
        ),
    ));
    let borrowed: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &borrowed,
        body: Body::Bytes(body.as_bytes()),
    };
    let verifier = Verifier::new(VerifierConfig::default());
    let clock = FixedClock(Timestamp::parse_basic(DATE).expect("date"));
    verifier.verify(&request, &OneKey, &clock).expect("signature verifies");
    c.bench_function("sigv4_verify_getitem_200b_warm_cache", |b| {
        b.iter(|| verifier.verify(black_box(&request), &OneKey, &clock).is_ok())
    });
}

fn authorisation(c: &mut Criterion) {
    let mut statements = Vec::new();
    for i in 0..9 {
        statements.push(serde_json::json!({
            "Sid": format!("S{i}"), "Effect": "Allow",
            "Action": [format!("dynamodb:Describe{i}*"), "dynamodb:List*"],
            "Resource": format!("arn:aws:dynamodb:*:111122223333:table/Other{i}*"),
        }));
    }
    statements.push(serde_json::json!({
        "Sid": "OwnItems", "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
        "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Music",
        "Condition": {
            "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:username}"]},
            "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]},
            "Bool": {"aws:SecureTransport": "true"}
        }
    }));
    let json = serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let docs = [PolicyDocument::parse(&json, PolicyKind::Identity).expect("valid")];
    let mut context = RequestContext::new(
        "arn:aws:iam::111122223333:user/alice",
        "dynamodb:GetItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Music",
    );
    context.set("aws:username", ["alice"]);
    context.set("dynamodb:LeadingKeys", ["alice"]);
    context.set("aws:SourceIp", ["203.0.113.7"]);
    context.set("aws:SecureTransport", ["true"]);
    let set = PolicySet {
        identity: &docs,
        ..PolicySet::default()
    };
    assert!(evaluate(&set, &context).is_allowed());
    c.bench_function("policy_evaluate_10_statements", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&context)).is_allowed())
    });
}

criterion_group!(benches, verification, authorisation);
criterion_main!(benches);
