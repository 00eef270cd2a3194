//! Primary keys: checking them against a table's key schema and turning
//! them into storage keys.

use std::ops::Bound;

use halyard_storage::keycodec::{self, KeyValue};
use halyard_storage::{Direction, KeyRange, ReadView, Visit};

use crate::error::Error;
use crate::model::{AttributeValue, IndexKey, Item, KeyAttribute, PrimaryKey};

/// DynamoDB's limits on key value sizes, in bytes.
const MAX_PARTITION_KEY_SIZE: usize = 2048;
const MAX_SORT_KEY_SIZE: usize = 1024;

pub(crate) fn table_not_found() -> Error {
    Error::ResourceNotFound("Requested resource not found".into())
}

pub(crate) fn table_not_found_named(name: &str) -> Error {
    Error::ResourceNotFound(format!("Requested resource not found: Table: {name} not found"))
}

pub(crate) fn key_value(value: &AttributeValue) -> Option<KeyValue<'_>> {
    match value {
        AttributeValue::S(s) => Some(KeyValue::S(s)),
        AttributeValue::N(n) => Some(KeyValue::N(n.parts())),
        AttributeValue::B(b) => Some(KeyValue::B(b)),
        _ => None,
    }
}

/// The storage key of an item or key that has passed validation.
pub(crate) fn storage_key(schema: &PrimaryKey, item: &Item) -> Result<Vec<u8>, Error> {
    let value = |key: &KeyAttribute| {
        item.get(&key.name)
            .and_then(key_value)
            .ok_or_else(|| Error::Internal(format!("key attribute {} missing after validation", key.name)))
    };
    let partition = value(&schema.partition)?;
    let sort = schema.sort.as_ref().map(value).transpose()?;
    Ok(keycodec::encode_key(partition, sort))
}

/// Checks one key attribute's value, already of the right type: emptiness
/// and size.
fn check_key_value(key: &KeyAttribute, value: &AttributeValue, is_partition: bool) -> Result<(), Error> {
    let size = match value {
        AttributeValue::S(s) if s.is_empty() => {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {}",
                key.name
            )))
        }
        AttributeValue::B(b) if b.is_empty() => {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: {}",
                key.name
            )))
        }
        other => other.size(),
    };
    if is_partition && size > MAX_PARTITION_KEY_SIZE {
        return Err(Error::validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if !is_partition && size > MAX_SORT_KEY_SIZE {
        return Err(Error::validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

/// A missing, extra or wrongly typed key attribute: the faults of a key's
/// shape. Inside a transaction DynamoDB reports them as the action's
/// cancellation reason, while an empty or oversized key value is refused
/// for the whole request ([`validate_item_key`], [`validate_key`]).
/// `whole_item` is an item to be written, otherwise a `Key` parameter.
pub(crate) fn key_shape_error(schema: &PrimaryKey, item: &Item, whole_item: bool) -> Option<Error> {
    let mismatch = || Error::validation("The provided key element does not match the schema");
    if !whole_item && item.len() != schema.attributes().count() {
        return Some(mismatch());
    }
    for key in schema.attributes() {
        let error = match item.get(&key.name) {
            Some(value) if key.scalar_type.matches(value) => continue,
            _ if !whole_item => mismatch(),
            None => Error::validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                key.name
            )),
            Some(value) => Error::validation(format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                key.name,
                key.scalar_type.name(),
                value.type_name()
            )),
        };
        return Some(error);
    }
    None
}

/// Checks the key values of an item or key whose shape is right.
pub(crate) fn validate_key_values(schema: &PrimaryKey, item: &Item) -> Result<(), Error> {
    for (position, key) in schema.attributes().enumerate() {
        if let Some(value) = item.get(&key.name) {
            check_key_value(key, value, position == 0)?;
        }
    }
    Ok(())
}

/// Checks the key attributes of an item to be written (PutItem).
pub(crate) fn validate_item_key(schema: &PrimaryKey, item: &Item) -> Result<(), Error> {
    match key_shape_error(schema, item, true) {
        Some(error) => Err(error),
        None => validate_key_values(schema, item),
    }
}

/// Checks a `Key` parameter (GetItem, DeleteItem): exactly the table's key
/// attributes, of the right types.
pub(crate) fn validate_key(schema: &PrimaryKey, key: &Item) -> Result<(), Error> {
    match key_shape_error(schema, key, false) {
        Some(error) => Err(error),
        None => validate_key_values(schema, key),
    }
}

/// How a Query or Scan names its positions: by the table's key, or for an
/// index by the index key followed by the table key.
#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    pub index_key: Option<IndexKey>,
    pub table_key: PrimaryKey,
}

impl KeyLayout {
    /// The key attributes of a position, each once.
    pub fn attributes(&self) -> Vec<&KeyAttribute> {
        let mut attributes: Vec<&KeyAttribute> = Vec::with_capacity(4);
        for attribute in self
            .index_key
            .iter()
            .flat_map(|k| k.attributes())
            .chain(self.table_key.attributes())
        {
            if !attributes.iter().any(|a| a.name == attribute.name) {
                attributes.push(attribute);
            }
        }
        attributes
    }

    /// The partition key attributes, which spread items over scan segments.
    pub fn partition(&self) -> &[KeyAttribute] {
        match &self.index_key {
            Some(index_key) => &index_key.partition,
            None => std::slice::from_ref(&self.table_key.partition),
        }
    }

    pub fn storage_key(&self, item: &Item) -> Result<Vec<u8>, Error> {
        match &self.index_key {
            None => storage_key(&self.table_key, item),
            Some(index_key) => crate::indexes::entry_key(index_key, &self.table_key, item),
        }
    }

    /// The position of `item`: its key attributes (LastEvaluatedKey).
    pub fn key_of(&self, item: &Item) -> Item {
        self.attributes()
            .into_iter()
            .filter_map(|key| item.get(&key.name).map(|v| (key.name.clone(), v.clone())))
            .collect()
    }

    /// Checks an ExclusiveStartKey: exactly the position's attributes.
    pub fn validate(&self, key: &Item) -> Result<(), Error> {
        let attributes = self.attributes();
        let mismatch = || Error::validation("The provided key element does not match the schema");
        if key.len() != attributes.len() {
            return Err(mismatch());
        }
        for attribute in attributes {
            let value = key.get(&attribute.name).ok_or_else(mismatch)?;
            if !attribute.scalar_type.matches(value) {
                return Err(mismatch());
            }
        }
        Ok(())
    }
}

/// Bytes in hex, for log lines and reports that name a storage key.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Stored (key, value) pairs, in key order.
pub(crate) type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// Up to `limit` pairs of `keyspace` after the key `after` (from the start
/// when `None`), copied out so that the caller may write while it goes.
pub(crate) fn read_chunk(
    view: &dyn ReadView,
    keyspace: &str,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<Pairs, Error> {
    let range = KeyRange {
        start: after.map_or(Bound::Unbounded, Bound::Excluded),
        end: Bound::Unbounded,
    };
    let mut chunk = Vec::with_capacity(limit);
    view.scan(keyspace, range, Direction::Forward, &mut |key, value| {
        chunk.push((key.to_vec(), value.to_vec()));
        if chunk.len() == limit {
            Visit::Stop
        } else {
            Visit::Continue
        }
    })?;
    Ok(chunk)
}
