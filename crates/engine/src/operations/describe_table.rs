use super::create_table::describe;
use crate::keys::table_not_found_named;
use crate::model::{TableDescription, TableStatus};
use crate::{Engine, Result};

impl Engine {
    pub fn describe_table(&self, table_name: &str) -> Result<TableDescription> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| table_not_found_named(table_name))?;
        Ok(describe(&table, TableStatus::Active))
    }
}
