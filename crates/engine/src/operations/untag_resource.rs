use super::create_table::expect_table;
use super::resource_tags::check_table_arn;
use crate::table_settings::TableChange;
use crate::writer::Command;
use crate::{Engine, Error, Result};

impl Engine {
    /// Removes the tags with these keys from a table (its ARN already
    /// checked for shape); keys it does not have are no error.
    pub async fn untag_resource(&self, arn: &str, keys: Vec<String>) -> Result<()> {
        check_table_arn(arn)?;
        if keys.is_empty() {
            return Err(Error::validation("Atleast one Tag Key needs to be provided as Input."));
        }
        let table = self.table_by_arn(arn, || Error::ResourceNotFound("Requested resource not found".into()))?;
        let command = Command::AlterTable {
            table: table.definition.name.clone(),
            table_id: table.definition.id.clone(),
            change: TableChange::Untag(keys),
        };
        expect_table(self.writer.submit(command).await?)?;
        Ok(())
    }
}
