use std::ops::Bound;

use halyard_storage::Direction;

use super::page::{read_page, ItemPage, PageRequest};
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
    /// Select=COUNT: count the items, return none.
    pub count_only: bool,
    pub consistent_read: bool,
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
        let table = self.catalog.get(&input.table_name).ok_or_else(table_not_found)?;
        let request = PageRequest {
            table_name: input.table_name,
            keyspace: table.definition.keyspace.clone(),
            primary_key: table.definition.primary_key.clone(),
            range: (Bound::Unbounded, Bound::Unbounded),
            direction: Direction::Forward,
            limit: input.limit,
            exclusive_start_key: input.exclusive_start_key,
            start_key_must_match: false,
            filter: input.filter,
            projection: input.projection,
            count_only: input.count_only,
            consistent_read: input.consistent_read,
            segment: input.segment,
        };
        self.read(move |view| read_page(view, request)).await
    }
}
