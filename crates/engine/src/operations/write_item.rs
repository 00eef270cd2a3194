//! What PutItem, UpdateItem and DeleteItem share: submitting one item write
//! to the writer and reporting its result and capacity.

use super::{ConsumedCapacity, ReturnValues};
use crate::capacity::{write_consumed, write_estimate};
use crate::catalog::Table;
use crate::expression::condition::Condition;
use crate::expression::key_paths;
use crate::expression::projection::Projection;
use crate::model::{item_size, Item};
use crate::writer::{Command, ItemAction, ItemWrite, Outcome, WriteOrigin};
use crate::{Engine, Error, Result};

/// The result of a single-item write.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteItemOutput {
    /// The attributes ReturnValues asked for, if any.
    pub attributes: Option<Item>,
    pub consumed_capacity: ConsumedCapacity,
    /// For tables with local indexes: the partition key and the size in
    /// bytes of its item collection after the write.
    pub item_collection: Option<(Item, i64)>,
}

/// Write capacity: one unit per KB of the larger of the old and new item,
/// at least one.
pub(crate) fn write_units(old: Option<&Item>, new: Option<&Item>) -> f64 {
    let bytes = old.map_or(0, item_size).max(new.map_or(0, item_size));
    bytes.div_ceil(1024).max(1) as f64
}

pub(crate) struct ItemWriteRequest {
    pub key: Item,
    pub action: ItemAction,
    pub condition: Option<Condition>,
    pub return_values: ReturnValues,
    pub return_old_on_failure: bool,
    /// For UPDATED_OLD / UPDATED_NEW: the paths the update wrote.
    pub updated_paths: Option<Projection>,
}

impl Engine {
    pub(crate) async fn write_item(&self, table: &Table, request: ItemWriteRequest) -> Result<WriteItemOutput> {
        // A condition may not step into a key attribute (`pk.a`).
        if let Some(condition) = &request.condition {
            key_paths::check_scalar_keys(&table.definition, condition.paths())?;
        }
        // Only tables with local indexes have item collections to report.
        let collection_key: Option<Item> = table.definition.has_local_indexes().then(|| {
            let partition = &table.definition.primary_key.partition.name;
            request
                .key
                .iter()
                .filter(|(name, _)| *name == partition)
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        });
        let admission = self.throttle.admit(
            &table.definition,
            &write_estimate(&table.definition, &request.action, 1.0),
        )?;
        let command = Command::WriteItem(ItemWrite {
            table: table.definition.name.clone(),
            table_id: table.definition.id.clone(),
            key: request.key,
            action: request.action,
            condition: request.condition,
            return_old_on_failure: request.return_old_on_failure,
            origin: WriteOrigin::Client,
        });
        let Outcome::Item {
            old,
            new,
            collection_size,
            index_units,
        } = self.writer.submit(command).await?
        else {
            return Err(Error::Internal("unexpected writer outcome for an item write".into()));
        };
        let table_units = write_units(old.as_ref(), new.as_ref());
        self.throttle.settle(
            &table.definition.name,
            admission,
            &write_consumed(table_units, &index_units, 1.0),
        );
        let mut consumed_capacity = ConsumedCapacity::write(&table.definition.name, table_units);
        consumed_capacity.add_index_units(&index_units);
        let updated = |item: Option<Item>| match (&request.updated_paths, item) {
            (Some(paths), Some(item)) => Some(paths.apply(&item)).filter(|projected| !projected.is_empty()),
            _ => None,
        };
        let attributes = match request.return_values {
            ReturnValues::None => None,
            ReturnValues::AllOld => old,
            ReturnValues::AllNew => new,
            ReturnValues::UpdatedOld => updated(old),
            ReturnValues::UpdatedNew => updated(new),
        };
        Ok(WriteItemOutput {
            attributes,
            consumed_capacity,
            item_collection: collection_key.zip(collection_size),
        })
    }
}
