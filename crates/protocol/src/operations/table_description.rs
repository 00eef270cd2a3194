//! TableDescription in wire form, shared by the table operations.

use halyard_engine::model::{KeyType, TableDescription};
use serde_json::{json, Map, Value};

pub(crate) fn to_json(description: &TableDescription) -> Value {
    let definition = &description.definition;
    let throughput = &definition.throughput;
    let mut provisioned = Map::new();
    if let Some(time) = throughput.last_increase {
        provisioned.insert("LastIncreaseDateTime".into(), json!(time));
    }
    if let Some(time) = throughput.last_decrease {
        provisioned.insert("LastDecreaseDateTime".into(), json!(time));
    }
    provisioned.insert(
        "NumberOfDecreasesToday".into(),
        json!(throughput.number_of_decreases_today),
    );
    provisioned.insert("ReadCapacityUnits".into(), json!(throughput.read_capacity_units));
    provisioned.insert("WriteCapacityUnits".into(), json!(throughput.write_capacity_units));

    let mut billing = Map::new();
    billing.insert("BillingMode".into(), json!(definition.billing_mode.name()));
    if let Some(time) = definition.last_update_to_pay_per_request {
        billing.insert("LastUpdateToPayPerRequestDateTime".into(), json!(time));
    }

    let attribute_definitions: Vec<Value> = definition
        .attribute_definitions
        .iter()
        .map(|d| json!({"AttributeName": d.attribute_name, "AttributeType": d.attribute_type.name()}))
        .collect();
    let key_schema: Vec<Value> = definition
        .key_schema
        .iter()
        .map(|k| {
            let key_type = match k.key_type {
                KeyType::Hash => "HASH",
                KeyType::Range => "RANGE",
            };
            json!({"AttributeName": k.attribute_name, "KeyType": key_type})
        })
        .collect();
    json!({
        "AttributeDefinitions": attribute_definitions,
        "TableName": definition.name,
        "KeySchema": key_schema,
        "TableStatus": description.status.name(),
        "CreationDateTime": definition.created,
        "ProvisionedThroughput": provisioned,
        "TableSizeBytes": description.stats.size_bytes,
        "ItemCount": description.stats.item_count,
        "TableArn": definition.arn,
        "TableId": definition.id,
        "BillingModeSummary": billing,
        "DeletionProtectionEnabled": definition.deletion_protection,
    })
}
