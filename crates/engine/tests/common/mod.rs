//! Set-up shared by the engine's integration tests.

// Each test crate compiles this module for itself and uses only part of it.
#![allow(dead_code)]

use halyard_engine::model::{
    AttributeDefinition, BillingMode, Item, KeySchemaElement, KeyType, ScalarType, TableDescription,
};
use halyard_engine::{CreateTableInput, Engine, Error, PutItemInput};

/// Creates table `name`, keyed by `pk` (S), on demand.
pub async fn create_pk_table(engine: &Engine, name: &str) -> TableDescription {
    engine
        .create_table(CreateTableInput {
            table_name: name.into(),
            key_schema: vec![KeySchemaElement {
                attribute_name: "pk".into(),
                key_type: KeyType::Hash,
            }],
            attribute_definitions: vec![AttributeDefinition {
                attribute_name: "pk".into(),
                attribute_type: ScalarType::S,
            }],
            billing_mode: Some(BillingMode::PayPerRequest),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// A plain PutItem of `item` into `table`.
pub async fn put(engine: &Engine, table: &str, item: Item) -> Result<(), Error> {
    engine
        .put_item(PutItemInput {
            table_name: table.into(),
            item,
            ..Default::default()
        })
        .await
        .map(|_| ())
}
