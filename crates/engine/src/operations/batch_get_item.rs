use std::collections::HashSet;

use super::{read_units, ConsumedCapacity};
use crate::capacity::{read_demand, Admission};
use crate::expression::key_paths;
use crate::expression::projection::Projection;
use crate::item_seal::SealForm;
use crate::keys::{storage_key, table_not_found, validate_key};
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
            let table = self.data_table(&request.table_name, table_not_found)?;
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
            if let Some(projection) = &request.projection {
                key_paths::check_scalar_keys(&table.definition, projection.paths())?;
            }
            reads.push((table, storage_keys, request));
        }
        // Each key is admitted on its own: the throttled ones come back
        // unprocessed, unless every one was throttled.
        let mut admitted_reads = Vec::with_capacity(reads.len());
        let mut accounts = Vec::with_capacity(reads.len());
        let (mut throttled, mut any_admitted) = (None, false);
        for (table, storage_keys, mut request) in reads {
            let estimate = read_demand(&table.definition, None, read_units(0, request.consistent_read));
            let mut admission = Admission::default();
            let (mut keys, mut kept_storage_keys, mut throttled_keys) = (Vec::new(), Vec::new(), Vec::new());
            for (key, storage_key) in std::mem::take(&mut request.keys).into_iter().zip(storage_keys) {
                match self.throttle.admit(&table.definition, std::slice::from_ref(&estimate)) {
                    Ok(admitted) => {
                        admission.absorb(admitted);
                        keys.push(key);
                        kept_storage_keys.push(storage_key);
                    }
                    Err(error) => {
                        throttled.get_or_insert(error);
                        throttled_keys.push(key);
                    }
                }
            }
            any_admitted |= !keys.is_empty();
            request.keys = keys;
            admitted_reads.push((
                table.definition.keyspace.clone(),
                self.catalog.seals.of(&table.definition)?,
                kept_storage_keys,
                request,
                throttled_keys,
            ));
            accounts.push((table, admission));
        }
        if !any_admitted {
            if let Some(error) = throttled {
                return Err(error);
            }
        }
        let results = self
            .read(move |view| {
                let mut response_bytes = 0usize;
                let mut full = false;
                let mut results = Vec::with_capacity(admitted_reads.len());
                for (keyspace, seal, storage_keys, request, throttled_keys) in admitted_reads {
                    let mut result = BatchGetTableResult {
                        unprocessed_keys: throttled_keys,
                        ..Default::default()
                    };
                    let mut units = 0.0;
                    for (key, storage_key) in request.keys.into_iter().zip(storage_keys) {
                        if full {
                            result.unprocessed_keys.push(key);
                            continue;
                        }
                        let item = view
                            .get(&keyspace, &storage_key)?
                            .map(|bytes| seal.decode(SealForm::Item, &storage_key, &bytes))
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
            .await?;
        for ((table, admission), result) in accounts.into_iter().zip(&results) {
            let units = result.consumed_capacity.as_ref().map_or(0.0, |c| c.read_units);
            self.throttle.settle(
                &table.definition.name,
                admission,
                &[read_demand(&table.definition, None, units)],
            );
        }
        Ok(results)
    }
}
