//! ExecuteStatement: one planned PartiQL statement, run through the
//! engine's own operations (GetItem, Query, Scan, PutItem, UpdateItem,
//! DeleteItem), so every write takes the one ordered write path.

use super::{ConsumedCapacity, DeleteItemInput, PutItemInput, UpdateItemInput};
use crate::model::Item;
use crate::partiql::plan::{Plan, ReadPlan, WriteKind, WritePlan};
use crate::{Engine, Error, Result};

/// Where a paged SELECT resumes: which of its Queries (0 for a Scan), and
/// after which key.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementPosition {
    pub query: usize,
    pub exclusive_start_key: Option<Item>,
}

#[derive(Debug, Clone, Default)]
pub struct StatementOutput {
    pub items: Vec<Item>,
    /// Set when a SELECT has more to read.
    pub next: Option<StatementPosition>,
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// Adds one operation's capacity to a statement's.
fn add_capacity(total: &mut Option<ConsumedCapacity>, more: Option<ConsumedCapacity>) {
    let Some(more) = more else { return };
    match total {
        None => *total = Some(more),
        Some(total) => {
            total.read_units += more.read_units;
            total.write_units += more.write_units;
            for (name, units) in more.global_indexes.iter().chain(&more.local_indexes) {
                let list = if more.global_indexes.iter().any(|(n, _)| n == name) {
                    &mut total.global_indexes
                } else {
                    &mut total.local_indexes
                };
                match list.iter_mut().find(|(n, _)| n == name) {
                    Some((_, sum)) => *sum += units,
                    None => list.push((name.clone(), *units)),
                }
            }
        }
    }
}

impl Engine {
    /// Runs a planned statement. `limit` bounds the items a SELECT
    /// evaluates; `start` resumes a paged one.
    pub async fn execute_plan(
        &self,
        plan: Plan,
        limit: Option<usize>,
        start: Option<StatementPosition>,
        return_old_on_failure: bool,
    ) -> Result<StatementOutput> {
        match plan {
            Plan::Read(read) => self.execute_read(read, limit, start).await,
            Plan::Write(write) => self.execute_write(write, return_old_on_failure).await,
        }
    }

    async fn execute_read(
        &self,
        plan: ReadPlan,
        limit: Option<usize>,
        start: Option<StatementPosition>,
    ) -> Result<StatementOutput> {
        match plan {
            ReadPlan::Get(input) => {
                let output = self.get_item(input).await?;
                Ok(StatementOutput {
                    items: output.item.into_iter().collect(),
                    next: None,
                    consumed_capacity: Some(output.consumed_capacity),
                })
            }
            ReadPlan::Scan(mut input) => {
                input.limit = limit;
                input.exclusive_start_key = start.and_then(|start| start.exclusive_start_key);
                let page = self.scan(input).await?;
                Ok(StatementOutput {
                    items: page.items,
                    next: page.last_evaluated_key.map(|key| StatementPosition {
                        query: 0,
                        exclusive_start_key: Some(key),
                    }),
                    consumed_capacity: page.consumed_capacity,
                })
            }
            ReadPlan::Query(queries) => {
                let (first, mut start_key) = match start {
                    Some(start) => (start.query, start.exclusive_start_key),
                    None => (0, None),
                };
                let count = queries.len();
                let mut output = StatementOutput::default();
                let mut remaining = limit;
                for (index, mut input) in queries.into_iter().enumerate().skip(first) {
                    if remaining == Some(0) {
                        output.next = Some(StatementPosition {
                            query: index,
                            exclusive_start_key: None,
                        });
                        break;
                    }
                    input.limit = remaining;
                    input.exclusive_start_key = start_key.take();
                    let page = self.query(input).await?;
                    remaining = remaining.map(|left| left.saturating_sub(page.scanned_count));
                    output.items.extend(page.items);
                    add_capacity(&mut output.consumed_capacity, page.consumed_capacity);
                    if let Some(key) = page.last_evaluated_key {
                        output.next = Some(StatementPosition {
                            query: index,
                            exclusive_start_key: Some(key),
                        });
                        break;
                    }
                }
                if output.next.as_ref().is_some_and(|next| next.query >= count) {
                    output.next = None;
                }
                Ok(output)
            }
        }
    }

    /// Runs one write statement as PutItem, UpdateItem or DeleteItem.
    pub(crate) async fn execute_write(&self, plan: WritePlan, return_old_on_failure: bool) -> Result<StatementOutput> {
        let output = match plan.kind {
            WriteKind::Insert(item) => self
                .put_item(PutItemInput {
                    table_name: plan.table_name,
                    item,
                    condition: plan.condition,
                    return_values: plan.return_values,
                    return_old_on_failure: false,
                })
                .await
                .map_err(|error| match error {
                    Error::ConditionalCheckFailed { .. } => Error::DuplicateItem,
                    other => other,
                })?,
            WriteKind::Update(update) => {
                self.update_item(UpdateItemInput {
                    table_name: plan.table_name,
                    key: plan.key,
                    update: Some(update),
                    condition: plan.condition,
                    return_values: plan.return_values,
                    return_old_on_failure,
                })
                .await?
            }
            WriteKind::Delete => {
                self.delete_item(DeleteItemInput {
                    table_name: plan.table_name,
                    key: plan.key,
                    condition: plan.condition,
                    return_values: plan.return_values,
                    return_old_on_failure,
                })
                .await?
            }
            WriteKind::Check => {
                return Err(Error::validation(
                    "EXISTS can only be used in ExecuteTransaction write requests.",
                ))
            }
        };
        Ok(StatementOutput {
            items: output.attributes.into_iter().collect(),
            next: None,
            consumed_capacity: Some(output.consumed_capacity),
        })
    }
}
