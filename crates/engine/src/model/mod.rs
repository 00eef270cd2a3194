//! The DynamoDB data model: numbers, attribute values, items, tables.

pub mod attribute_value;
pub mod item_codec;
pub mod number;
pub mod table;

pub use attribute_value::{item_size, AttributeValue, Item, MAX_ITEM_SIZE};
pub use number::{Number, NumberError};
pub use table::*;
