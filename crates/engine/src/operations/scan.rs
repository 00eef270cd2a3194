use std::ops::Bound;

use halyard_storage::{Direction, KeyRange, Visit};

use crate::expression::projection::Projection;
use crate::keys::{storage_key, table_not_found, validate_key};
use crate::model::item_codec::decode_item;
use crate::model::{item_size, Item};
use crate::{Engine, Result};

/// DynamoDB reads at most 1 MB of items per Scan or Query page.
pub(crate) const MAX_PAGE_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct ScanInput {
    pub table_name: String,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<Item>,
    pub projection: Option<Projection>,
    /// Select=COUNT: count the items, return none.
    pub count_only: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanOutput {
    pub items: Vec<Item>,
    pub count: usize,
    pub scanned_count: usize,
    pub last_evaluated_key: Option<Item>,
}

impl Engine {
    pub async fn scan(&self, input: ScanInput) -> Result<ScanOutput> {
        let table = self
            .catalog
            .get(&input.table_name)
            .ok_or_else(table_not_found)?;
        let primary_key = table.definition.primary_key.clone();
        let start = match &input.exclusive_start_key {
            Some(key) => {
                validate_key(&primary_key, key)?;
                Some(storage_key(&primary_key, key)?)
            }
            None => None,
        };
        let keyspace = table.definition.keyspace.clone();
        self.read(move |view| {
            let range = KeyRange {
                start: start.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
                end: Bound::Unbounded,
            };
            let limit = input.limit.unwrap_or(usize::MAX);
            let mut output = ScanOutput::default();
            let mut page_bytes = 0;
            let mut last: Option<Item> = None;
            let mut failure = None;
            view.scan(&keyspace, range, Direction::Forward, &mut |_, value| {
                // A page is full: one more item exists, so say where to go on.
                if output.scanned_count >= limit || page_bytes >= MAX_PAGE_BYTES {
                    output.last_evaluated_key = last.as_ref().map(|item| primary_key.key_of(item));
                    return Visit::Stop;
                }
                let item = match decode_item(value) {
                    Ok(item) => item,
                    Err(e) => {
                        failure = Some(e);
                        return Visit::Stop;
                    }
                };
                output.scanned_count += 1;
                output.count += 1;
                page_bytes += item_size(&item);
                if !input.count_only {
                    output.items.push(match &input.projection {
                        Some(projection) => projection.apply(&item),
                        None => item.clone(),
                    });
                }
                last = Some(item);
                Visit::Continue
            })?;
            match failure {
                Some(e) => Err(e.into()),
                None => Ok(output),
            }
        })
        .await
    }
}
