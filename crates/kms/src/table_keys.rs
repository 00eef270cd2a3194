//! The key service as DynamoDB tables use it (SSESpecification): each
//! table under a KMS key has a data key of its own, wrapped by that key
//! with an encryption context naming the table, as DynamoDB's table keys
//! are.
//!
//! DynamoDB uses the key on its own authority here; the caller of
//! CreateTable, UpdateTable or a restore is checked first
//! ([`authorize_caller`]), as DynamoDB has KMS check it.
//!
//! A table created under a customer managed key seals its items with the
//! data key ([`TableItemCipher`]), unwrapped here when first needed and
//! again after its key's state has changed.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, Weak};

use base64::Engine as _;
use halyard_engine::item_seal::ItemCipher;
use halyard_engine::{Error, KeyFuture, TableEncryption, TableKeys};

use crate::item_cipher::TableItemCipher;
use crate::key_store::{Aliases, KeyManager, KeyState, KeyStore};
use crate::kms_api::Access;
use crate::kms_api::{decrypt_data_key, generate_data_key, seal_data_key, state_error, KmsError};
use halyard_iam::access::Caller;

/// The AWS managed key DynamoDB uses when a table asks for none.
const DYNAMODB_MANAGED_KEY: &str = "alias/aws/dynamodb";

/// Held by the engine. Weak: the key store holds the engine (its writer),
/// and a cycle would keep both, and the storage, open after a stop.
pub struct DynamoDbKeys {
    store: Weak<KeyStore>,
    /// Told of each use DynamoDB makes of a key (the audit trail's record).
    uses: OnceLock<KeyUseRecorder>,
}

/// Told DynamoDB's operation (`GenerateDataKey`, `Decrypt`, `Encrypt`), the
/// key's ARN and the table, for each use of a table's key.
pub type KeyUseRecorder = Box<dyn Fn(&str, &str, &str) + Send + Sync>;

impl DynamoDbKeys {
    pub fn new(store: &Arc<KeyStore>) -> DynamoDbKeys {
        DynamoDbKeys {
            store: Arc::downgrade(store),
            uses: OnceLock::new(),
        }
    }

    /// Installs the recorder of key uses (once).
    pub fn record_uses_with(&self, recorder: KeyUseRecorder) {
        let _ = self.uses.set(recorder);
    }

    fn used(&self, operation: &str, key_arn: &str, table: &str) {
        if let Some(record) = self.uses.get() {
            record(operation, key_arn, table);
        }
    }

    fn store(&self) -> Result<Arc<KeyStore>, Error> {
        self.store
            .upgrade()
            .ok_or_else(|| Error::Internal("the key service is stopped".into()))
    }
}

/// What DynamoDB asks KMS for, on the caller's behalf, when a table is put
/// under a customer managed key: the key's description, a grant for its
/// own later use, and the table's data key.
const CALLER_ACTIONS: [&str; 4] = [
    "kms:DescribeKey",
    "kms:CreateGrant",
    "kms:GenerateDataKey",
    "kms:Decrypt",
];

/// Whether `caller` may have DynamoDB use the key `identifier` for
/// `table`: each of [`CALLER_ACTIONS`] is evaluated against the key policy
/// and the caller's IAM policies, with `kms:ViaService` DynamoDB's. A key
/// that does not exist, or the AWS managed key, is left to the call itself.
pub fn authorize_caller(store: &KeyStore, caller: &Caller, identifier: &str, table: &str) -> Result<(), Error> {
    let Ok(key) = store.read(|keys| keys.resolve(identifier, Aliases::Accepted).cloned()) else {
        return Ok(());
    };
    if key.manager != KeyManager::Customer {
        return Ok(());
    }
    let service = format!("dynamodb.{}.amazonaws.com", store.region());
    let access = Access {
        caller,
        via_service: Some(&service),
    };
    let context = context(store, table);
    for action in CALLER_ACTIONS {
        access.key_action(action, &key, Some(&context)).map_err(validation)?;
    }
    Ok(())
}

/// The encryption context of a table's data key, as DynamoDB sets it.
fn context(store: &KeyStore, table: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("aws:dynamodb:tableName".to_string(), table.to_string()),
        ("aws:dynamodb:subscriberId".to_string(), store.account().to_string()),
    ])
}

/// KMS's error inside DynamoDB's text, as DynamoDB relays it: `lead` is
/// "KMS validation error" (a table's key being set) or "KMS key access
/// denied error" (a table's data being used).
fn relayed(lead: &str, error: &KmsError) -> String {
    let wire = error.to_wire();
    let message = wire.body.get("message").and_then(|m| m.as_str()).unwrap_or_default();
    let code = error.type_name();
    format!(
        "{lead}: com.amazonaws.services.kms.model.{code}: {message} (Service: AWSKMS; Status Code: {}; Error Code: {code}; Request ID: {}; Proxy: null)",
        wire.status,
        uuid::Uuid::new_v4()
    )
}

fn validation(error: KmsError) -> Error {
    Error::Validation(relayed("KMS validation error", &error))
}

fn encryption(blob: &[u8], key: &crate::key_store::KeyRecord, seals_items: bool) -> TableEncryption {
    TableEncryption {
        key_arn: key.arn.clone(),
        key_id: key.id.clone(),
        wrapped_data_key: base64::engine::general_purpose::STANDARD.encode(blob),
        seals_items,
        under_owned_key: false,
    }
}

fn wrapped(current: &TableEncryption, table: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(&current.wrapped_data_key)
        .map_err(|_| Error::Internal(format!("table {table}'s wrapped data key is not base64")))
}

impl TableKeys for DynamoDbKeys {
    fn new_data_key<'a>(&'a self, key_id: Option<&'a str>, table: &'a str) -> KeyFuture<'a, TableEncryption> {
        Box::pin(async move {
            let store = self.store()?;
            let identifier = key_id.unwrap_or(DYNAMODB_MANAGED_KEY);
            let (_, blob, key) = generate_data_key(&store, None, identifier, &context(&store, table))
                .await
                .map_err(validation)?;
            self.used("GenerateDataKey", &key.arn, table);
            Ok(encryption(&blob, &key, key.manager == KeyManager::Customer))
        })
    }

    fn rewrap<'a>(
        &'a self,
        current: &'a TableEncryption,
        key_id: Option<&'a str>,
        table: &'a str,
    ) -> KeyFuture<'a, TableEncryption> {
        Box::pin(async move {
            let store = self.store()?;
            let context = context(&store, table);
            let blob = wrapped(current, table)?;
            let data_key = decrypt_data_key(&store, None, &blob, &context).map_err(validation)?;
            self.used("Decrypt", &current.key_arn, table);
            let identifier = key_id.unwrap_or(DYNAMODB_MANAGED_KEY);
            let (blob, key) = seal_data_key(&store, identifier, &context, &data_key)
                .await
                .map_err(validation)?;
            self.used("Encrypt", &key.arn, table);
            Ok(encryption(&blob, &key, current.seals_items))
        })
    }

    fn item_cipher(&self, current: &TableEncryption, table: &str) -> Result<Arc<dyn ItemCipher>, Error> {
        let store = self.store()?;
        let blob = wrapped(current, table)?;
        let data_key = decrypt_data_key(&store, None, &blob, &context(&store, table))
            .map_err(|error| Error::AccessDenied(relayed("KMS key access denied error", &error)))?;
        self.used("Decrypt", &current.key_arn, table);
        Ok(Arc::new(TableItemCipher::new(&data_key)))
    }

    fn refusal(&self, key_id: &str) -> Option<String> {
        let Some(store) = self.store.upgrade() else {
            return Some("the key service is stopped".into());
        };
        store.read(|keys| {
            let error = match keys.key(key_id) {
                Some(key) if key.state == KeyState::Enabled => return None,
                Some(key) => state_error(key),
                None => KmsError::NotFound(format!("Key '{}' does not exist", keys.key_arn(key_id))),
            };
            Some(relayed("KMS key access denied error", &error))
        })
    }
}
