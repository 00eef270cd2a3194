//! The DynamoDB data model: numbers, attribute values, items, tables.

pub mod attribute_value;
pub mod backup;
pub mod capacity;
pub mod index_key;
pub mod item_codec;
pub mod number;
pub mod resource_policy;
pub mod stream;
pub mod table;

pub use attribute_value::{
    item_size, item_too_deep, AttributeValue, Item, ITEM_TOO_DEEP, MAX_CONTAINER_DEPTH, MAX_ITEM_SIZE,
    MAX_NESTING_LEVELS,
};
pub use backup::{BackupKind, BackupRecord, BackupStatus, PointInTimeRecovery, RestoreStep, RestoreSummary};
pub use capacity::{OnDemandThroughput, TableClass, TableClassSummary, WarmThroughput};
pub use index_key::IndexKey;
pub use number::{Number, NumberError};
pub use resource_policy::{PolicyChanges, ResourcePolicy, StreamPolicy};
pub use stream::{StreamViewType, TableStream};
pub use table::*;
