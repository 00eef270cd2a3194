//! The key service's keys and aliases: kept in the system keyspace
//! [`KEYSPACE`] of the same storage as the tables, changed only through the
//! engine's one ordered write path, and read from an in-memory view that
//! every committed change updates before its caller is answered.
//!
//! Key material is never stored in the clear: each version is sealed by the
//! [`RootKey`] bound to the key's id and the version's number, and unsealed
//! only for the operation that uses it.

mod change;
pub mod records;
mod view;

use std::sync::{Arc, RwLock};

use base64::Engine as _;
use halyard_storage::{KeyRange, Storage, StorageError, SystemWriter, Visit};

pub use change::Write;
pub use records::{
    alias_storage_key as alias_storage_key_of, AliasRecord, KeyManager, KeyRecord, KeyState, KeyVersion, Origin,
    Record, Tag,
};
pub use view::{is_key_id, Aliases, Keys};

use crate::kms_api::KmsError;
use crate::{RootKey, SecretKey};

/// The system keyspace holding every key and alias.
pub const KEYSPACE: &str = "sys_kms";

/// Seconds in a day.
pub const DAY: f64 = 86_400.0;

/// The rotation period when EnableKeyRotation names none.
pub const DEFAULT_ROTATION_DAYS: u32 = 365;

pub struct KeyStore {
    keys: RwLock<Keys>,
    writer: Arc<dyn SystemWriter>,
    root: RootKey,
    region: String,
    account: String,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Loads every key and alias. `writer` is the engine's: the store's
    /// changes go through it.
    pub async fn open(
        storage: &dyn Storage,
        writer: Arc<dyn SystemWriter>,
        region: &str,
        account: &str,
        root: RootKey,
    ) -> Result<Arc<KeyStore>, StorageError> {
        // First start: an empty change creates the keyspace.
        let created = change::ChangeCommand::new(Arc::new(|_: &Keys| Ok(Vec::new())), std::sync::Weak::new());
        writer.submit(Arc::new(created)).await?;
        let mut keys = Keys::new(region, account);
        let snapshot = storage.snapshot()?;
        let mut corrupt = None;
        snapshot.scan(
            KEYSPACE,
            KeyRange::ALL,
            halyard_storage::Direction::Forward,
            &mut |key, value| match serde_json::from_slice::<Record>(value) {
                Ok(record) => {
                    keys.insert(record);
                    Visit::Continue
                }
                Err(error) => {
                    corrupt = Some(format!(
                        "corrupt key record {:?}: {error}",
                        String::from_utf8_lossy(key)
                    ));
                    Visit::Stop
                }
            },
        )?;
        if let Some(reason) = corrupt {
            return Err(StorageError::Corrupt(reason));
        }
        drop(snapshot);
        Ok(Arc::new(KeyStore {
            keys: RwLock::new(keys),
            writer,
            root,
            region: region.to_string(),
            account: account.to_string(),
        }))
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Reads the current view.
    pub fn read<T>(&self, read: impl FnOnce(&Keys) -> T) -> T {
        read(&self.keys.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Applies a change through the writer. `decide` runs on the writer,
    /// against the view as every earlier change left it: it checks the
    /// change's preconditions and returns the records to write, or the
    /// error to answer.
    pub async fn change<F>(self: &Arc<Self>, decide: F) -> Result<Vec<Write>, KmsError>
    where
        F: Fn(&Keys) -> Result<Vec<Write>, KmsError> + Send + Sync + 'static,
    {
        let command = Arc::new(change::ChangeCommand::new(Arc::new(decide), Arc::downgrade(self)));
        self.writer
            .submit(command.clone())
            .await
            .map_err(|error| KmsError::Internal(format!("the change was not stored: {error}")))?;
        command.verdict()
    }

    fn publish(&self, writes: &[Write]) {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        for write in writes {
            match write {
                Write::Put(record) => keys.insert(record.clone()),
                Write::Delete(key) => keys.remove(key),
            }
        }
    }

    /// Fresh material for version `number` of key `key_id`, sealed by the
    /// root key.
    pub fn new_version(&self, key_id: &str, number: u32, origin: Origin, now: f64) -> Result<KeyVersion, KmsError> {
        let material = SecretKey::generate().map_err(|e| KmsError::Internal(e.to_string()))?;
        let wrapped = self
            .root
            .wrap(&records::wrap_context(key_id, number), &material)
            .map_err(|e| KmsError::Internal(e.to_string()))?;
        Ok(KeyVersion {
            number,
            wrapped: base64::engine::general_purpose::STANDARD.encode(wrapped),
            created: now,
            origin,
        })
    }

    /// The material of `version` of `key`, unsealed.
    pub fn material(&self, key: &KeyRecord, version: &KeyVersion) -> Result<SecretKey, KmsError> {
        let wrapped = version
            .wrapped_bytes()
            .ok_or_else(|| KmsError::Internal(format!("key {} version {} is not base64", key.id, version.number)))?;
        self.root
            .unwrap_key(&records::wrap_context(&key.id, version.number), &wrapped)
            .map_err(|e| KmsError::Internal(format!("key {} version {}: {e}", key.id, version.number)))
    }

    /// How many keys' current material the root key cannot unseal (keys
    /// stored under another root key), for a warning at start.
    pub fn unsealable_keys(&self) -> usize {
        self.read(|keys| {
            keys.keys()
                .filter(|key| key.current().is_none_or(|version| self.material(key, version).is_err()))
                .count()
        })
    }

    /// KMS's default key policy: the account's root principal may do
    /// anything, which delegates the key's use to IAM policies.
    pub fn default_policy(&self) -> String {
        format!(
            "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}",
            self.account
        )
    }

    /// A new key record with its first version (not yet stored).
    pub fn new_key(
        &self,
        description: String,
        policy: Option<String>,
        tags: Vec<Tag>,
        manager: KeyManager,
        now: f64,
    ) -> Result<KeyRecord, KmsError> {
        let id = uuid::Uuid::new_v4().to_string();
        let first = self.new_version(&id, 1, Origin::Created, now)?;
        Ok(KeyRecord {
            arn: self.read(|keys| keys.key_arn(&id)),
            id,
            created: now,
            description,
            state: KeyState::Enabled,
            manager,
            policy: policy.unwrap_or_else(|| self.default_policy()),
            tags,
            deletion_date: None,
            pending_window_days: None,
            rotation_period_days: None,
            next_rotation: None,
            on_demand_rotation_start: None,
            versions: vec![first],
        })
    }

    /// The AWS managed key of `service` (`alias/aws/<service>`), created on
    /// first use as AWS creates it.
    pub async fn aws_managed_key(self: &Arc<Self>, service: &str) -> Result<KeyRecord, KmsError> {
        let alias = format!("alias/aws/{service}");
        if let Some(key) = self.read(|keys| keys.resolve(&alias, Aliases::Accepted).ok().cloned()) {
            return Ok(key);
        }
        let now = now();
        let policy = self.aws_managed_policy(service);
        let key = self.new_key(
            format!(
                "Default master key that protects my {} data when no other key is defined",
                service_title(service)
            ),
            Some(policy),
            Vec::new(),
            KeyManager::Aws,
            now,
        )?;
        let record = Record::Key(Box::new(key.clone()));
        let alias_record = Record::Alias(AliasRecord {
            name: alias.clone(),
            target: key.id.clone(),
            created: now,
            updated: now,
        });
        let decided_alias = alias.clone();
        self.change(move |keys| {
            // Another request may have created it meanwhile.
            if keys.alias(&decided_alias).is_some() {
                return Ok(Vec::new());
            }
            Ok(vec![Write::Put(record.clone()), Write::Put(alias_record.clone())])
        })
        .await?;
        self.read(|keys| keys.resolve(&alias, Aliases::Accepted).cloned())
    }

    /// The policy AWS gives a service's managed key: the key is usable only
    /// through the service, its metadata readable by the account.
    fn aws_managed_policy(&self, service: &str) -> String {
        serde_json::json!({
            "Version": "2012-10-17",
            "Id": format!("auto-{service}-1"),
            "Statement": [
                {
                    "Sid": format!("Allow access through Amazon {} for all principals in the account that are authorized to use Amazon {0}", service_title(service)),
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {
                        "kms:CallerAccount": self.account,
                        "kms:ViaService": format!("{service}.{}.amazonaws.com", self.region),
                    }}
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{}:root", self.account)},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*"
                }
            ]
        })
        .to_string()
    }

    /// Deletes the keys whose deletion date has come (with their aliases)
    /// and rotates the keys whose rotation is due.
    pub async fn maintain(self: &Arc<Self>) -> Result<(), KmsError> {
        let now = now();
        let (due_deletion, due_rotation) = self.read(|keys| {
            let deletion: Vec<String> = keys
                .keys()
                .filter(|k| k.state == KeyState::PendingDeletion && k.deletion_date.is_some_and(|d| d <= now))
                .map(|k| k.id.clone())
                .collect();
            let rotation: Vec<(String, u32)> = keys
                .keys()
                .filter(|k| k.state == KeyState::Enabled && k.next_rotation.is_some_and(|d| d <= now))
                .map(|k| (k.id.clone(), k.versions.last().map_or(1, |v| v.number) + 1))
                .collect();
            (deletion, rotation)
        });
        for id in due_deletion {
            self.change(move |keys| {
                let Some(key) = keys.key(&id).filter(|k| k.state == KeyState::PendingDeletion) else {
                    return Ok(Vec::new());
                };
                let mut writes = vec![Write::Delete(records::key_storage_key(&key.id))];
                writes.extend(
                    keys.aliases()
                        .filter(|a| a.target == key.id)
                        .map(|a| Write::Delete(records::alias_storage_key(&a.name))),
                );
                Ok(writes)
            })
            .await?;
        }
        for (id, number) in due_rotation {
            let version = self.new_version(&id, number, Origin::Automatic, now)?;
            self.change(move |keys| {
                let Some(key) = keys.key(&id) else {
                    return Ok(Vec::new());
                };
                if key.versions.last().map_or(1, |v| v.number) + 1 != number {
                    return Ok(Vec::new());
                }
                let mut key = key.clone();
                key.versions.push(version.clone());
                key.next_rotation = key.rotation_period_days.map(|days| now + f64::from(days) * DAY);
                Ok(vec![Write::Put(Record::Key(Box::new(key)))])
            })
            .await?;
        }
        Ok(())
    }
}

fn service_title(service: &str) -> &str {
    match service {
        "dynamodb" => "DynamoDB",
        other => other,
    }
}

/// Unix seconds now, to the millisecond (KMS's dates).
pub fn now() -> f64 {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    millis as f64 / 1000.0
}
