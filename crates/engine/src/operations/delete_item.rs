use super::write_item::{ItemWriteRequest, WriteItemOutput};
use super::ReturnValues;
use crate::expression::condition::Condition;
use crate::keys::{table_not_found, validate_key};
use crate::model::Item;
use crate::writer::ItemAction;
use crate::{Engine, Result};

#[derive(Debug, Clone, Default)]
pub struct DeleteItemInput {
    pub table_name: String,
    pub key: Item,
    pub condition: Option<Condition>,
    pub return_values: ReturnValues,
    pub return_old_on_failure: bool,
}

impl Engine {
    /// Deletes the item with `key` if the condition holds (a no-op when the
    /// item is absent), returning it when asked to.
    pub async fn delete_item(&self, input: DeleteItemInput) -> Result<WriteItemOutput> {
        input.return_values.check_none_or_all_old()?;
        let table = self.data_table(&input.table_name, table_not_found)?;
        validate_key(&table.definition.primary_key, &input.key)?;
        let request = ItemWriteRequest {
            key: input.key,
            action: ItemAction::Delete,
            condition: input.condition,
            return_values: input.return_values,
            return_old_on_failure: input.return_old_on_failure,
            updated_paths: None,
        };
        self.write_item(&table, request).await
    }
}
