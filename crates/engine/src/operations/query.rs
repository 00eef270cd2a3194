use halyard_storage::Direction;

use super::page::{ItemPage, PageRequest};
use super::read_target::{self, Select};
use crate::expression::condition::Condition;
use crate::expression::key_condition::{self, KeyTerm};
use crate::expression::projection::Projection;
use crate::keys::table_not_found;
use crate::model::{IndexKey, Item};
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct QueryInput {
    pub table_name: String,
    /// KeyConditionExpression (or legacy KeyConditions), not yet matched to
    /// the key schema.
    pub key_terms: Vec<KeyTerm>,
    pub scan_index_forward: bool,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<Item>,
    pub filter: Option<Condition>,
    /// The filter came from QueryFilter rather than FilterExpression (for
    /// error messages).
    pub legacy_filter: bool,
    pub projection: Option<Projection>,
    pub select: Select,
    pub consistent_read: bool,
    pub index_name: Option<String>,
}

pub type QueryOutput = ItemPage;

impl Engine {
    /// Reads the items of one partition in sort key order: a range seek, so
    /// the cost follows the items read, not the table's size.
    pub async fn query(&self, input: QueryInput) -> Result<QueryOutput> {
        let table = self.data_table(&input.table_name, table_not_found)?;
        let parameter = if input.legacy_filter {
            "QueryFilter"
        } else {
            "Filter Expression"
        };
        let filter = input.filter.as_ref();
        let (target, condition) = read_target::resolve(
            &table,
            input.index_name.as_deref(),
            input.consistent_read,
            input.select,
            input.projection.as_ref(),
            filter,
            |key| {
                let condition = key_condition::resolve(input.key_terms, key)?;
                if let Some(filter) = filter {
                    check_filter_keys(filter, key, parameter)?;
                }
                Ok(condition)
            },
        )?;
        let request = PageRequest {
            table_name: input.table_name,
            keyspace: target.keyspace,
            layout: target.layout,
            fetch_from_table: target.fetch_from_table,
            seal: self.catalog.seals.of(&table.definition)?,
            index_name: input.index_name.clone(),
            range: condition.storage_range(),
            direction: if input.scan_index_forward {
                Direction::Forward
            } else {
                Direction::Backward
            },
            limit: input.limit,
            exclusive_start_key: input.exclusive_start_key,
            start_key_must_match: true,
            filter: input.filter,
            projection: input.projection,
            count_only: input.select == Select::Count,
            consistent_read: input.consistent_read,
            segment: None,
        };
        self.read_charged_page(&table.definition, input.index_name.as_deref(), request)
            .await
    }
}

/// A Query's filter may not use the key of what it reads (the index's key
/// when it reads an index; the table's key attributes are then ordinary
/// attributes): those conditions belong in the key condition. DynamoDB
/// names the partition key before the sort key, whatever the filter's order.
fn check_filter_keys(filter: &Condition, key: &IndexKey, parameter: &str) -> Result<()> {
    let used = filter.top_level_attributes();
    match key.attributes().find(|key| used.contains(&key.name.as_str())) {
        Some(key) => Err(Error::validation(format!(
            "{parameter} can only contain non-primary key attributes: Primary key attribute: {}",
            key.name
        ))),
        None => Ok(()),
    }
}
