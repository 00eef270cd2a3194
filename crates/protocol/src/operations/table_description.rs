//! TableDescription in wire form, shared by the table operations.

use halyard_engine::model::{IndexKind, IndexStatus, KeyType, TableDescription};
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
    let key_schema = key_schema_json(&definition.key_schema);
    let mut table = json!({
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
    });
    if let Some(sse) = super::sse_specification::description(description, "ENABLED") {
        table["SSEDescription"] = sse;
    }
    if let Some(stream) = &definition.stream {
        if stream.enabled {
            table["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": stream.view_type.name()});
        }
        table["LatestStreamArn"] = json!(stream.arn);
        table["LatestStreamLabel"] = json!(stream.label);
    }
    if let Some(restore) = &definition.restore {
        let mut summary = json!({
            "SourceTableArn": restore.source_table_arn,
            "RestoreDateTime": restore.restore_time,
            "RestoreInProgress": restore.in_progress,
        });
        if let Some(arn) = &restore.source_backup_arn {
            summary["SourceBackupArn"] = json!(arn);
        }
        table["RestoreSummary"] = summary;
    }
    let (mut global, mut local) = (Vec::new(), Vec::new());
    for index in &definition.indexes {
        let stats = description.index_stats.get(&index.name).copied().unwrap_or_default();
        let mut projection = Map::new();
        projection.insert("ProjectionType".into(), json!(index.projection_type.name()));
        if !index.non_key_attributes.is_empty() {
            projection.insert("NonKeyAttributes".into(), json!(index.non_key_attributes));
        }
        let mut entry = json!({
            "IndexName": index.name,
            "KeySchema": key_schema_json(&index.key_schema),
            "Projection": projection,
            "IndexSizeBytes": stats.size_bytes,
            "ItemCount": stats.item_count,
            "IndexArn": index.arn,
        });
        match index.kind {
            IndexKind::Global => {
                entry["IndexStatus"] = json!(match index.status {
                    IndexStatus::Creating => "CREATING",
                    IndexStatus::Active => "ACTIVE",
                });
                if index.status == IndexStatus::Creating {
                    entry["Backfilling"] = json!(true);
                }
                let throughput = index.throughput.clone().unwrap_or_default();
                entry["ProvisionedThroughput"] = json!({
                    "NumberOfDecreasesToday": throughput.number_of_decreases_today,
                    "ReadCapacityUnits": throughput.read_capacity_units,
                    "WriteCapacityUnits": throughput.write_capacity_units,
                });
                global.push(entry);
            }
            IndexKind::Local => local.push(entry),
        }
    }
    if !global.is_empty() {
        table["GlobalSecondaryIndexes"] = Value::Array(global);
    }
    if !local.is_empty() {
        table["LocalSecondaryIndexes"] = Value::Array(local);
    }
    super::throughput::describe(&mut table, description);
    table
}

pub(crate) fn key_schema_json(key_schema: &[halyard_engine::model::KeySchemaElement]) -> Vec<Value> {
    key_schema
        .iter()
        .map(|k| {
            let key_type = match k.key_type {
                KeyType::Hash => "HASH",
                KeyType::Range => "RANGE",
            };
            json!({"AttributeName": k.attribute_name, "KeyType": key_type})
        })
        .collect()
}
