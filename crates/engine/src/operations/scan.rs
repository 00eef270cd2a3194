use std::ops::Bound;

use halyard_storage::Direction;

use super::page::{ItemPage, PageRequest};
use super::read_target::{self, Select};
use crate::expression::condition::Condition;
use crate::expression::projection::Projection;
use crate::keys::table_not_found;
use crate::model::Item;
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct ScanInput {
    pub table_name: String,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<Item>,
    pub filter: Option<Condition>,
    pub projection: Option<Projection>,
    pub select: Select,
    pub consistent_read: bool,
    pub index_name: Option<String>,
    /// Parallel scan: (Segment, TotalSegments).
    pub segment: Option<(u32, u32)>,
}

pub type ScanOutput = ItemPage;

/// DynamoDB's limit on TotalSegments.
const MAX_TOTAL_SEGMENTS: u32 = 1_000_000;

impl Engine {
    pub async fn scan(&self, input: ScanInput) -> Result<ScanOutput> {
        if let Some((segment, total)) = input.segment {
            if total == 0 || total > MAX_TOTAL_SEGMENTS {
                return Err(Error::validation(format!(
                    "1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy constraint: Member must have value {}",
                    if total == 0 { "greater than or equal to 1".to_string() } else { format!("less than or equal to {MAX_TOTAL_SEGMENTS}") }
                )));
            }
            if segment >= total {
                return Err(Error::validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
                )));
            }
        }
        let table = self.data_table(&input.table_name, table_not_found)?;
        let (target, ()) = read_target::resolve(
            &table,
            input.index_name.as_deref(),
            input.consistent_read,
            input.select,
            input.projection.as_ref(),
            input.filter.as_ref(),
            |_| Ok(()),
        )?;
        let request = PageRequest {
            table_name: input.table_name,
            keyspace: target.keyspace,
            layout: target.layout,
            fetch_from_table: target.fetch_from_table,
            seal: self.catalog.seals.of(&table.definition)?,
            index_name: input.index_name.clone(),
            range: (Bound::Unbounded, Bound::Unbounded),
            direction: Direction::Forward,
            limit: input.limit,
            exclusive_start_key: input.exclusive_start_key,
            start_key_must_match: false,
            filter: input.filter,
            projection: input.projection,
            count_only: input.select == Select::Count,
            consistent_read: input.consistent_read,
            segment: input.segment,
        };
        self.read_charged_page(&table.definition, input.index_name.as_deref(), request)
            .await
    }
}
