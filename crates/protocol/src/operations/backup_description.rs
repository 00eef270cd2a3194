//! Backups in wire form: BackupDetails, BackupSummary and
//! BackupDescription, shared by the backup operations.

use halyard_engine::model::{BackupRecord, IndexKind};
use serde_json::{json, Map, Value};

use super::table_description;

pub(crate) fn details(record: &BackupRecord) -> Value {
    json!({
        "BackupArn": record.arn,
        "BackupName": record.name,
        "BackupSizeBytes": record.stats.size_bytes,
        "BackupStatus": record.status.name(),
        "BackupType": "USER",
        "BackupCreationDateTime": record.created,
    })
}

pub(crate) fn summary(record: &BackupRecord) -> Value {
    json!({
        "TableName": record.table.name,
        "TableId": record.table.id,
        "TableArn": record.table.arn,
        "BackupArn": record.arn,
        "BackupName": record.name,
        "BackupCreationDateTime": record.created,
        "BackupStatus": record.status.name(),
        "BackupType": "USER",
        "BackupSizeBytes": record.stats.size_bytes,
    })
}

pub(crate) fn description(record: &BackupRecord) -> Value {
    let table = &record.table;
    let throughput = &table.throughput;
    let source = json!({
        "TableName": table.name,
        "TableId": table.id,
        "TableArn": table.arn,
        "TableSizeBytes": record.stats.size_bytes,
        "KeySchema": table_description::key_schema_json(&table.key_schema),
        "TableCreationDateTime": table.created,
        "ProvisionedThroughput": {
            "ReadCapacityUnits": throughput.read_capacity_units,
            "WriteCapacityUnits": throughput.write_capacity_units,
        },
        "ItemCount": record.stats.item_count,
        "BillingMode": table.billing_mode.name(),
    });
    let (mut global, mut local) = (Vec::new(), Vec::new());
    for index in &table.indexes {
        let mut projection = Map::new();
        projection.insert("ProjectionType".into(), json!(index.projection_type.name()));
        if !index.non_key_attributes.is_empty() {
            projection.insert("NonKeyAttributes".into(), json!(index.non_key_attributes));
        }
        let mut entry = json!({
            "IndexName": index.name,
            "KeySchema": table_description::key_schema_json(&index.key_schema),
            "Projection": projection,
        });
        match index.kind {
            IndexKind::Global => {
                let throughput = index.throughput.clone().unwrap_or_default();
                entry["ProvisionedThroughput"] = json!({
                    "ReadCapacityUnits": throughput.read_capacity_units,
                    "WriteCapacityUnits": throughput.write_capacity_units,
                });
                global.push(entry);
            }
            IndexKind::Local => local.push(entry),
        }
    }
    let mut features = Map::new();
    if !global.is_empty() {
        features.insert("GlobalSecondaryIndexes".into(), Value::Array(global));
    }
    if !local.is_empty() {
        features.insert("LocalSecondaryIndexes".into(), Value::Array(local));
    }
    if let Some(stream) = table.enabled_stream() {
        features.insert(
            "StreamDescription".into(),
            json!({"StreamEnabled": true, "StreamViewType": stream.view_type.name()}),
        );
    }
    if let Some(ttl) = &table.time_to_live {
        features.insert(
            "TimeToLiveDescription".into(),
            json!({"TimeToLiveStatus": "ENABLED", "AttributeName": ttl.attribute_name}),
        );
    }
    json!({
        "BackupDetails": details(record),
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": features,
    })
}

/// A BackupArn member: required, 37 to 1024 characters.
pub(crate) fn backup_arn<'a>(
    request: crate::fields::Fields<'a>,
    violations: &mut crate::constraints::ConstraintViolations,
) -> Result<&'a str, crate::error::ProtocolError> {
    let arn = request.string("BackupArn")?;
    violations.required(arn.as_ref(), "backupArn");
    if let Some(arn) = arn {
        violations.length(arn, "backupArn", 37, 1024);
    }
    Ok(arn.unwrap_or_default())
}
