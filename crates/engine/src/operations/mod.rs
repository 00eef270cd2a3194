//! One file per DynamoDB operation: its engine-level validation and its
//! execution. Wire-level parsing lives in the protocol crate.

mod batch_execute_statement;
mod batch_get_item;
mod batch_write_item;
mod create_backup;
mod create_table;
mod delete_backup;
mod delete_item;
mod delete_resource_policy;
mod delete_table;
mod describe_backup;
mod describe_continuous_backups;
mod describe_endpoints;
mod describe_limits;
mod describe_stream;
mod describe_table;
mod describe_time_to_live;
mod execute_statement;
mod execute_transaction;
mod get_item;
mod get_records;
mod get_resource_policy;
mod get_shard_iterator;
pub(crate) mod index_definitions;
mod index_key_schema;
mod list_backups;
mod list_streams;
mod list_tables;
mod list_tags_of_resource;
mod page;
pub(crate) mod put_item;
mod put_resource_policy;
mod query;
mod read_target;
mod resource_tags;
mod restore_table_from_backup;
mod restore_table_to_point_in_time;
mod scan;
mod stream_specification;
mod tag_resource;
mod throughput;
mod transact_get_items;
mod transact_write_items;
mod untag_resource;
mod update_continuous_backups;
mod update_item;
mod update_table;
mod update_time_to_live;
pub(crate) mod write_item;

pub use batch_execute_statement::{capacity_by_table, BatchStatement, BatchStatementOutput, MAX_BATCH_STATEMENTS};
pub use batch_get_item::{BatchGetTable, BatchGetTableResult};
pub use batch_write_item::{BatchWriteItemOutput, BatchWriteRequest};
pub use create_table::CreateTableInput;
pub use delete_item::DeleteItemInput;
pub use describe_continuous_backups::PointInTimeRecoveryDescription;
pub use describe_endpoints::Endpoint;
pub use describe_limits::Limits;
pub use describe_stream::{DescribeStreamInput, DescribeStreamOutput};
pub use describe_time_to_live::{TimeToLiveDescription, TimeToLiveStatus};
pub use execute_statement::{StatementOutput, StatementPosition};
pub use execute_transaction::{ExecuteTransactionOutput, TransactionStatement};
pub use get_item::{GetItemInput, GetItemOutput};
pub use get_records::{GetRecordsOutput, MAX_RECORDS};
pub use get_shard_iterator::{GetShardIteratorInput, ShardIteratorType};
pub use index_definitions::IndexInput;
pub use index_key_schema::MAX_KEY_ATTRIBUTES_PER_ROLE;
pub use list_backups::{BackupTypeFilter, ListBackupsInput, ListBackupsOutput};
pub use list_streams::{ListStreamsInput, ListStreamsOutput, StreamSummary};
pub use list_tables::{ListTablesInput, ListTablesOutput};
pub use page::ItemPage;
pub use put_item::PutItemInput;
pub use put_resource_policy::PutResourcePolicyInput;
pub use query::{QueryInput, QueryOutput};
pub use read_target::Select;
pub use resource_tags::{check_arn_shape, TableTags};
pub use restore_table_to_point_in_time::RestoreTime;
pub use scan::{ScanInput, ScanOutput};
pub use stream_specification::StreamSpecification;
pub use throughput::{provisioned_units, IndexThroughputInput, OnDemandInput, ThroughputSettings, WarmThroughputInput};
pub use transact_get_items::{TransactGet, TransactGetItemsOutput};
pub use transact_write_items::{
    TransactOperation, TransactWriteAction, TransactWriteItemsInput, TransactWriteItemsOutput,
};
pub use update_item::UpdateItemInput;
pub use update_table::{GlobalSecondaryIndexUpdate, UpdateTableInput};
pub use update_time_to_live::{TimeToLiveRequest, TimeToLiveSpecification};
pub use write_item::WriteItemOutput;

/// What a write returns of the item it replaced or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnValues {
    #[default]
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

impl ReturnValues {
    /// PutItem and DeleteItem accept only NONE and ALL_OLD.
    fn check_none_or_all_old(self) -> crate::Result<()> {
        match self {
            ReturnValues::None | ReturnValues::AllOld => Ok(()),
            _ => Err(crate::Error::validation("ReturnValues can only be ALL_OLD or NONE")),
        }
    }
}

/// Capacity units an operation consumed, for ReturnConsumedCapacity.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedCapacity {
    pub table_name: String,
    pub read_units: f64,
    pub write_units: f64,
    /// Units spent on global and on local secondary indexes, by index name.
    pub global_indexes: Vec<(String, f64)>,
    pub local_indexes: Vec<(String, f64)>,
}

impl ConsumedCapacity {
    pub fn read(table_name: &str, units: f64) -> Self {
        ConsumedCapacity {
            table_name: table_name.to_string(),
            read_units: units,
            write_units: 0.0,
            global_indexes: Vec::new(),
            local_indexes: Vec::new(),
        }
    }

    pub fn write(table_name: &str, units: f64) -> Self {
        ConsumedCapacity {
            table_name: table_name.to_string(),
            read_units: 0.0,
            write_units: units,
            global_indexes: Vec::new(),
            local_indexes: Vec::new(),
        }
    }

    /// The table's own units.
    pub fn table_units(&self) -> f64 {
        self.read_units + self.write_units
    }

    /// Everything: the table and its indexes.
    pub fn total(&self) -> f64 {
        let indexes: f64 = self
            .global_indexes
            .iter()
            .chain(&self.local_indexes)
            .map(|(_, units)| units)
            .sum();
        self.table_units() + indexes
    }

    /// Adds what an item write spent on indexes.
    pub(crate) fn add_index_units(&mut self, units: &[crate::writer::IndexUnits]) {
        for spent in units {
            let list = match spent.kind {
                crate::model::IndexKind::Global => &mut self.global_indexes,
                crate::model::IndexKind::Local => &mut self.local_indexes,
            };
            match list.iter_mut().find(|(name, _)| *name == spent.name) {
                Some((_, total)) => *total += spent.units,
                None => list.push((spent.name.clone(), spent.units)),
            }
        }
    }
}

/// Read capacity: one unit per 4 KB read (at least one), half for an
/// eventually consistent read.
pub(crate) fn read_units(bytes: usize, consistent_read: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent_read {
        units
    } else {
        units / 2.0
    }
}
