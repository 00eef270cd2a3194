use super::create_table::describe;
use crate::keys::table_not_found_named;
use crate::model::{TableDefinition, TableDescription, TableStatus};
use crate::{Engine, Result};

impl Engine {
    pub fn describe_table(&self, table_name: &str) -> Result<TableDescription> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| table_not_found_named(table_name))?;
        Ok(describe(&table, TableStatus::Active))
    }

    /// A table's definition (key schema, indexes, tags) without its
    /// statistics, or `None` when there is no such table.
    pub fn table_definition(&self, table_name: &str) -> Option<TableDefinition> {
        self.catalog.get(table_name).map(|table| table.definition.clone())
    }
}
