//! Every stored value ends with a CRC32 of its key and value.
//!
//! SQLite checks the structure of its pages but not their contents: a
//! flipped byte inside a stored key or value (a bad sector, a bug below
//! the file system) reads back as a well-formed, wrong row. The checksum,
//! verified on every read, turns that into a loud [`StorageError::Corrupt`].
//! Covering the key too catches a row whose key changed (it would be found
//! in the wrong place, or not at all).

use crate::{Result, StorageError};

pub(crate) const CHECKSUM_BYTES: usize = 4;

fn checksum(key: &[u8], value: &[u8]) -> [u8; CHECKSUM_BYTES] {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(key);
    hasher.update(value);
    hasher.finalize().to_le_bytes()
}

/// The stored form of `value` under `key`.
pub(crate) fn seal(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut stored = Vec::with_capacity(value.len() + CHECKSUM_BYTES);
    stored.extend_from_slice(value);
    stored.extend_from_slice(&checksum(key, value));
    stored
}

/// The value in `stored`, once its checksum is verified.
pub(crate) fn unseal<'a>(keyspace: &str, key: &[u8], stored: &'a [u8]) -> Result<&'a [u8]> {
    let mismatch = || {
        let key: String = key.iter().map(|b| format!("{b:02x}")).collect();
        StorageError::Corrupt(format!(
            "the value of key 0x{key} in keyspace {keyspace} does not match its checksum"
        ))
    };
    let split = stored.len().checked_sub(CHECKSUM_BYTES).ok_or_else(mismatch)?;
    let (value, sum) = stored.split_at(split);
    if sum != checksum(key, value) {
        return Err(mismatch());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_unseals_and_any_flipped_bit_is_caught() {
        let (key, value) = (b"key".as_slice(), b"some value".as_slice());
        let stored = seal(key, value);
        assert_eq!(unseal("items", key, &stored).unwrap(), value);
        for byte in 0..stored.len() {
            let mut damaged = stored.clone();
            damaged[byte] ^= 0x10;
            assert!(matches!(unseal("items", key, &damaged), Err(StorageError::Corrupt(_))));
        }
        assert!(unseal("items", b"kez", &stored).is_err(), "the key is covered too");
        assert!(unseal("items", key, &stored[..3]).is_err());
    }
}
