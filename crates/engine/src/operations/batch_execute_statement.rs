//! BatchExecuteStatement: up to 25 single-item statements, all reads or
//! all writes, each answered on its own (an error in one is that
//! statement's answer, not the request's).

use super::execute_statement::StatementOutput;
use super::{ConsumedCapacity, GetItemInput};
use crate::partiql::plan::{Plan, ReadPlan, WriteKind};
use crate::{Engine, Error, Result};

/// DynamoDB's limit on the statements of one batch.
pub const MAX_BATCH_STATEMENTS: usize = 25;

/// One statement of a batch, planned (or refused while planning).
#[derive(Debug)]
pub struct BatchStatement {
    pub plan: Result<Plan>,
    pub return_old_on_failure: bool,
}

/// The answer to one statement: its table and item, or its error.
#[derive(Debug)]
pub struct BatchStatementOutput {
    pub table_name: Option<String>,
    pub result: Result<StatementOutput>,
}

fn only_single_item() -> Error {
    Error::validation("Only single item select is supported")
}

impl Engine {
    pub async fn batch_execute_statement(&self, statements: Vec<BatchStatement>) -> Result<Vec<BatchStatementOutput>> {
        let reads = statements
            .iter()
            .filter(|s| matches!(s.plan, Ok(Plan::Read(_))))
            .count();
        let writes = statements
            .iter()
            .filter(|s| matches!(s.plan, Ok(Plan::Write(_))))
            .count();
        if reads > 0 && writes > 0 {
            return Err(Error::validation(
                "Read and write requests together in the same batch is not supported.",
            ));
        }
        let mut keys: Vec<(&str, &crate::model::Item)> = Vec::new();
        for statement in &statements {
            let key = match &statement.plan {
                Ok(Plan::Read(ReadPlan::Get(get))) => (get.table_name.as_str(), &get.key),
                Ok(Plan::Write(write)) => (write.table_name.as_str(), &write.key),
                _ => continue,
            };
            if keys.contains(&key) {
                return Err(Error::validation("Provided list of item keys contains duplicates"));
            }
            keys.push(key);
        }
        let mut outputs = Vec::with_capacity(statements.len());
        for statement in statements {
            let output = match statement.plan {
                Err(error) => BatchStatementOutput {
                    table_name: None,
                    result: Err(error),
                },
                Ok(Plan::Read(ReadPlan::Get(get))) => self.batch_get(get).await,
                Ok(Plan::Read(_)) => BatchStatementOutput {
                    table_name: None,
                    result: Err(only_single_item()),
                },
                Ok(Plan::Write(write)) if matches!(write.kind, WriteKind::Check) => BatchStatementOutput {
                    table_name: None,
                    result: Err(Error::validation(
                        "EXISTS can only be used in ExecuteTransaction write requests.",
                    )),
                },
                Ok(Plan::Write(write)) => {
                    let table_name = Some(write.table_name.clone());
                    // A server fault fails the request, not one statement.
                    let result = match self.execute_write(write, statement.return_old_on_failure).await {
                        Err(error) if error.is_server_fault() => return Err(error),
                        result => result,
                    };
                    BatchStatementOutput { table_name, result }
                }
            };
            outputs.push(output);
        }
        Ok(outputs)
    }

    async fn batch_get(&self, get: GetItemInput) -> BatchStatementOutput {
        let table_name = Some(get.table_name.clone());
        let result = self.get_item(get).await.map(|output| StatementOutput {
            items: output.item.into_iter().collect(),
            next: None,
            consumed_capacity: Some(output.consumed_capacity),
        });
        BatchStatementOutput { table_name, result }
    }
}

/// The capacity of a batch or transaction: one entry per table, summed.
pub fn capacity_by_table(outputs: impl IntoIterator<Item = ConsumedCapacity>) -> Vec<ConsumedCapacity> {
    let mut by_table: Vec<ConsumedCapacity> = Vec::new();
    for consumed in outputs {
        match by_table.iter_mut().find(|c| c.table_name == consumed.table_name) {
            Some(total) => {
                total.read_units += consumed.read_units;
                total.write_units += consumed.write_units;
            }
            None => by_table.push(consumed),
        }
    }
    by_table
}
