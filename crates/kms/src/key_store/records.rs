//! What the key store keeps: keys (metadata, policy, tags and every version
//! of their material, wrapped by the root key) and aliases.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// A key's state, as KMS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KeyState {
    pub fn name(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }
}

/// Who manages a key: the caller (`CUSTOMER`) or a service (`AWS`, such as
/// `alias/aws/dynamodb`'s key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    Customer,
    Aws,
}

impl KeyManager {
    pub fn name(self) -> &'static str {
        match self {
            KeyManager::Customer => "CUSTOMER",
            KeyManager::Aws => "AWS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// How a version of key material came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    Created,
    Automatic,
    OnDemand,
}

/// One version of a key's material. Versions are never removed while the
/// key exists: ciphertexts name the version that sealed them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyVersion {
    pub number: u32,
    /// The material sealed by the root key (context: key id and version),
    /// base64.
    pub wrapped: String,
    pub created: f64,
    pub origin: Origin,
}

impl KeyVersion {
    pub fn wrapped_bytes(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD.decode(&self.wrapped).ok()
    }

    /// The 64-hex-digit id KMS gives key material (`KeyMaterialId`): here a
    /// digest of the key id and version, never of the material.
    pub fn material_id(&self, key_id: &str) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("{key_id}/{}", self.number));
        hex::encode(digest)
    }
}

/// The root key's context for a version's material: what it is, so that
/// wrapped material cannot be moved to another key or version.
pub fn wrap_context(key_id: &str, version: u32) -> Vec<u8> {
    format!("halyard-kms key {key_id} version {version}").into_bytes()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub id: String,
    pub arn: String,
    pub created: f64,
    pub description: String,
    pub state: KeyState,
    pub manager: KeyManager,
    pub policy: String,
    pub tags: Vec<Tag>,
    pub deletion_date: Option<f64>,
    pub pending_window_days: Option<u32>,
    /// `Some(days)` while automatic rotation is on.
    pub rotation_period_days: Option<u32>,
    pub next_rotation: Option<f64>,
    pub on_demand_rotation_start: Option<f64>,
    /// Oldest first; the last is the one that encrypts.
    pub versions: Vec<KeyVersion>,
}

impl KeyRecord {
    pub fn current(&self) -> Option<&KeyVersion> {
        self.versions.last()
    }

    pub fn version(&self, number: u32) -> Option<&KeyVersion> {
        self.versions.iter().find(|v| v.number == number)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AliasRecord {
    /// `alias/...`.
    pub name: String,
    pub target: String,
    pub created: f64,
    pub updated: f64,
}

/// A stored record: the keyspace holds `key:<id>` and `alias:<name>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Record {
    Key(Box<KeyRecord>),
    Alias(AliasRecord),
}

impl Record {
    pub fn storage_key(&self) -> String {
        match self {
            Record::Key(key) => key_storage_key(&key.id),
            Record::Alias(alias) => alias_storage_key(&alias.name),
        }
    }
}

pub fn key_storage_key(id: &str) -> String {
    format!("key:{id}")
}

pub fn alias_storage_key(name: &str) -> String {
    format!("alias:{name}")
}
