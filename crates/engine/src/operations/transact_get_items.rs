use std::collections::HashSet;

use super::{read_units, ConsumedCapacity};
use crate::capacity::read_demand;
use crate::error::cancel_on_faults;
use crate::expression::key_paths;
use crate::expression::projection::Projection;
use crate::item_seal::SealForm;
use crate::keys::{key_shape_error, storage_key, table_not_found, validate_key_values};
use crate::model::{item_size, Item};
use crate::{Engine, Error, Result};

/// One Get of a TransactGetItems request.
#[derive(Debug, Clone, Default)]
pub struct TransactGet {
    pub table_name: String,
    pub key: Item,
    pub projection: Option<Projection>,
}

#[derive(Debug, Clone, Default)]
pub struct TransactGetItemsOutput {
    /// One entry per Get, in order; `None` where the item does not exist.
    pub items: Vec<Option<Item>>,
    pub consumed_capacity: Vec<ConsumedCapacity>,
    /// Units each Get consumed, in order (for charging the tables).
    item_units: Vec<f64>,
}

impl Engine {
    /// Reads every item from one snapshot: a consistent view across items
    /// and tables.
    pub async fn transact_get_items(&self, gets: Vec<TransactGet>) -> Result<TransactGetItemsOutput> {
        let mut seen = HashSet::new();
        let mut reads = Vec::with_capacity(gets.len());
        // Per Get: a key of the wrong shape cancels the transaction with a
        // ValidationError reason for that Get, as in DynamoDB.
        let mut faults = Vec::with_capacity(gets.len());
        for get in gets {
            let table = self.data_table(&get.table_name, table_not_found)?;
            let schema = &table.definition.primary_key;
            let fault = key_shape_error(schema, &get.key, false);
            let cancelled = fault.is_some();
            faults.push(fault);
            if cancelled {
                continue;
            }
            validate_key_values(schema, &get.key)?;
            if let Some(projection) = &get.projection {
                key_paths::check_scalar_keys(&table.definition, projection.paths())?;
            }
            let key = storage_key(schema, &get.key)?;
            if !seen.insert((get.table_name.clone(), key.clone())) {
                return Err(Error::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            reads.push((table, key, get));
        }
        cancel_on_faults(faults)?;
        // Every read is admitted, or the transaction is cancelled.
        let admissions = self.throttle.admit_transaction(reads.iter().map(|(table, _, _)| {
            let estimate = read_demand(&table.definition, None, 2.0 * read_units(0, true));
            (&table.definition, vec![estimate])
        }))?;
        let tables: Vec<_> = reads.iter().map(|(table, _, _)| table.clone()).collect();
        let reads = reads
            .into_iter()
            .map(|(table, key, get)| {
                Ok((
                    table.definition.keyspace.clone(),
                    self.catalog.seals.of(&table.definition)?,
                    key,
                    get,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let output = self
            .read(move |view| {
                let mut output = TransactGetItemsOutput {
                    item_units: Vec::with_capacity(reads.len()),
                    ..Default::default()
                };
                let mut units: std::collections::BTreeMap<String, f64> = Default::default();
                for (keyspace, seal, key, get) in reads {
                    let item = view
                        .get(&keyspace, &key)?
                        .map(|bytes| seal.decode(SealForm::Item, &key, &bytes))
                        .transpose()?;
                    // Transactional reads cost twice a strongly consistent read.
                    let item_units = 2.0 * read_units(item.as_ref().map_or(0, item_size), true);
                    *units.entry(get.table_name.clone()).or_default() += item_units;
                    output.item_units.push(item_units);
                    output.items.push(item.map(|item| match &get.projection {
                        Some(projection) => projection.apply(&item),
                        None => item,
                    }));
                }
                output.consumed_capacity = units
                    .into_iter()
                    .map(|(table, units)| ConsumedCapacity::read(&table, units))
                    .collect();
                Ok(output)
            })
            .await?;
        for ((table, admission), units) in tables.iter().zip(admissions).zip(&output.item_units) {
            self.throttle.settle(
                &table.definition.name,
                admission,
                &[read_demand(&table.definition, None, *units)],
            );
        }
        Ok(output)
    }
}
