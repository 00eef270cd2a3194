use crate::expression::projection::Projection;
use crate::keys::{storage_key, table_not_found, validate_key};
use crate::model::item_codec::decode_item;
use crate::model::Item;
use crate::{Engine, Result};

#[derive(Debug, Clone, Default)]
pub struct GetItemInput {
    pub table_name: String,
    pub key: Item,
    pub projection: Option<Projection>,
    /// Every read already sees every acknowledged write, so strongly
    /// consistent and eventually consistent reads are the same here.
    pub consistent_read: bool,
}

impl Engine {
    pub async fn get_item(&self, input: GetItemInput) -> Result<Option<Item>> {
        let table = self
            .catalog
            .get(&input.table_name)
            .ok_or_else(table_not_found)?;
        validate_key(&table.definition.primary_key, &input.key)?;
        let key = storage_key(&table.definition.primary_key, &input.key)?;
        let keyspace = table.definition.keyspace.clone();
        let item = self
            .read(move |view| {
                view.get(&keyspace, &key)?
                    .map(|bytes| decode_item(&bytes))
                    .transpose()
                    .map_err(Into::into)
            })
            .await?;
        Ok(item.map(|item| match &input.projection {
            Some(projection) => projection.apply(&item),
            None => item,
        }))
    }
}
