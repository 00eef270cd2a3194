use super::create_table::describe;
use crate::keys::table_not_found_named;
use crate::model::{TableDescription, TableStatus};
use crate::{Engine, Result};

impl Engine {
    pub fn describe_table(&self, table_name: &str) -> Result<TableDescription> {
        let table = self
            .catalog
            .get_current(table_name)
            .ok_or_else(|| table_not_found_named(table_name))?;
        Ok(match self.encryption_refusal(&table) {
            Some((_, since)) => TableDescription {
                inaccessible_since: Some(since),
                ..describe(&table, TableStatus::InaccessibleEncryptionCredentials)
            },
            None => describe(&table, TableStatus::Active),
        })
    }

    /// The (first) partition key attribute of a table, or of its index
    /// `index`; `None` when there is no such table or index.
    pub fn partition_key_name(&self, table_name: &str, index: Option<&str>) -> Option<String> {
        let table = self.catalog.get(table_name)?;
        let definition = &table.definition;
        let name = match index {
            None => &definition.primary_key.partition.name,
            Some(index) => &definition.index(index)?.key.partition.first()?.name,
        };
        Some(name.clone())
    }
}
