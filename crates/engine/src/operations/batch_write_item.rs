use std::collections::{BTreeMap, HashSet};

use super::put_item::validate_item;
use super::write_item::write_units;
use super::ConsumedCapacity;
use crate::capacity::{write_consumed, write_estimate};
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
    /// Requests not applied because their table's (or a global index's)
    /// throughput was spent, for the caller to send again.
    pub unprocessed: Vec<BatchWriteRequest>,
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
        // Each request is admitted on its own: the throttled ones come back
        // unprocessed, unless every one was throttled.
        let mut admitted = Vec::with_capacity(writes.len());
        let mut unprocessed = Vec::new();
        let mut throttled = None;
        for write in writes {
            let table = self.catalog.get(&write.table).ok_or_else(table_not_found)?;
            match self.throttle.admit(
                &table.definition,
                &write_estimate(&table.definition, &write.action, 1.0),
            ) {
                Ok(admission) => admitted.push((table, admission, write)),
                Err(error) => {
                    throttled.get_or_insert(error);
                    unprocessed.push(match write.action {
                        ItemAction::Put(item) => BatchWriteRequest::Put {
                            table_name: write.table,
                            item,
                        },
                        _ => BatchWriteRequest::Delete {
                            table_name: write.table,
                            key: write.key,
                        },
                    });
                }
            }
        }
        if admitted.is_empty() {
            if let Some(error) = throttled {
                return Err(error);
            }
        }
        let (accounts, writes): (Vec<_>, Vec<_>) = admitted
            .into_iter()
            .map(|(table, admission, write)| ((table, admission), write))
            .unzip();
        let Outcome::Items(outcomes) = self.writer.submit(Command::WriteItems(writes)).await? else {
            return Err(Error::Internal("unexpected writer outcome for a batch".into()));
        };
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        for ((table, admission), outcome) in accounts.into_iter().zip(outcomes) {
            let Outcome::Item {
                old, new, index_units, ..
            } = outcome?
            else {
                return Err(Error::Internal("unexpected writer outcome for a batch write".into()));
            };
            let table_units = write_units(old.as_ref(), new.as_ref());
            self.throttle.settle(
                &table.definition.name,
                admission,
                &write_consumed(table_units, &index_units, 1.0),
            );
            *units.entry(table.definition.name.clone()).or_default() += table_units;
        }
        Ok(BatchWriteItemOutput {
            consumed_capacity: units
                .into_iter()
                .map(|(table, units)| ConsumedCapacity::write(&table, units))
                .collect(),
            unprocessed,
        })
    }
}
