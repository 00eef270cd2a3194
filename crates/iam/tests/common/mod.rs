//! Test vectors recorded from botocore's signers (tests/vectors/generate.py)
//! and a credential store over them.
#![allow(dead_code)]

use std::collections::HashMap;

use base64::Engine;
use halyard_iam::credentials::{Credential, CredentialStore, Principal, Secret};
use halyard_iam::sigv4::{Body, FixedClock, HttpRequest, Timestamp, Verifier, VerifierConfig};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Vector {
    pub name: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body_base64: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    pub service: String,
    pub now: String,
    pub allow_unsigned_payload: bool,
}

pub fn vectors() -> Vec<Vector> {
    let text = include_str!("../vectors/botocore.json");
    serde_json::from_str(text).expect("vectors parse")
}

impl Vector {
    pub fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body_base64)
            .expect("base64 body")
    }

    pub fn store(&self) -> MapStore {
        let mut keys = HashMap::new();
        keys.insert(
            self.access_key_id.clone(),
            Credential {
                secret_access_key: Secret::new(&self.secret_access_key),
                session_token: self.session_token.as_ref().map(Secret::new),
                expires_at: self.session_token.as_ref().map(|_| self.now_ts().0 + 3600),
                principal: Principal {
                    arn: "arn:aws:iam::111122223333:user/alice".into(),
                    account: "111122223333".into(),
                    user_id: "AIDAALICE".into(),
                    username: Some("alice".into()),
                },
            },
        );
        MapStore(keys)
    }

    pub fn now_ts(&self) -> Timestamp {
        Timestamp::parse_basic(&self.now).expect("now")
    }

    pub fn verifier(&self) -> Verifier {
        Verifier::new(VerifierConfig {
            services: vec!["dynamodb".into(), "iam".into(), "sts".into()],
            allow_unsigned_payload: self.allow_unsigned_payload,
            ..VerifierConfig::default()
        })
    }

    /// Verifies this vector (or a tampered copy) at `now` seconds offset.
    pub fn verify_at(
        &self,
        offset_seconds: i64,
    ) -> Result<halyard_iam::sigv4::Verified, halyard_iam::error::AuthError> {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let body = self.body();
        let request = HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: Body::Bytes(&body),
        };
        let clock = FixedClock(self.now_ts().plus(offset_seconds));
        self.verifier().verify(&request, &self.store(), &clock)
    }

    pub fn header_mut(&mut self, name: &str) -> &mut String {
        &mut self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .expect("header present")
            .1
    }
}

pub struct MapStore(pub HashMap<String, Credential>);

impl CredentialStore for MapStore {
    fn secret_for(&self, access_key_id: &str) -> Option<Credential> {
        self.0.get(access_key_id).cloned()
    }
}
