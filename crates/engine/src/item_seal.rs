//! Item data of a table under a customer managed KMS key, sealed with the
//! table's data key (AES-256-GCM) in every form it is stored in: the item,
//! its index entries, its stream records, its change-log records and the
//! backups and snapshots that copy them. SQLCipher protects the whole file
//! as for every table; this seal is what makes the table's data unreadable
//! without its key (disabled, pending deletion, or simply not held).
//!
//! Each sealed value is bound (as AAD) to the table's id, the form it is
//! stored in and its storage key, so that a value cannot be moved to
//! another table, index or item and still open. The storage keys
//! themselves stay as they are: they must sort in storage.
//!
//! A table seals its items when it is created (or restored) under a
//! customer managed key, for its whole life: a later UpdateTable re-wraps
//! the data key and never rewrites data. The cipher (the unwrapped data
//! key) is kept in memory per wrapped key, unwrapped again only after the
//! key's state has changed; tables under the owned key or the AWS managed
//! key never reach it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::item_codec::{decode_item, encode_item};
use crate::model::{Item, TableDefinition};
use crate::table_keys::{TableEncryption, TableKeys};

/// Why a sealed table's values cannot be read or written during start-up,
/// before the key service is installed (work resumed at start-up waits).
pub(crate) const KEYS_STARTING: &str = "the key service is not started yet";

/// Which stored form a sealed value is: part of its AAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealForm<'a> {
    Item,
    /// An entry of the index so named.
    IndexEntry(&'a str),
    StreamRecord,
    ChangeRecord,
}

/// What a sealed value is bound to.
#[derive(Debug, Clone, Copy)]
pub struct SealScope<'a> {
    pub table_id: &'a str,
    pub form: SealForm<'a>,
    /// The value's storage key.
    pub key: &'a [u8],
}

impl SealScope<'_> {
    /// The AAD: every part but the last length-prefixed, so that no two
    /// scopes share one.
    pub fn aad(&self) -> Vec<u8> {
        let (tag, index) = match self.form {
            SealForm::Item => (1u8, ""),
            SealForm::IndexEntry(index) => (2, index),
            SealForm::StreamRecord => (3, ""),
            SealForm::ChangeRecord => (4, ""),
        };
        let mut aad = Vec::with_capacity(16 + self.table_id.len() + index.len() + self.key.len());
        aad.extend_from_slice(b"halyard-item-seal\0");
        aad.extend_from_slice(&(self.table_id.len() as u32).to_be_bytes());
        aad.extend_from_slice(self.table_id.as_bytes());
        aad.push(tag);
        aad.extend_from_slice(&(index.len() as u32).to_be_bytes());
        aad.extend_from_slice(index.as_bytes());
        aad.extend_from_slice(self.key);
        aad
    }
}

/// A sealed value did not open: damaged, or not sealed for this scope.
#[derive(Debug, thiserror::Error)]
#[error("a sealed item value does not open with its table's data key: it is damaged, or was moved from another table or item")]
pub struct Unsealable;

/// A table's data key, unwrapped (the key service's implementation holds
/// the key material, wiped when dropped).
pub trait ItemCipher: Send + Sync {
    fn seal(&self, scope: &SealScope, plaintext: &[u8]) -> Result<Vec<u8>>;
    fn open(&self, scope: &SealScope, sealed: &[u8]) -> std::result::Result<Vec<u8>, Unsealable>;
}

/// How one table's stored values are written and read: as they are, or
/// sealed with the table's data key.
#[derive(Clone)]
pub(crate) struct ItemSeal {
    sealed: Option<(Arc<dyn ItemCipher>, String)>,
}

impl ItemSeal {
    /// A table whose values are stored as they are.
    pub(crate) const PLAIN: ItemSeal = ItemSeal { sealed: None };

    pub(crate) fn is_sealed(&self) -> bool {
        self.sealed.is_some()
    }

    /// `plaintext` as stored under `key` in `form`.
    pub(crate) fn seal(&self, form: SealForm, key: &[u8], plaintext: Vec<u8>) -> Result<Vec<u8>> {
        match &self.sealed {
            None => Ok(plaintext),
            Some((cipher, table_id)) => cipher.seal(&SealScope { table_id, form, key }, &plaintext),
        }
    }

    /// What [`ItemSeal::seal`] stored.
    pub(crate) fn open<'v>(&self, form: SealForm, key: &[u8], stored: &'v [u8]) -> Result<std::borrow::Cow<'v, [u8]>> {
        match &self.sealed {
            None => Ok(std::borrow::Cow::Borrowed(stored)),
            Some((cipher, table_id)) => {
                let plaintext = cipher
                    .open(&SealScope { table_id, form, key }, stored)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                Ok(std::borrow::Cow::Owned(plaintext))
            }
        }
    }

    pub(crate) fn encode(&self, form: SealForm, key: &[u8], item: &Item) -> Result<Vec<u8>> {
        self.seal(form, key, encode_item(item))
    }

    pub(crate) fn decode(&self, form: SealForm, key: &[u8], stored: &[u8]) -> Result<Item> {
        Ok(decode_item(&self.open(form, key, stored)?)?)
    }
}

/// The table whose sealed values a restore reads (a backup's or a
/// snapshot's copy, and the change log), as the restore keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealSource {
    pub table_id: String,
    pub table_name: String,
    pub encryption: TableEncryption,
}

impl SealSource {
    /// `definition`'s, if it seals its items.
    pub(crate) fn of(definition: &TableDefinition) -> Option<SealSource> {
        let encryption = definition.sse.as_ref().filter(|e| e.seals_items)?;
        Some(SealSource {
            table_id: definition.id.clone(),
            table_name: definition.name.clone(),
            encryption: encryption.clone(),
        })
    }
}

/// An unwrapped data key: the id of the KMS key that wraps it, and its cipher.
type UnwrappedKey = (String, Arc<dyn ItemCipher>);

/// The key service and the data keys it has unwrapped, by wrapped key.
#[derive(Default)]
pub(crate) struct ItemSeals {
    keys: OnceLock<Arc<dyn TableKeys>>,
    ciphers: RwLock<HashMap<String, UnwrappedKey>>,
}

impl std::fmt::Debug for ItemSeals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ItemSeals")
    }
}

impl ItemSeals {
    pub(crate) fn install(&self, keys: Arc<dyn TableKeys>) {
        // A second call keeps the first service: there is one per process.
        let _ = self.keys.set(keys);
    }

    pub(crate) fn keys(&self) -> Option<&Arc<dyn TableKeys>> {
        self.keys.get()
    }

    /// How `definition`'s values are stored.
    pub(crate) fn of(&self, definition: &TableDefinition) -> Result<ItemSeal> {
        self.of_parts(&definition.id, &definition.name, definition.sse.as_ref())
    }

    /// How the values a restore copies from `source` are stored.
    pub(crate) fn of_source(&self, source: Option<&SealSource>) -> Result<ItemSeal> {
        match source {
            None => Ok(ItemSeal::PLAIN),
            Some(source) => self.of_parts(&source.table_id, &source.table_name, Some(&source.encryption)),
        }
    }

    fn of_parts(&self, table_id: &str, table_name: &str, sse: Option<&TableEncryption>) -> Result<ItemSeal> {
        let Some(encryption) = sse.filter(|e| e.seals_items) else {
            return Ok(ItemSeal::PLAIN);
        };
        let keys = self.keys.get().ok_or_else(|| Error::Internal(KEYS_STARTING.into()))?;
        // An in-memory look-up; background work (TTL, snapshots, streams)
        // stops with the requests while the key cannot be used.
        if let Some(refusal) = keys.refusal(&encryption.key_id) {
            self.forget(&encryption.key_id);
            return Err(Error::AccessDenied(refusal));
        }
        Ok(ItemSeal {
            sealed: Some((self.cipher(keys, encryption, table_name)?, table_id.to_string())),
        })
    }

    fn cipher(
        &self,
        keys: &Arc<dyn TableKeys>,
        encryption: &TableEncryption,
        table: &str,
    ) -> Result<Arc<dyn ItemCipher>> {
        let ciphers = self.ciphers.read().unwrap_or_else(|p| p.into_inner());
        if let Some((_, cipher)) = ciphers.get(&encryption.wrapped_data_key) {
            return Ok(cipher.clone());
        }
        drop(ciphers);
        let cipher = keys.item_cipher(encryption, table)?;
        let mut ciphers = self.ciphers.write().unwrap_or_else(|p| p.into_inner());
        ciphers.insert(
            encryption.wrapped_data_key.clone(),
            (encryption.key_id.clone(), cipher.clone()),
        );
        Ok(cipher)
    }

    /// Drops the data keys the key `key_id` wrapped (it can no longer be
    /// used): they are unwrapped again once it can.
    pub(crate) fn forget(&self, key_id: &str) {
        let mut ciphers = self.ciphers.write().unwrap_or_else(|p| p.into_inner());
        ciphers.retain(|_, (id, _)| id != key_id);
    }
}
