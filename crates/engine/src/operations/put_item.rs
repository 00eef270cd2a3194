use super::ReturnValues;
use crate::keys::{table_not_found, validate_item_key};
use crate::model::{item_size, Item, MAX_ITEM_SIZE};
use crate::writer::{Command, Outcome};
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct PutItemInput {
    pub table_name: String,
    pub item: Item,
    pub return_values: ReturnValues,
}

/// Checks an item to be written as a whole: its key and its size.
pub(crate) fn validate_item(schema: &crate::model::PrimaryKey, item: &Item) -> Result<()> {
    validate_item_key(schema, item)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(Error::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

impl Engine {
    /// Writes `item`, returning the item it replaced when asked to.
    pub async fn put_item(&self, input: PutItemInput) -> Result<Option<Item>> {
        input.return_values.check_none_or_all_old()?;
        let table = self
            .catalog
            .get(&input.table_name)
            .ok_or_else(table_not_found)?;
        validate_item(&table.definition.primary_key, &input.item)?;
        let command = Command::PutItem {
            table: input.table_name,
            table_id: table.definition.id.clone(),
            item: input.item,
        };
        old_item(self.writer.submit(command).await?, input.return_values)
    }
}

pub(crate) fn old_item(outcome: Outcome, return_values: ReturnValues) -> Result<Option<Item>> {
    match outcome {
        Outcome::OldItem(old) => Ok(old.filter(|_| return_values == ReturnValues::AllOld)),
        other => Err(Error::Internal(format!(
            "unexpected writer outcome {other:?}"
        ))),
    }
}
