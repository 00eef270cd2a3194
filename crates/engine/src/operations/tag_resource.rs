use super::create_table::expect_table;
use super::resource_tags::{check_table_arn, check_tags, resource_not_found};
use crate::model::Tag;
use crate::table_settings::TableChange;
use crate::writer::Command;
use crate::{Engine, Error, Result};

impl Engine {
    /// Adds tags to a table (its ARN already checked for shape), replacing
    /// the values of keys it has.
    pub async fn tag_resource(&self, arn: &str, tags: Vec<Tag>) -> Result<()> {
        check_table_arn(arn)?;
        if tags.is_empty() {
            return Err(Error::validation("Atleast one Tag needs to be provided as Input."));
        }
        let tags = check_tags(tags)?;
        let table = self.table_by_arn(arn, || resource_not_found(arn))?;
        let command = Command::AlterTable {
            table: table.definition.name.clone(),
            table_id: table.definition.id.clone(),
            change: TableChange::Tag(tags),
        };
        expect_table(self.writer.submit(command).await?)?;
        Ok(())
    }
}
