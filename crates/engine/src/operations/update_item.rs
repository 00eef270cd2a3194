use super::write_item::{ItemWriteRequest, WriteItemOutput};
use super::ReturnValues;
use crate::expression::condition::Condition;
use crate::expression::key_paths;
use crate::expression::path::PathElement;
use crate::expression::projection::Projection;
use crate::expression::update::Update;
use crate::keys::{table_not_found, validate_key};
use crate::model::{Item, PrimaryKey};
use crate::writer::ItemAction;
use crate::{Engine, Error, Result};

#[derive(Debug, Clone)]
pub struct UpdateItemInput {
    pub table_name: String,
    pub key: Item,
    /// `None`: no update actions (UpdateItem then only creates the item
    /// if it is absent).
    pub update: Option<Update>,
    pub condition: Option<Condition>,
    pub return_values: ReturnValues,
    pub return_old_on_failure: bool,
}

impl Engine {
    /// Applies the update to the item with `key` (creating it when absent)
    /// if the condition holds.
    pub async fn update_item(&self, input: UpdateItemInput) -> Result<WriteItemOutput> {
        let table = self.data_table(&input.table_name, table_not_found)?;
        let schema = &table.definition.primary_key;
        validate_key(schema, &input.key)?;
        let update = input.update.unwrap_or_default();
        check_update_paths(schema, &update)?;
        key_paths::check_scalar_keys(&table.definition, update.read_paths())?;
        // Only UPDATED_OLD and UPDATED_NEW need the paths the update wrote.
        let updated_paths = matches!(input.return_values, ReturnValues::UpdatedOld | ReturnValues::UpdatedNew)
            .then(|| Projection::from_paths(update.actions.iter().map(|a| a.path().clone()).collect()));
        let request = ItemWriteRequest {
            key: input.key,
            action: ItemAction::Update(update),
            condition: input.condition,
            return_values: input.return_values,
            return_old_on_failure: input.return_old_on_failure,
            updated_paths,
        };
        self.write_item(&table, request).await
    }
}

/// An update may not touch key attributes.
pub(crate) fn check_update_paths(schema: &PrimaryKey, update: &Update) -> Result<()> {
    for action in &update.actions {
        if let Some(PathElement::Attribute(name)) = action.path().0.first() {
            if schema.is_key_attribute(name) {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part of the key"
                )));
            }
        }
    }
    Ok(())
}
