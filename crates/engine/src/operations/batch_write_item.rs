use std::collections::{BTreeMap, HashSet};

use super::put_item::validate_item;
use super::write_item::write_units;
use super::ConsumedCapacity;
use crate::keys::{storage_key, table_not_found, validate_key};
use crate::model::Item;
use crate::writer::{Command, ItemAction, ItemWrite, Outcome, WriteOrigin};
use crate::{Engine, Error, Result};

/// One PutRequest or DeleteRequest of a BatchWriteItem.
#[derive(Debug, Clone)]
pub enum BatchWriteRequest {
    Put { table_name: String, item: Item },
    Delete { table_name: String, key: Item },
}

#[derive(Debug, Clone, Default)]
pub struct BatchWriteItemOutput {
    /// Per table, in table name order.
    pub consumed_capacity: Vec<ConsumedCapacity>,
}

impl Engine {
    /// Writes each request on its own (there is no atomicity across them,
    /// as in DynamoDB); all are checked before any is applied.
    pub async fn batch_write_item(&self, requests: Vec<BatchWriteRequest>) -> Result<BatchWriteItemOutput> {
        let mut seen = HashSet::new();
        let mut writes = Vec::with_capacity(requests.len());
        for request in requests {
            let (table_name, key, action) = match request {
                BatchWriteRequest::Put { table_name, item } => {
                    let table = self.catalog.get(&table_name).ok_or_else(table_not_found)?;
                    // A batch names a put's key the way it names a delete's.
                    validate_key(
                        &table.definition.primary_key,
                        &table.definition.primary_key.key_of(&item),
                    )?;
                    validate_item(&table.definition.primary_key, &item)?;
                    (
                        table_name,
                        table.definition.primary_key.key_of(&item),
                        ItemAction::Put(item),
                    )
                }
                BatchWriteRequest::Delete { table_name, key } => {
                    let table = self.catalog.get(&table_name).ok_or_else(table_not_found)?;
                    validate_key(&table.definition.primary_key, &key)?;
                    (table_name, key, ItemAction::Delete)
                }
            };
            let table = self.catalog.get(&table_name).ok_or_else(table_not_found)?;
            if !seen.insert((table_name.clone(), storage_key(&table.definition.primary_key, &key)?)) {
                return Err(Error::validation("Provided list of item keys contains duplicates"));
            }
            writes.push(ItemWrite {
                table: table_name,
                table_id: table.definition.id.clone(),
                key,
                action,
                condition: None,
                return_old_on_failure: false,
                origin: WriteOrigin::Client,
            });
        }
        let tables: Vec<String> = writes.iter().map(|w| w.table.clone()).collect();
        let Outcome::Items(outcomes) = self.writer.submit(Command::WriteItems(writes)).await? else {
            return Err(Error::Internal("unexpected writer outcome for a batch".into()));
        };
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        for (table, outcome) in tables.into_iter().zip(outcomes) {
            let Outcome::Item { old, new, .. } = outcome? else {
                return Err(Error::Internal("unexpected writer outcome for a batch write".into()));
            };
            *units.entry(table).or_default() += write_units(old.as_ref(), new.as_ref());
        }
        Ok(BatchWriteItemOutput {
            consumed_capacity: units
                .into_iter()
                .map(|(table, units)| ConsumedCapacity::write(&table, units))
                .collect(),
        })
    }
}
