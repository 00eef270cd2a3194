use super::create_table::{describe, expect_table};
use crate::keys::table_not_found_named;
use crate::model::{TableDescription, TableStatus};
use crate::writer::Command;
use crate::{Engine, Error, Result};

impl Engine {
    pub async fn delete_table(&self, table_name: &str) -> Result<TableDescription> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| table_not_found_named(table_name))?;
        if table.definition.deletion_protection {
            return Err(Error::validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."));
        }
        let command = Command::DeleteTable {
            name: table_name.to_string(),
        };
        let table = expect_table(self.writer.submit(command).await?)?;
        self.throttle.forget(&table.definition.id);
        Ok(describe(&table, TableStatus::Deleting))
    }
}
