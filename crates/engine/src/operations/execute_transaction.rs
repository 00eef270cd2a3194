//! ExecuteTransaction: up to 100 single-item statements, all reads or all
//! writes, applied all or nothing through the TransactGetItems and
//! TransactWriteItems machinery (one writer command for the writes).

use super::{ConsumedCapacity, TransactGet, TransactOperation, TransactWriteAction, TransactWriteItemsInput};
use crate::error::CancellationReason;
use crate::model::Item;
use crate::partiql::plan::{Plan, ReadPlan, WriteKind};
use crate::{Engine, Error, Result};

/// One statement of a transaction, planned.
#[derive(Debug)]
pub struct TransactionStatement {
    pub plan: Plan,
    pub return_old_on_failure: bool,
}

#[derive(Debug, Default)]
pub struct ExecuteTransactionOutput {
    /// For reads, one entry per statement (`None`: no such item); empty
    /// for writes.
    pub items: Vec<Option<Item>>,
    pub consumed_capacity: Vec<ConsumedCapacity>,
}

impl Engine {
    pub async fn execute_transaction(
        &self,
        statements: Vec<TransactionStatement>,
        client_request_token: Option<String>,
        fingerprint: u64,
    ) -> Result<ExecuteTransactionOutput> {
        let reads = statements.iter().filter(|s| matches!(s.plan, Plan::Read(_))).count();
        if reads > 0 && reads < statements.len() {
            return Err(Error::validation(
                "ExecuteTransaction API does not support both read and write operations in the same request.",
            ));
        }
        if reads > 0 {
            let gets = statements
                .into_iter()
                .enumerate()
                .map(|(index, statement)| match statement.plan {
                    Plan::Read(ReadPlan::Get(get)) => Ok(TransactGet {
                        table_name: get.table_name,
                        key: get.key,
                        projection: get.projection,
                    }),
                    _ => Err(Error::validation(format!(
                        "Validation failed in TransactStatements[{index}]: Select statements within ExecuteTransaction must specify the primary key in the where clause."
                    ))),
                })
                .collect::<Result<Vec<_>>>()?;
            let output = self.transact_get_items(gets).await?;
            return Ok(ExecuteTransactionOutput {
                items: output.items,
                consumed_capacity: output.consumed_capacity,
            });
        }
        let mut inserts = Vec::with_capacity(statements.len());
        let actions = statements
            .into_iter()
            .filter_map(|statement| {
                // No reads here: a transaction of reads returned above.
                let Plan::Write(write) = statement.plan else {
                    return None;
                };
                inserts.push(matches!(write.kind, WriteKind::Insert(_)));
                let operation = match write.kind {
                    WriteKind::Insert(item) => TransactOperation::Put(item),
                    WriteKind::Update(update) => TransactOperation::Update { key: write.key, update },
                    WriteKind::Delete => TransactOperation::Delete(write.key),
                    WriteKind::Check => TransactOperation::ConditionCheck(write.key),
                };
                Some(TransactWriteAction {
                    table_name: write.table_name,
                    operation,
                    condition: write.condition,
                    return_old_on_failure: statement.return_old_on_failure,
                })
            })
            .collect();
        let output = self
            .transact_write_items(TransactWriteItemsInput {
                actions,
                client_request_token,
                fingerprint,
            })
            .await
            .map_err(|error| match error {
                // An INSERT's key exists: DynamoDB's reason is a validation error.
                Error::TransactionCanceled { reasons } => Error::TransactionCanceled {
                    reasons: reasons
                        .into_iter()
                        .zip(&inserts)
                        .map(|(reason, insert)| match (*insert, reason.code.as_str()) {
                            (true, "ConditionalCheckFailed") => CancellationReason {
                                code: "ValidationError".into(),
                                message: Some(Error::DuplicateItem.to_string()),
                                item: None,
                            },
                            _ => reason,
                        })
                        .collect(),
                },
                other => other,
            })?;
        Ok(ExecuteTransactionOutput {
            items: Vec::new(),
            consumed_capacity: output.consumed_capacity,
        })
    }
}
