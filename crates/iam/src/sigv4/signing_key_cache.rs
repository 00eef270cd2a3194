//! Signing keys, derived once per (secret, date, region, service) and kept
//! in a small bounded cache: a warm request costs two HMACs (string to sign
//! and compare) instead of six.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::authorization::CredentialScope;

type HmacSha256 = Hmac<Sha256>;

pub type SigningKey = [u8; 32];

/// The cache key names the secret by its SHA-256, so the cache never holds
/// a secret itself.
#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    secret_digest: [u8; 32],
    date: String,
    region: String,
    service: String,
}

/// A bounded, first-in-first-out cache of derived signing keys.
pub struct SigningKeyCache {
    capacity: usize,
    inner: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    keys: HashMap<CacheKey, SigningKey>,
    order: VecDeque<CacheKey>,
}

impl SigningKeyCache {
    pub fn new(capacity: usize) -> SigningKeyCache {
        SigningKeyCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheState::default()),
        }
    }

    /// The signing key for `secret` in `scope`, derived on first use.
    pub fn signing_key(&self, secret: &str, scope: &CredentialScope) -> SigningKey {
        let key = CacheKey {
            secret_digest: Sha256::digest(secret.as_bytes()).into(),
            date: scope.date.clone(),
            region: scope.region.clone(),
            service: scope.service.clone(),
        };
        // A poisoned lock only means another thread panicked mid-insert; the
        // map is still a valid cache.
        let mut state = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = state.keys.get(&key) {
            return *found;
        }
        let derived = derive_signing_key(secret, scope);
        if state.keys.len() >= self.capacity {
            if let Some(oldest) = state.order.pop_front() {
                state.keys.remove(&oldest);
            }
        }
        state.order.push_back(key.clone());
        state.keys.insert(key, derived);
        derived
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
pub fn derive_signing_key(secret: &str, scope: &CredentialScope) -> SigningKey {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac(k_secret.as_bytes(), scope.date.as_bytes());
    let k_region = hmac(&k_date, scope.region.as_bytes());
    let k_service = hmac(&k_region, scope.service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

pub fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether `presented` (raw bytes of the hex the client sent) is the HMAC of
/// `string_to_sign` under `key`, compared in constant time.
pub fn signature_matches(key: &SigningKey, string_to_sign: &str, presented: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(presented).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(date: &str) -> CredentialScope {
        CredentialScope {
            access_key_id: "AKID".into(),
            date: date.into(),
            region: "us-east-1".into(),
            service: "iam".into(),
        }
    }

    #[test]
    fn derivation_matches_aws_documented_example() {
        // AWS's "Examples of how to derive a signing key": secret
        // wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam.
        let key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &scope("20120215"));
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cache_is_bounded_and_returns_the_derived_key() {
        let cache = SigningKeyCache::new(2);
        let a = cache.signing_key("s", &scope("20260101"));
        assert_eq!(a, derive_signing_key("s", &scope("20260101")));
        cache.signing_key("s", &scope("20260102"));
        cache.signing_key("s", &scope("20260103"));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.signing_key("s", &scope("20260101")), a);
    }
}
