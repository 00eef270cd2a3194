//! Re-sealing every key's material under a new root key (`halyard rekey
//! --new-root-key-file`), offline, crash-safe in two steps around the
//! keyring's own change:
//!
//! 1. [`stage_root_key_change`]: each version gets its material sealed by
//!    the new root key beside the old sealing (`wrapped_next`), in one
//!    transaction;
//! 2. the keyring is re-wrapped under the new root key (one atomic file
//!    replacement);
//! 3. [`finish_root_key_change`]: the new sealing replaces the old.
//!
//! Whichever step a crash interrupts, the root key the keyring then opens
//! with opens one of a version's two sealings ([`KeyStore::material`]
//! tries both), and running the rekey again completes the change.

use base64::Engine as _;
use halyard_storage::{Direction, KeyRange, Storage, StorageError, Visit};

use super::records::{wrap_context, Record};
use super::KEYSPACE;
use crate::RootKey;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn corrupt(message: String) -> StorageError {
    StorageError::Corrupt(message)
}

/// Every stored record, by storage key.
fn records(storage: &dyn Storage) -> Result<Vec<(Vec<u8>, Record)>, StorageError> {
    // A store whose key service never started has no keyspace yet.
    let mut tx = storage.begin_write()?;
    tx.create_keyspace(KEYSPACE)?;
    tx.commit()?;
    let snapshot = storage.snapshot()?;
    let mut found = Vec::new();
    let mut failure = None;
    snapshot.scan(
        KEYSPACE,
        KeyRange::ALL,
        Direction::Forward,
        &mut |key, value| match serde_json::from_slice::<Record>(value) {
            Ok(record) => {
                found.push((key.to_vec(), record));
                Visit::Continue
            }
            Err(error) => {
                failure = Some(corrupt(format!(
                    "corrupt key record {:?}: {error}",
                    String::from_utf8_lossy(key)
                )));
                Visit::Stop
            }
        },
    )?;
    match failure {
        Some(error) => Err(error),
        None => Ok(found),
    }
}

fn write(storage: &dyn Storage, records: &[(Vec<u8>, Record)]) -> Result<(), StorageError> {
    let mut tx = storage.begin_write()?;
    for (key, record) in records {
        let value = serde_json::to_vec(record).map_err(|e| corrupt(e.to_string()))?;
        tx.put(KEYSPACE, key, &value)?;
    }
    tx.commit()
}

/// Step 1: seals every version's material by `new` too. `current` is the
/// root key the keyring opens with now; a version it cannot unseal from
/// either sealing is an error (nothing is written).
pub fn stage_root_key_change(storage: &dyn Storage, current: &RootKey, new: &RootKey) -> Result<usize, StorageError> {
    let mut staged = records(storage)?;
    let mut versions = 0;
    for (_, record) in &mut staged {
        let Record::Key(key) = record else { continue };
        for version in &mut key.versions {
            let context = wrap_context(&key.id, version.number);
            let sealings = std::iter::once(&version.wrapped).chain(version.wrapped_next.as_ref());
            let material = sealings
                .filter_map(|sealed| decode(sealed))
                .find_map(|sealed| current.unwrap_key(&context, &sealed).ok())
                .ok_or_else(|| {
                    corrupt(format!(
                        "KMS key {} version {} is not sealed by the current root key",
                        key.id, version.number
                    ))
                })?;
            let resealed = new.wrap(&context, &material).map_err(|e| corrupt(e.to_string()))?;
            version.wrapped_next = Some(b64(&resealed));
            versions += 1;
        }
    }
    write(storage, &staged)?;
    Ok(versions)
}

/// Step 3: keeps, of each version's sealings, the one `root` (the
/// keyring's root key now) opens.
pub fn finish_root_key_change(storage: &dyn Storage, root: &RootKey) -> Result<(), StorageError> {
    let mut finished = records(storage)?;
    for (_, record) in &mut finished {
        let Record::Key(key) = record else { continue };
        for version in &mut key.versions {
            let Some(next) = version.wrapped_next.take() else {
                continue;
            };
            let context = wrap_context(&key.id, version.number);
            if decode(&next).is_some_and(|sealed| root.unwrap_key(&context, &sealed).is_ok()) {
                version.wrapped = next;
            }
        }
    }
    write(storage, &finished)
}
