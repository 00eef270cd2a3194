//! Where the key hierarchy's root key comes from.

use halyard_kms::{RootKey, SecretKey};

/// The root key that seals the key service's key material. This version
/// draws a fresh random key at each start, so keys created through the KMS
/// API live only as long as the process; the encryption-at-rest work
/// replaces this function with loading from a key file, the environment or
/// a command.
pub fn load_root_key() -> Result<RootKey, String> {
    let key = SecretKey::generate().map_err(|e| format!("cannot generate the root key: {e}"))?;
    Ok(RootKey::new(key))
}
