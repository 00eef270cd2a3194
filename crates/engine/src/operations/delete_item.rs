use super::put_item::old_item;
use super::ReturnValues;
use crate::keys::{table_not_found, validate_key};
use crate::model::Item;
use crate::writer::Command;
use crate::{Engine, Result};

#[derive(Debug, Clone, Default)]
pub struct DeleteItemInput {
    pub table_name: String,
    pub key: Item,
    pub return_values: ReturnValues,
}

impl Engine {
    /// Deletes the item with `key` (a no-op when absent), returning it when
    /// asked to.
    pub async fn delete_item(&self, input: DeleteItemInput) -> Result<Option<Item>> {
        input.return_values.check_none_or_all_old()?;
        let table = self
            .catalog
            .get(&input.table_name)
            .ok_or_else(table_not_found)?;
        validate_key(&table.definition.primary_key, &input.key)?;
        let command = Command::DeleteItem {
            table: input.table_name,
            table_id: table.definition.id.clone(),
            key: input.key,
        };
        old_item(self.writer.submit(command).await?, input.return_values)
    }
}
