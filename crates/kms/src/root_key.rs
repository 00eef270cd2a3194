//! The root of the key hierarchy: a 256-bit key held outside the data
//! directory (a file, an environment variable, or a command's output), which
//! wraps the key service's keys. Loading it from those sources belongs to
//! the binary; this type only holds it.

use crate::envelope::{self, SecretKey};
use crate::error::KeyError;
use zeroize::Zeroizing;

/// The root key. It only wraps and unwraps other keys.
#[derive(Clone, Debug)]
pub struct RootKey(SecretKey);

impl RootKey {
    pub fn new(key: SecretKey) -> RootKey {
        RootKey(key)
    }

    /// Wraps a key-service key's material, bound to what it is (`context`,
    /// such as the key's id), so a wrapped key cannot be swapped for another.
    pub fn wrap(&self, context: &[u8], key: &SecretKey) -> Result<Vec<u8>, KeyError> {
        envelope::seal(&self.0, context, key.expose())
    }

    /// Unwraps what [`RootKey::wrap`] produced with the same context.
    pub fn unwrap_key(&self, context: &[u8], wrapped: &[u8]) -> Result<SecretKey, KeyError> {
        let bytes: Zeroizing<Vec<u8>> = envelope::open(&self.0, context, wrapped)?;
        SecretKey::from_bytes(&bytes)
    }

    /// A check value: nothing, sealed under the root key with `context`.
    /// [`RootKey::open_check`] tells whether a key is the one that made it.
    pub fn seal_check(&self, context: &[u8]) -> Result<Vec<u8>, KeyError> {
        envelope::seal(&self.0, context, b"")
    }

    pub fn open_check(&self, context: &[u8], check: &[u8]) -> Result<(), KeyError> {
        envelope::open(&self.0, context, check).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_unwraps_only_with_its_context() {
        let root = RootKey::new(SecretKey::generate().unwrap());
        let key = SecretKey::generate().unwrap();
        let wrapped = root.wrap(b"key-1", &key).unwrap();
        assert_eq!(root.unwrap_key(b"key-1", &wrapped).unwrap().expose(), key.expose());
        assert!(root.unwrap_key(b"key-2", &wrapped).is_err());
        assert!(!wrapped.windows(8).any(|w| w == &key.expose()[..8]));
    }
}
