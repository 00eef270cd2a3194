use super::write_item::{ItemWriteRequest, WriteItemOutput};
use super::ReturnValues;
use crate::expression::condition::Condition;
use crate::keys::{table_not_found, validate_item_key};
use crate::model::{item_size, item_too_deep, Item, PrimaryKey, ITEM_TOO_DEEP, MAX_ITEM_SIZE};
use crate::writer::ItemAction;
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct PutItemInput {
    pub table_name: String,
    pub item: Item,
    pub condition: Option<Condition>,
    pub return_values: ReturnValues,
    pub return_old_on_failure: bool,
}

/// Checks an item to be written as a whole: its key, its nesting and its
/// size.
pub(crate) fn validate_item(schema: &PrimaryKey, item: &Item) -> Result<()> {
    validate_item_key(schema, item)?;
    if item_too_deep(item) {
        return Err(Error::validation(ITEM_TOO_DEEP));
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(Error::validation("Item size has exceeded the maximum allowed size"));
    }
    Ok(())
}

impl Engine {
    /// Writes `item` if the condition holds, returning the item it replaced
    /// when asked to.
    pub async fn put_item(&self, input: PutItemInput) -> Result<WriteItemOutput> {
        input.return_values.check_none_or_all_old()?;
        let table = self.data_table(&input.table_name, table_not_found)?;
        let schema = &table.definition.primary_key;
        validate_item(schema, &input.item)?;
        let request = ItemWriteRequest {
            key: schema.key_of(&input.item),
            action: ItemAction::Put(input.item),
            condition: input.condition,
            return_values: input.return_values,
            return_old_on_failure: input.return_old_on_failure,
            updated_paths: None,
        };
        self.write_item(&table, request).await
    }
}
