use crate::{Engine, Error, Result};

impl Engine {
    /// DescribeContinuousBackups: every table reports continuous backups
    /// ENABLED and point-in-time recovery DISABLED, as DynamoDB does for a
    /// table without PITR. Only whether the table exists is decided here.
    pub fn describe_continuous_backups(&self, table_name: &str) -> Result<()> {
        match self.catalog.get(table_name) {
            Some(_) => Ok(()),
            None => Err(Error::TableNotFound(format!("Table not found: {table_name}"))),
        }
    }
}
