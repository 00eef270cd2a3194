use super::{read_units, ConsumedCapacity};
use crate::expression::projection::Projection;
use crate::keys::{storage_key, table_not_found, validate_key};
use crate::model::item_codec::decode_item;
use crate::model::{item_size, Item};
use crate::{Engine, Result};

#[derive(Debug, Clone, Default)]
pub struct GetItemInput {
    pub table_name: String,
    pub key: Item,
    pub projection: Option<Projection>,
    /// Every read already sees every acknowledged write; this only changes
    /// the capacity reported.
    pub consistent_read: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GetItemOutput {
    pub item: Option<Item>,
    pub consumed_capacity: ConsumedCapacity,
}

impl Engine {
    pub async fn get_item(&self, input: GetItemInput) -> Result<GetItemOutput> {
        let table = self.catalog.get(&input.table_name).ok_or_else(table_not_found)?;
        validate_key(&table.definition.primary_key, &input.key)?;
        let key = storage_key(&table.definition.primary_key, &input.key)?;
        let item = self
            .storage
            .get(&table.definition.keyspace, &key)?
            .map(|bytes| decode_item(&bytes))
            .transpose()?;
        let consumed_capacity = ConsumedCapacity::read(
            &input.table_name,
            read_units(item.as_ref().map_or(0, item_size), input.consistent_read),
        );
        Ok(GetItemOutput {
            item: item.map(|item| match &input.projection {
                Some(projection) => projection.apply(&item),
                None => item,
            }),
            consumed_capacity,
        })
    }
}
