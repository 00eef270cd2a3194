//! The key of a secondary index: one to four partition (HASH) attributes
//! and up to four sort (RANGE) attributes, in key schema order. Global
//! indexes may have several of each (multi-attribute keys); local indexes,
//! like tables, have one of each.

use serde::{Deserialize, Serialize};

use super::attribute_value::Item;
use super::table::{KeyAttribute, PrimaryKey};

/// An index key; items sort by the sort attributes left to right, each by
/// its own type's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredIndexKey", into = "StoredIndexKey")]
pub struct IndexKey {
    /// Never empty.
    pub partition: Vec<KeyAttribute>,
    pub sort: Vec<KeyAttribute>,
}

impl IndexKey {
    /// Every key attribute: the partition attributes, then the sort ones.
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.partition.iter().chain(&self.sort)
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.attributes().any(|key| key.name == name)
    }

    /// Whether a key attribute is one of the partition attributes (whose
    /// values have the partition key's size limit).
    pub fn is_partition_position(&self, position: usize) -> bool {
        position < self.partition.len()
    }

    /// The key attributes of `item` that it has.
    pub fn key_of(&self, item: &Item) -> Item {
        self.attributes()
            .filter_map(|key| item.get(&key.name).map(|v| (key.name.clone(), v.clone())))
            .collect()
    }
}

impl From<PrimaryKey> for IndexKey {
    fn from(key: PrimaryKey) -> IndexKey {
        IndexKey {
            partition: vec![key.partition],
            sort: key.sort.into_iter().collect(),
        }
    }
}

/// How the catalog stores an index key. Keys with one attribute of each
/// role keep the shape they had before multi-attribute keys, so catalogs
/// written by either version read the same.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum StoredIndexKey {
    Single {
        partition: KeyAttribute,
        sort: Option<KeyAttribute>,
    },
    Multi {
        partition: Vec<KeyAttribute>,
        sort: Vec<KeyAttribute>,
    },
}

impl From<StoredIndexKey> for IndexKey {
    fn from(stored: StoredIndexKey) -> IndexKey {
        match stored {
            StoredIndexKey::Single { partition, sort } => PrimaryKey { partition, sort }.into(),
            StoredIndexKey::Multi { partition, sort } => IndexKey { partition, sort },
        }
    }
}

impl From<IndexKey> for StoredIndexKey {
    fn from(key: IndexKey) -> StoredIndexKey {
        if key.partition.len() == 1 && key.sort.len() <= 1 {
            let mut partition = key.partition;
            let mut sort = key.sort;
            StoredIndexKey::Single {
                partition: partition.remove(0),
                sort: sort.pop(),
            }
        } else {
            StoredIndexKey::Multi {
                partition: key.partition,
                sort: key.sort,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScalarType;

    fn attribute(name: &str) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            scalar_type: ScalarType::S,
        }
    }

    #[test]
    fn single_attribute_keys_keep_the_stored_shape_of_earlier_versions() {
        let key: IndexKey = PrimaryKey {
            partition: attribute("a"),
            sort: Some(attribute("b")),
        }
        .into();
        let json = serde_json::to_value(&key).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"partition": {"name": "a", "scalar_type": "S"}, "sort": {"name": "b", "scalar_type": "S"}})
        );
        assert_eq!(serde_json::from_value::<IndexKey>(json).unwrap(), key);
    }

    #[test]
    fn multi_attribute_keys_round_trip() {
        let key = IndexKey {
            partition: vec![attribute("a"), attribute("b")],
            sort: vec![attribute("c"), attribute("d"), attribute("e")],
        };
        let json = serde_json::to_vec(&key).unwrap();
        assert_eq!(serde_json::from_slice::<IndexKey>(&json).unwrap(), key);
    }
}
