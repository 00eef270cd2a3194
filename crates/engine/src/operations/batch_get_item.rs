use std::collections::HashSet;

use super::{read_units, ConsumedCapacity};
use crate::expression::projection::Projection;
use crate::keys::{storage_key, table_not_found, validate_key};
use crate::model::item_codec::decode_item;
use crate::model::{item_size, Item};
use crate::{Engine, Error, Result};

/// DynamoDB returns at most 16 MB from one BatchGetItem.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// The keys to read from one table.
#[derive(Debug, Clone, Default)]
pub struct BatchGetTable {
    pub table_name: String,
    pub keys: Vec<Item>,
    pub projection: Option<Projection>,
    pub consistent_read: bool,
}

#[derive(Debug, Clone, Default)]
pub struct BatchGetTableResult {
    pub items: Vec<Item>,
    /// Keys not read because the response reached 16 MB.
    pub unprocessed_keys: Vec<Item>,
    pub consumed_capacity: Option<ConsumedCapacity>,
}

impl Engine {
    /// Reads every key from one snapshot; results per table, in request order.
    pub async fn batch_get_item(&self, tables: Vec<BatchGetTable>) -> Result<Vec<BatchGetTableResult>> {
        let mut reads = Vec::with_capacity(tables.len());
        for request in tables {
            let table = self.catalog.get(&request.table_name).ok_or_else(table_not_found)?;
            let schema = table.definition.primary_key.clone();
            let mut seen = HashSet::new();
            let mut storage_keys = Vec::with_capacity(request.keys.len());
            for key in &request.keys {
                validate_key(&schema, key)?;
                let storage_key = storage_key(&schema, key)?;
                if !seen.insert(storage_key.clone()) {
                    return Err(Error::validation("Provided list of item keys contains duplicates"));
                }
                storage_keys.push(storage_key);
            }
            reads.push((table.definition.keyspace.clone(), storage_keys, request));
        }
        self.read(move |view| {
            let mut response_bytes = 0usize;
            let mut full = false;
            let mut results = Vec::with_capacity(reads.len());
            for (keyspace, storage_keys, request) in reads {
                let mut result = BatchGetTableResult::default();
                let mut units = 0.0;
                for (key, storage_key) in request.keys.into_iter().zip(storage_keys) {
                    if full {
                        result.unprocessed_keys.push(key);
                        continue;
                    }
                    let item = view
                        .get(&keyspace, &storage_key)?
                        .map(|bytes| decode_item(&bytes))
                        .transpose()?;
                    let size = item.as_ref().map_or(0, item_size);
                    if response_bytes + size > MAX_RESPONSE_BYTES {
                        // This item and every later key wait for the next call.
                        full = true;
                        result.unprocessed_keys.push(key);
                        continue;
                    }
                    response_bytes += size;
                    // Each item read is charged on its own, rounded up.
                    units += read_units(size, request.consistent_read);
                    if let Some(item) = item {
                        result.items.push(match &request.projection {
                            Some(projection) => projection.apply(&item),
                            None => item,
                        });
                    }
                }
                if units > 0.0 {
                    result.consumed_capacity = Some(ConsumedCapacity::read(&request.table_name, units));
                }
                results.push(result);
            }
            Ok(results)
        })
        .await
    }
}
