//! The SigV4 parsers and the policy parser (crates/iam): an Authorization
//! header, a presigned query string, or a policy document. Every input is
//! answered (an error is an answer) without panicking: a parsed header or
//! query is carried through full verification against a known key, and a
//! parsed policy is evaluated against a DynamoDB request. The first byte
//! picks the parser; the rest is its input.
#![no_main]

use halyard_iam::credentials::{Credential, CredentialStore, Principal, Secret};
use halyard_iam::policy::{evaluate, PolicyDocument, PolicyKind, PolicySet, RequestContext};
use halyard_iam::sigv4::authorization::parse_authorization_header;
use halyard_iam::sigv4::presigned::parse_presigned;
use halyard_iam::sigv4::{Body, FixedClock, HttpRequest, Timestamp, Verifier, VerifierConfig};
use libfuzzer_sys::fuzz_target;

struct OneKey;

impl CredentialStore for OneKey {
    fn secret_for(&self, access_key_id: &str) -> Option<Credential> {
        (access_key_id == "AKIDEXAMPLE").then(|| Credential {
            secret_access_key: Secret::new("secret"),
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

fn verify(headers: &[(&str, &str)], query: &str) {
    let verifier = Verifier::new(VerifierConfig::default());
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query,
        headers,
        body: Body::Bytes(b"{}"),
    };
    let clock = FixedClock(Timestamp::parse_basic("20261201T120000Z").expect("valid"));
    let _ = verifier.verify(&request, &OneKey, &clock);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 3 {
        0 => {
            let _ = parse_authorization_header(text, true);
            verify(
                &[
                    ("host", "localhost:8000"),
                    ("x-amz-date", "20261201T120000Z"),
                    ("authorization", text),
                ],
                "",
            );
        }
        1 => {
            let _ = parse_presigned(text);
            verify(&[("host", "localhost:8000")], text);
        }
        _ => {
            let mut context = RequestContext::new(
                "arn:aws:iam::111122223333:user/alice",
                "dynamodb:GetItem",
                "arn:aws:dynamodb:us-east-1:111122223333:table/Music",
            );
            context.set("aws:username", ["alice"]);
            context.set("dynamodb:LeadingKeys", ["alice"]);
            context.set("aws:SourceIp", ["203.0.113.7"]);
            context.set("aws:CurrentTime", ["2026-12-01T12:00:00Z"]);
            for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust] {
                if let Ok(doc) = PolicyDocument::parse(text, kind) {
                    let docs = [doc];
                    let set = match kind {
                        PolicyKind::Identity => PolicySet { identity: &docs, ..PolicySet::default() },
                        _ => PolicySet { resource: &docs, ..PolicySet::default() },
                    };
                    let _ = evaluate(&set, &context);
                }
            }
        }
    }
});
