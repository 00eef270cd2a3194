//! Envelope encryption: AES-256-GCM with a random 96-bit nonce, the
//! context bound as additional authenticated data (as KMS binds an
//! encryption context), laid out as `nonce || ciphertext || tag`.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use zeroize::Zeroizing;

use crate::error::KeyError;

/// Bytes of a key: AES-256.
pub const KEY_LEN: usize = 32;
/// Bytes `seal` adds to its input.
pub const OVERHEAD: usize = NONCE_LEN + 16;

/// A 256-bit symmetric key (a data key or a key-service key's material).
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    /// A fresh random key from the system's CSPRNG.
    pub fn generate() -> Result<SecretKey, KeyError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        aws_lc_rs::rand::fill(&mut bytes[..]).map_err(|_| KeyError::Random)?;
        Ok(SecretKey(bytes))
    }

    /// A key from its bytes (which the caller should wipe).
    pub fn from_bytes(bytes: &[u8]) -> Result<SecretKey, KeyError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| KeyError::KeyLength {
            expected: KEY_LEN,
            actual: bytes.len(),
        })?;
        Ok(SecretKey(Zeroizing::new(array)))
    }

    /// The key's bytes, for a consumer that needs them raw (SQLCipher).
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

fn aead(key: &SecretKey) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key.0[..]).expect("AES-256 takes a 32-byte key"))
}

/// Encrypts `plaintext` under `key`, bound to `context`.
pub fn seal(key: &SecretKey, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| KeyError::Random)?;
    let mut sealed = Vec::with_capacity(plaintext.len() + OVERHEAD);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(plaintext);
    let mut body = sealed.split_off(NONCE_LEN);
    aead(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut body)
        .map_err(|_| KeyError::Random)?;
    sealed.extend_from_slice(&body);
    Ok(sealed)
}

/// Decrypts what [`seal`] produced under `key` with the same `context`.
pub fn open(key: &SecretKey, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    if sealed.len() < OVERHEAD {
        return Err(KeyError::Truncated);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Truncated)?;
    let mut buffer = Zeroizing::new(body.to_vec());
    let plaintext_len = aead(key)
        .open_in_place(nonce, Aad::from(context), &mut buffer)
        .map_err(|_| KeyError::Unsealable)?
        .len();
    buffer.truncate(plaintext_len);
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sealed_data_opens_with_its_key_and_context(data in proptest::collection::vec(any::<u8>(), 0..512), context in proptest::collection::vec(any::<u8>(), 0..64)) {
            let key = SecretKey::generate().unwrap();
            let sealed = seal(&key, &context, &data).unwrap();
            prop_assert_eq!(sealed.len(), data.len() + OVERHEAD);
            prop_assert_eq!(&open(&key, &context, &sealed).unwrap()[..], &data[..]);
        }

        #[test]
        fn any_altered_byte_is_refused(data in proptest::collection::vec(any::<u8>(), 1..256), flip in any::<prop::sample::Index>()) {
            let key = SecretKey::generate().unwrap();
            let mut sealed = seal(&key, b"ctx", &data).unwrap();
            let at = flip.index(sealed.len());
            sealed[at] ^= 1;
            prop_assert_eq!(open(&key, b"ctx", &sealed).unwrap_err(), KeyError::Unsealable);
        }
    }

    #[test]
    fn another_key_or_context_is_refused() {
        let key = SecretKey::generate().unwrap();
        let sealed = seal(&key, b"table=a", b"secret").unwrap();
        assert_eq!(open(&key, b"table=b", &sealed).unwrap_err(), KeyError::Unsealable);
        let other = SecretKey::generate().unwrap();
        assert_eq!(open(&other, b"table=a", &sealed).unwrap_err(), KeyError::Unsealable);
        assert_eq!(open(&key, b"", &sealed[..10]).unwrap_err(), KeyError::Truncated);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = SecretKey::from_bytes(&[0xAB; KEY_LEN]).unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    }
}
