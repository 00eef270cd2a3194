use super::resource_tags::{check_table_arn, resource_not_found};
use crate::model::Tag;
use crate::{Engine, Result};

impl Engine {
    /// A table's tags (its ARN already checked for shape), in key order,
    /// after the key `next_token` when given. DynamoDB answers every tag in
    /// one page (a table has at most 50), so no page ends early and no
    /// NextToken is returned; one sent is honoured as a resume point.
    pub fn list_tags_of_resource(&self, arn: &str, next_token: Option<&str>) -> Result<Vec<Tag>> {
        check_table_arn(arn)?;
        let table = self.table_by_arn(arn, || resource_not_found(arn))?;
        let mut tags: Vec<Tag> = table
            .definition
            .tags
            .iter()
            .filter(|tag| next_token.is_none_or(|after| tag.key.as_str() > after))
            .cloned()
            .collect();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(tags)
    }
}
