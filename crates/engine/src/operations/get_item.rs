use super::{read_units, ConsumedCapacity};
use crate::capacity::read_demand;
use crate::expression::key_paths;
use crate::expression::projection::Projection;
use crate::item_seal::SealForm;
use crate::keys::{storage_key, table_not_found, validate_key};
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
        let table = self.data_table(&input.table_name, table_not_found)?;
        validate_key(&table.definition.primary_key, &input.key)?;
        if let Some(projection) = &input.projection {
            key_paths::check_scalar_keys(&table.definition, projection.paths())?;
        }
        let key = storage_key(&table.definition.primary_key, &input.key)?;
        let admission = self.throttle.admit(
            &table.definition,
            &[read_demand(
                &table.definition,
                None,
                read_units(0, input.consistent_read),
            )],
        )?;
        let seal = self.catalog.seals.of(&table.definition)?;
        let item = self
            .storage
            .get(&table.definition.keyspace, &key)?
            .map(|bytes| seal.decode(SealForm::Item, &key, &bytes))
            .transpose()?;
        let consumed_capacity = ConsumedCapacity::read(
            &input.table_name,
            read_units(item.as_ref().map_or(0, item_size), input.consistent_read),
        );
        self.throttle.settle(
            &table.definition.name,
            admission,
            &[read_demand(&table.definition, None, consumed_capacity.read_units)],
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
