//! Sign-in and the console's server-side sessions.
//!
//! Signing in checks an access key and its secret against the identity
//! directory (the same [`CredentialStore`] SigV4 verification uses) and
//! opens a session: a random 256-bit id, sent only in the HttpOnly session
//! cookie, and a random CSRF token the console's script sends back in a
//! header with every state-changing call. Sessions are kept in memory by
//! the SHA-256 of their id, so that looking one up compares hashes, not the
//! secret id itself; they end after an idle time, after a lifetime, at
//! sign-out, or when their key stops being valid (checked on every call by
//! the server). A restart signs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use halyard_iam::credentials::CredentialStore;
use sha2::{Digest, Sha256};

use crate::ConsoleError;

/// A session unused this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// A session ends this long after sign-in, used or not.
pub const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// Most sessions kept; past it, the least recently used ends.
const MAX_SESSIONS: usize = 10_000;

/// Who a session acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The holder of an access key, authorised by its policies on every call.
    Key { access_key_id: String, arn: String },
    /// Anyone, as the account's root: the server runs with `--auth off`.
    Unauthenticated,
}

#[derive(Clone, Debug)]
pub struct Session {
    pub identity: Identity,
    pub csrf_token: String,
    created: Instant,
    last_used: Instant,
}

impl Session {
    /// Whether `presented` is this session's CSRF token, compared in time
    /// independent of where they differ.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        constant_time_eq(&sha256(presented), &sha256(&self.csrf_token))
    }

    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.last_used) > IDLE_TIMEOUT || now.duration_since(self.created) > LIFETIME
    }
}

#[derive(Default)]
pub struct SessionStore {
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

impl SessionStore {
    /// Opens a session for `identity`; returns its id (for the cookie) and
    /// the session.
    pub fn open(&self, identity: Identity) -> (String, Session) {
        let id = random_token();
        let now = Instant::now();
        let session = Session {
            identity,
            csrf_token: random_token(),
            created: now,
            last_used: now,
        };
        let mut sessions = self.lock();
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, session| !session.expired(now));
        }
        if sessions.len() >= MAX_SESSIONS {
            let oldest = sessions.iter().min_by_key(|(_, s)| s.last_used).map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(sha256(&id), session.clone());
        (id, session)
    }

    /// The live session with this id, now marked used.
    pub fn find(&self, id: &str) -> Option<Session> {
        let key = sha256(id);
        let now = Instant::now();
        let mut sessions = self.lock();
        let session = sessions.get_mut(&key)?;
        if session.expired(now) {
            sessions.remove(&key);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// Ends the session with this id (sign-out, or its key became invalid).
    pub fn close(&self, id: &str) {
        self.lock().remove(&sha256(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a sign-in form sends.
pub struct SignIn<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// Required for temporary (STS) credentials.
    pub session_token: Option<&'a str>,
}

/// Checks `sign_in` against the directory; `now` in Unix seconds.
pub fn verify(store: &dyn CredentialStore, sign_in: &SignIn<'_>, now: i64) -> Result<Identity, ConsoleError> {
    let credential = store
        .secret_for(sign_in.access_key_id)
        .ok_or(ConsoleError::SignInFailed)?;
    let secret_ok = constant_time_eq(
        &sha256(sign_in.secret_access_key),
        &sha256(credential.secret_access_key.expose()),
    );
    let token_ok = match (&credential.session_token, sign_in.session_token) {
        (None, None) => true,
        (Some(expected), Some(presented)) => constant_time_eq(&sha256(presented), &sha256(expected.expose())),
        _ => false,
    };
    let live = credential.expires_at.is_none_or(|expires| now < expires);
    if !(secret_ok && token_ok && live) {
        return Err(ConsoleError::SignInFailed);
    }
    Ok(Identity::Key {
        access_key_id: sign_in.access_key_id.to_string(),
        arn: credential.principal.arn,
    })
}

/// Whether the key behind a session still authenticates (it may have been
/// deleted or deactivated, or its session credentials expired, since).
pub fn still_valid(store: &dyn CredentialStore, access_key_id: &str, now: i64) -> bool {
    store
        .secret_for(access_key_id)
        .is_some_and(|credential| credential.expires_at.is_none_or(|expires| now < expires))
}

/// 256 random bits from the OS's CSPRNG, as hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    hex::encode(bytes)
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use halyard_iam::credentials::{Credential, Principal, Secret};

    use super::*;

    struct OneKey;

    impl CredentialStore for OneKey {
        fn secret_for(&self, access_key_id: &str) -> Option<Credential> {
            (access_key_id == "AKIDTEST").then(|| Credential {
                secret_access_key: Secret::new("right"),
                session_token: None,
                expires_at: None,
                principal: Principal {
                    arn: "arn:aws:iam::000000000000:user/alice".into(),
                    account: "000000000000".into(),
                    user_id: "AIDATEST".into(),
                    username: Some("alice".into()),
                },
            })
        }
    }

    fn sign_in<'a>(id: &'a str, secret: &'a str) -> SignIn<'a> {
        SignIn {
            access_key_id: id,
            secret_access_key: secret,
            session_token: None,
        }
    }

    #[test]
    fn only_the_right_secret_signs_in() {
        let identity = verify(&OneKey, &sign_in("AKIDTEST", "right"), 0).unwrap();
        assert_eq!(
            identity,
            Identity::Key {
                access_key_id: "AKIDTEST".into(),
                arn: "arn:aws:iam::000000000000:user/alice".into()
            }
        );
        assert_eq!(
            verify(&OneKey, &sign_in("AKIDTEST", "wrong"), 0),
            Err(ConsoleError::SignInFailed)
        );
        assert_eq!(
            verify(&OneKey, &sign_in("AKIDOTHER", "right"), 0),
            Err(ConsoleError::SignInFailed)
        );
    }

    #[test]
    fn a_session_is_found_by_its_id_until_closed() {
        let store = SessionStore::default();
        let (id, session) = store.open(Identity::Unauthenticated);
        assert_eq!(id.len(), 64);
        assert_ne!(id, session.csrf_token);
        let found = store.find(&id).unwrap();
        assert!(found.csrf_matches(&session.csrf_token));
        assert!(!found.csrf_matches("guess"));
        assert!(store.find(&session.csrf_token).is_none());
        store.close(&id);
        assert!(store.find(&id).is_none());
    }
}
