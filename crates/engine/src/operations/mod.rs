//! One file per DynamoDB operation: its engine-level validation and its
//! execution. Wire-level parsing lives in the protocol crate.

mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
mod get_item;
mod list_tables;
mod put_item;
mod scan;
mod update_table;

pub use create_table::CreateTableInput;
pub use delete_item::DeleteItemInput;
pub use get_item::GetItemInput;
pub use list_tables::{ListTablesInput, ListTablesOutput};
pub use put_item::PutItemInput;
pub use scan::{ScanInput, ScanOutput};
pub use update_table::UpdateTableInput;

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
            _ => Err(crate::Error::validation(
                "ReturnValues can only be ALL_OLD or NONE",
            )),
        }
    }
}
