//! The in-memory view of every key and alias, and how a request's key
//! identifier (key id, key ARN, alias name, alias ARN) resolves to a key.

use std::collections::BTreeMap;

use super::records::{AliasRecord, KeyRecord, Record};
use crate::kms_api::KmsError;

/// Whether an operation takes an alias (name or ARN) for its key: the
/// cryptographic operations and DescribeKey do; those that change a key
/// take only its id or ARN, as KMS requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aliases {
    Accepted,
    Refused,
}

/// Every key and alias of the account, keyed by key id and alias name.
#[derive(Debug, Clone)]
pub struct Keys {
    keys: BTreeMap<String, KeyRecord>,
    aliases: BTreeMap<String, AliasRecord>,
    region: String,
    account: String,
}

impl Keys {
    pub(super) fn new(region: &str, account: &str) -> Keys {
        Keys {
            keys: BTreeMap::new(),
            aliases: BTreeMap::new(),
            region: region.to_string(),
            account: account.to_string(),
        }
    }

    pub(super) fn insert(&mut self, record: Record) {
        match record {
            Record::Key(key) => {
                self.keys.insert(key.id.clone(), *key);
            }
            Record::Alias(alias) => {
                self.aliases.insert(alias.name.clone(), alias);
            }
        }
    }

    pub(super) fn remove(&mut self, storage_key: &str) {
        if let Some(id) = storage_key.strip_prefix("key:") {
            self.keys.remove(id);
        } else if let Some(name) = storage_key.strip_prefix("alias:") {
            self.aliases.remove(name);
        }
    }

    pub fn key(&self, id: &str) -> Option<&KeyRecord> {
        self.keys.get(id)
    }

    pub fn alias(&self, name: &str) -> Option<&AliasRecord> {
        self.aliases.get(name)
    }

    /// Keys in key-id order.
    pub fn keys(&self) -> impl Iterator<Item = &KeyRecord> {
        self.keys.values()
    }

    /// Aliases in name order.
    pub fn aliases(&self) -> impl Iterator<Item = &AliasRecord> {
        self.aliases.values()
    }

    pub fn key_arn(&self, id: &str) -> String {
        format!("arn:aws:kms:{}:{}:key/{id}", self.region, self.account)
    }

    pub fn alias_arn(&self, name: &str) -> String {
        format!("arn:aws:kms:{}:{}:{name}", self.region, self.account)
    }

    /// The key `identifier` names.
    pub fn resolve(&self, identifier: &str, aliases: Aliases) -> Result<&KeyRecord, KmsError> {
        let invalid = || KmsError::NotFound(format!("Invalid keyId {identifier}"));
        let resource = match identifier.strip_prefix("arn:") {
            Some(_) => {
                let parts: Vec<&str> = identifier.splitn(6, ':').collect();
                let [_, partition, service, region, account, resource] = parts[..] else {
                    return Err(KmsError::NotFound(format!("Invalid arn {identifier}")));
                };
                if partition != "aws" || service != "kms" || !resource.contains('/') {
                    return Err(KmsError::NotFound(format!("Invalid arn {identifier}")));
                }
                if region != self.region || account != self.account {
                    return Err(match resource.strip_prefix("key/") {
                        Some(_) => KmsError::NotFound(format!("Key '{identifier}' does not exist")),
                        None => KmsError::NotFound(format!("Alias {identifier} is not found.")),
                    });
                }
                resource
            }
            None => identifier,
        };
        if resource.starts_with("alias/") {
            if aliases == Aliases::Refused {
                return Err(invalid());
            }
            let alias = self
                .aliases
                .get(resource)
                .ok_or_else(|| KmsError::NotFound(format!("Alias {} is not found.", self.alias_arn(resource))))?;
            return self
                .keys
                .get(&alias.target)
                .ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", self.key_arn(&alias.target))));
        }
        let id = resource.strip_prefix("key/").unwrap_or(resource);
        if identifier.starts_with("arn:") != resource.starts_with("key/") || !is_key_id(id) {
            return Err(invalid());
        }
        self.keys
            .get(id)
            .ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", self.key_arn(id))))
    }
}

/// Whether `text` has the form of a key id (a UUID).
pub fn is_key_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}
