use std::collections::{BTreeMap, HashSet};

use super::put_item::validate_item;
use super::update_item::check_update_paths;
use super::write_item::write_units;
use super::ConsumedCapacity;
use crate::capacity::{write_consumed, write_estimate, Admission};
use crate::error::cancel_on_faults;
use crate::expression::condition::Condition;
use crate::expression::update::Update;
use crate::keys::{key_shape_error, storage_key, table_not_found, validate_key_values};
use crate::model::{item_size, Item};

/// DynamoDB's limit on the items of one transaction.
const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;
use crate::writer::{ClientToken, Command, ItemAction, ItemWrite, Outcome, WriteOrigin};
use crate::{now_seconds, Engine, Error, Result};

/// One action of a TransactWriteItems request.
#[derive(Debug, Clone)]
pub struct TransactWriteAction {
    pub table_name: String,
    pub operation: TransactOperation,
    pub condition: Option<Condition>,
    /// ReturnValuesOnConditionCheckFailure=ALL_OLD
    pub return_old_on_failure: bool,
}

#[derive(Debug, Clone)]
pub enum TransactOperation {
    Put(Item),
    Update { key: Item, update: Update },
    Delete(Item),
    ConditionCheck(Item),
}

#[derive(Debug, Clone, Default)]
pub struct TransactWriteItemsInput {
    pub actions: Vec<TransactWriteAction>,
    pub client_request_token: Option<String>,
    /// A fingerprint of the request, to tell a retry from a different
    /// request reusing its token.
    pub fingerprint: u64,
}

#[derive(Debug, Clone, Default)]
pub struct TransactWriteItemsOutput {
    pub consumed_capacity: Vec<ConsumedCapacity>,
}

impl Engine {
    /// Applies every action or none, atomically and in isolation from every
    /// other write: the writer applies the whole transaction as one command.
    pub async fn transact_write_items(&self, input: TransactWriteItemsInput) -> Result<TransactWriteItemsOutput> {
        let mut seen = HashSet::new();
        let mut writes = Vec::with_capacity(input.actions.len());
        let payload: usize = input
            .actions
            .iter()
            .map(|action| match &action.operation {
                TransactOperation::Put(item) => item_size(item),
                TransactOperation::Update { key, .. }
                | TransactOperation::Delete(key)
                | TransactOperation::ConditionCheck(key) => item_size(key),
            })
            .sum();
        if payload > MAX_PAYLOAD_BYTES {
            return Err(Error::validation(format!(
                "Transaction payload size cannot exceed 4MB. Payload Size: {payload}"
            )));
        }
        // Per action: the fault that cancels the transaction, if any.
        let mut faults = Vec::with_capacity(input.actions.len());
        for action in input.actions {
            let table = self.catalog.get(&action.table_name).ok_or_else(table_not_found)?;
            let schema = &table.definition.primary_key;
            // A key of the wrong shape, or an update of a key attribute, is
            // found as the transaction runs: DynamoDB cancels it with a
            // ValidationError reason for that action. Every other fault is
            // refused for the whole request, a Put's missing key attribute
            // among them (by validate_item below).
            let fault = match &action.operation {
                TransactOperation::Put(item) if schema.attributes().all(|key| item.contains_key(&key.name)) => {
                    key_shape_error(schema, item, true)
                }
                TransactOperation::Put(_) => None,
                TransactOperation::Update { key, update } => {
                    key_shape_error(schema, key, false).or_else(|| check_update_paths(schema, update).err())
                }
                TransactOperation::Delete(key) | TransactOperation::ConditionCheck(key) => {
                    key_shape_error(schema, key, false)
                }
            };
            let cancelled = fault.is_some();
            faults.push(fault);
            if cancelled {
                continue;
            }
            let (key, item_action) = match action.operation {
                TransactOperation::Put(item) => {
                    validate_item(schema, &item)?;
                    (schema.key_of(&item), ItemAction::Put(item))
                }
                TransactOperation::Update { key, update } => {
                    validate_key_values(schema, &key)?;
                    (key, ItemAction::Update(update))
                }
                TransactOperation::Delete(key) => {
                    validate_key_values(schema, &key)?;
                    (key, ItemAction::Delete)
                }
                TransactOperation::ConditionCheck(key) => {
                    validate_key_values(schema, &key)?;
                    (key, ItemAction::ConditionCheck)
                }
            };
            if !seen.insert((action.table_name.clone(), storage_key(schema, &key)?)) {
                return Err(Error::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            writes.push(ItemWrite {
                table: action.table_name,
                table_id: table.definition.id.clone(),
                key,
                action: item_action,
                condition: action.condition,
                return_old_on_failure: action.return_old_on_failure,
                origin: WriteOrigin::Client,
            });
        }
        cancel_on_faults(faults)?;
        let accounts = self.admit_transaction(&writes)?;
        let tables: Vec<String> = writes.iter().map(|w| w.table.clone()).collect();
        let token = input.client_request_token.map(|token| ClientToken {
            token,
            fingerprint: input.fingerprint,
            now: now_seconds(),
        });
        let Outcome::Transaction(outcomes) = self.writer.submit(Command::Transaction { writes, token }).await? else {
            return Err(Error::Internal("unexpected writer outcome for a transaction".into()));
        };
        // Transactional writes cost twice a standard write, as in DynamoDB.
        let mut units: BTreeMap<String, f64> = BTreeMap::new();
        if outcomes.is_empty() {
            // A repeated token: nothing was written; the items were read.
            for table in tables {
                *units.entry(table).or_default() += 2.0;
            }
            let consumed_capacity = units
                .into_iter()
                .map(|(table, units)| ConsumedCapacity::read(&table, units));
            return Ok(TransactWriteItemsOutput {
                consumed_capacity: consumed_capacity.collect(),
            });
        }
        for ((table, outcome), admission) in tables.into_iter().zip(outcomes).zip(accounts) {
            if let Outcome::Item {
                old, new, index_units, ..
            } = outcome
            {
                let table_units = write_units(old.as_ref(), new.as_ref());
                self.throttle
                    .settle(&table, admission, &write_consumed(table_units, &index_units, 2.0));
                *units.entry(table).or_default() += 2.0 * table_units;
            }
        }
        let consumed_capacity = units
            .into_iter()
            .map(|(table, units)| ConsumedCapacity::write(&table, units));
        Ok(TransactWriteItemsOutput {
            consumed_capacity: consumed_capacity.collect(),
        })
    }
}

impl Engine {
    /// Admits every action of a transaction, or cancels it: a throttled
    /// action's reason is ThrottlingError, as in DynamoDB.
    fn admit_transaction(&self, writes: &[ItemWrite]) -> Result<Vec<Admission>> {
        let tables = writes
            .iter()
            .map(|write| self.catalog.get(&write.table).ok_or_else(table_not_found))
            .collect::<Result<Vec<_>>>()?;
        self.throttle.admit_transaction(
            tables
                .iter()
                .zip(writes)
                .map(|(table, write)| (&table.definition, write_estimate(&table.definition, &write.action, 2.0))),
        )
    }
}
