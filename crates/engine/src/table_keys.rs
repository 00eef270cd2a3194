//! Tables under a KMS key (SSESpecification): the table's definition holds
//! the key and the table's data key wrapped by it; the key service itself
//! is reached through [`TableKeys`], installed at start-up, so that the
//! engine does not depend on it.
//!
//! A table whose key is disabled or pending deletion is inaccessible, as
//! DynamoDB makes it: DescribeTable says INACCESSIBLE_ENCRYPTION_CREDENTIALS
//! and data-plane requests are refused, until the key is usable again.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::catalog::Table;
use crate::item_seal::ItemCipher;
use crate::{now_seconds, Engine, Error, Result};

/// A table's KMS key (customer managed, or the AWS managed
/// `alias/aws/dynamodb`) and the table's data key wrapped by it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEncryption {
    pub key_arn: String,
    pub key_id: String,
    /// The key service's ciphertext blob of the table's data key, base64.
    pub wrapped_data_key: String,
    /// Whether the table's item data is sealed with the data key
    /// ([`crate::item_seal`]): set when the table is created under a
    /// customer managed key, and kept for the table's life.
    #[serde(default)]
    pub seals_items: bool,
    /// A table sealing its items that was moved to the service's own key:
    /// it keeps its data key (wrapped by the AWS managed key), and reports
    /// the owned key (no SSEDescription).
    #[serde(default)]
    pub under_owned_key: bool,
}

impl TableEncryption {
    /// The KMS key DescribeTable reports, if any.
    pub fn reported(&self) -> Option<&TableEncryption> {
        (!self.under_owned_key).then_some(self)
    }
}

/// What an SSESpecification asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SseRequest {
    /// The service's own key (`Enabled` false or absent): no SSEDescription.
    #[default]
    OwnedKey,
    /// A KMS key: the one named (id, ARN or alias), or the AWS managed key.
    Kms { key_id: Option<String> },
}

pub type KeyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// The key service, as tables use it. Errors are DynamoDB's (a
/// ValidationException naming KMS's error).
pub trait TableKeys: Send + Sync {
    /// A new data key for `table`, wrapped by the key `key_id` names (the
    /// AWS managed key when `None`).
    fn new_data_key<'a>(&'a self, key_id: Option<&'a str>, table: &'a str) -> KeyFuture<'a, TableEncryption>;

    /// `current`'s data key, re-wrapped by the key `key_id` names (the data
    /// itself is not rewritten).
    fn rewrap<'a>(
        &'a self,
        current: &'a TableEncryption,
        key_id: Option<&'a str>,
        table: &'a str,
    ) -> KeyFuture<'a, TableEncryption>;

    /// Why the key `key_id` cannot be used now (KMS's error as DynamoDB
    /// reports it), or `None`. Asked on every data-plane request of a table
    /// under a KMS key: an in-memory look-up.
    fn refusal(&self, key_id: &str) -> Option<String>;

    /// The data key `encryption` wraps, unwrapped for sealing `table`'s
    /// items (DynamoDB's own Decrypt of the table key).
    fn item_cipher(&self, encryption: &TableEncryption, table: &str) -> Result<Arc<dyn ItemCipher>>;
}

impl Engine {
    /// Installs the key service (once, at start-up).
    pub fn set_table_keys(&self, keys: Arc<dyn TableKeys>) {
        self.catalog.seals.install(keys);
    }

    fn table_keys(&self) -> Result<&Arc<dyn TableKeys>> {
        self.catalog
            .seals
            .keys()
            .ok_or_else(|| Error::validation("Server-side encryption with KMS keys is not available on this server"))
    }

    /// The encryption an SSESpecification asks for `table`, with a new
    /// data key; or, for a table already under a key, its data key
    /// re-wrapped.
    pub(crate) async fn table_encryption(
        &self,
        request: &SseRequest,
        table: &str,
        current: Option<&TableEncryption>,
    ) -> Result<Option<TableEncryption>> {
        let (key_id, under_owned_key) = match (request, current) {
            (SseRequest::Kms { key_id }, _) => (key_id, false),
            // A table sealing its items keeps its data key for its life:
            // under the owned key, it is wrapped by the AWS managed key.
            (SseRequest::OwnedKey, Some(current)) if current.seals_items => (&None, true),
            (SseRequest::OwnedKey, _) => return Ok(None),
        };
        let keys = self.table_keys()?;
        let encryption = match current {
            Some(current) => keys.rewrap(current, key_id.as_deref(), table).await?,
            None => keys.new_data_key(key_id.as_deref(), table).await?,
        };
        Ok(Some(TableEncryption {
            under_owned_key,
            ..encryption
        }))
    }

    /// Why `table`'s KMS key makes it inaccessible now, if it does, and
    /// since when that has been found.
    pub(crate) fn encryption_refusal(&self, table: &Table) -> Option<(String, f64)> {
        let encryption = table.definition.sse.as_ref()?;
        let refusal = match self.catalog.seals.keys() {
            Some(keys) => keys.refusal(&encryption.key_id),
            None => Some(format!("KMS key {} is not available", encryption.key_arn)),
        };
        match refusal {
            Some(refusal) => Some((refusal, self.inaccessible.found(&table.definition.id))),
            None => {
                self.inaccessible.cleared(&table.definition.id);
                None
            }
        }
    }

    /// The table a data-plane request reads or writes: refused while its
    /// KMS key is unusable.
    pub(crate) fn data_table(&self, name: &str, missing: impl FnOnce() -> Error) -> Result<Arc<Table>> {
        let table = self.catalog.get(name).ok_or_else(missing)?;
        match self.encryption_refusal(&table) {
            Some((refusal, _)) => Err(Error::AccessDenied(refusal)),
            None => Ok(table),
        }
    }
}

/// When each inaccessible table was first found so (SSEDescription's
/// InaccessibleEncryptionDateTime), by table id, until it is accessible
/// again. The flag spares accessible requests the lock while none is.
#[derive(Debug, Default)]
pub(crate) struct Inaccessible {
    any: AtomicBool,
    since: Mutex<HashMap<String, f64>>,
}

impl Inaccessible {
    fn found(&self, table_id: &str) -> f64 {
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        let time = *since.entry(table_id.to_string()).or_insert_with(now_seconds);
        self.any.store(true, Ordering::Release);
        time
    }

    fn cleared(&self, table_id: &str) {
        if !self.any.load(Ordering::Acquire) {
            return;
        }
        let mut since = self.since.lock().unwrap_or_else(|p| p.into_inner());
        since.remove(table_id);
        if since.is_empty() {
            self.any.store(false, Ordering::Release);
        }
    }
}
