//! The key service as DynamoDB tables use it (SSESpecification): each
//! table under a KMS key has a data key of its own, wrapped by that key
//! with an encryption context naming the table, as DynamoDB's table keys
//! are.
//!
//! DynamoDB uses the key on its own authority here: the key policy is not
//! evaluated for the caller of CreateTable or UpdateTable.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use base64::Engine as _;
use halyard_engine::{Error, KeyFuture, TableEncryption, TableKeys};

use crate::key_store::{KeyState, KeyStore};
use crate::kms_api::{decrypt_data_key, generate_data_key, seal_data_key, state_error, KmsError};

/// The AWS managed key DynamoDB uses when a table asks for none.
const DYNAMODB_MANAGED_KEY: &str = "alias/aws/dynamodb";

/// Held by the engine. Weak: the key store holds the engine (its writer),
/// and a cycle would keep both, and the storage, open after a stop.
pub struct DynamoDbKeys {
    store: Weak<KeyStore>,
}

impl DynamoDbKeys {
    pub fn new(store: &Arc<KeyStore>) -> DynamoDbKeys {
        DynamoDbKeys {
            store: Arc::downgrade(store),
        }
    }

    fn store(&self) -> Result<Arc<KeyStore>, Error> {
        self.store
            .upgrade()
            .ok_or_else(|| Error::Internal("the key service is stopped".into()))
    }
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

fn encryption(blob: &[u8], key: &crate::key_store::KeyRecord) -> TableEncryption {
    TableEncryption {
        key_arn: key.arn.clone(),
        key_id: key.id.clone(),
        wrapped_data_key: base64::engine::general_purpose::STANDARD.encode(blob),
    }
}

impl TableKeys for DynamoDbKeys {
    fn new_data_key<'a>(&'a self, key_id: Option<&'a str>, table: &'a str) -> KeyFuture<'a, TableEncryption> {
        Box::pin(async move {
            let store = self.store()?;
            let identifier = key_id.unwrap_or(DYNAMODB_MANAGED_KEY);
            let (_, blob, key) = generate_data_key(&store, None, identifier, &context(&store, table))
                .await
                .map_err(validation)?;
            Ok(encryption(&blob, &key))
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
            let blob = base64::engine::general_purpose::STANDARD
                .decode(&current.wrapped_data_key)
                .map_err(|_| Error::Internal(format!("table {table}'s wrapped data key is not base64")))?;
            let data_key = decrypt_data_key(&store, None, &blob, &context).map_err(validation)?;
            let identifier = key_id.unwrap_or(DYNAMODB_MANAGED_KEY);
            let (blob, key) = seal_data_key(&store, identifier, &context, &data_key)
                .await
                .map_err(validation)?;
            Ok(encryption(&blob, &key))
        })
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
