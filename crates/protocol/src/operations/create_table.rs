use halyard_engine::model::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarType, Tag};
use halyard_engine::{CreateTableInput, Engine};
use serde_json::{json, Value};

use super::{table_description, table_name};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) const BILLING_MODES: &[(&str, BillingMode)] = &[
    ("PROVISIONED", BillingMode::Provisioned),
    ("PAY_PER_REQUEST", BillingMode::PayPerRequest),
];
const KEY_TYPES: &[(&str, KeyType)] = &[("HASH", KeyType::Hash), ("RANGE", KeyType::Range)];
const SCALAR_TYPES: &[(&str, ScalarType)] = &[("S", ScalarType::S), ("N", ScalarType::N), ("B", ScalarType::B)];

/// ProvisionedThroughput: both members required, each at least 1.
pub(super) fn provisioned_throughput(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<Option<(i64, i64)>, ProtocolError> {
    let Some(throughput) = request.object("ProvisionedThroughput")? else {
        return Ok(None);
    };
    let read = throughput.integer("ReadCapacityUnits")?;
    let write = throughput.integer("WriteCapacityUnits")?;
    violations.required(read.as_ref(), "provisionedThroughput.readCapacityUnits");
    violations.range(read, "provisionedThroughput.readCapacityUnits", 1, None);
    violations.required(write.as_ref(), "provisionedThroughput.writeCapacityUnits");
    violations.range(write, "provisionedThroughput.writeCapacityUnits", 1, None);
    Ok(Some((read.unwrap_or(0), write.unwrap_or(0))))
}

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;

    let mut attribute_definitions = Vec::new();
    let definitions = request.list("AttributeDefinitions")?;
    violations.required(definitions, "attributeDefinitions");
    for (position, definition) in definitions.into_iter().flatten().enumerate() {
        let definition = as_object(definition)?;
        let path = format!("attributeDefinitions.{}.member", position + 1);
        let attribute_name = definition.string("AttributeName")?;
        violations.required(attribute_name.as_ref(), &format!("{path}.attributeName"));
        if let Some(attribute_name) = attribute_name {
            violations.length(attribute_name, &format!("{path}.attributeName"), 1, 255);
        }
        let attribute_type = definition.string("AttributeType")?;
        violations.required(attribute_type.as_ref(), &format!("{path}.attributeType"));
        let attribute_type = violations.one_of(attribute_type, &format!("{path}.attributeType"), SCALAR_TYPES);
        if let (Some(attribute_name), Some(attribute_type)) = (attribute_name, attribute_type) {
            attribute_definitions.push(AttributeDefinition {
                attribute_name: attribute_name.to_string(),
                attribute_type,
            });
        }
    }

    let mut key_schema = Vec::new();
    let keys = request.list("KeySchema")?;
    violations.required(keys, "keySchema");
    if let Some(keys) = keys {
        if keys.is_empty() || keys.len() > 2 {
            let constraint = if keys.is_empty() {
                "have length greater than or equal to 1"
            } else {
                "have length less than or equal to 2"
            };
            violations.add(Some(&json!(keys).to_string()), "keySchema", constraint);
        }
        for (position, key) in keys.iter().enumerate() {
            let key = as_object(key)?;
            let path = format!("keySchema.{}.member", position + 1);
            let attribute_name = key.string("AttributeName")?;
            violations.required(attribute_name.as_ref(), &format!("{path}.attributeName"));
            if let Some(attribute_name) = attribute_name {
                violations.length(attribute_name, &format!("{path}.attributeName"), 1, 255);
            }
            let key_type = key.string("KeyType")?;
            violations.required(key_type.as_ref(), &format!("{path}.keyType"));
            let key_type = violations.one_of(key_type, &format!("{path}.keyType"), KEY_TYPES);
            if let (Some(attribute_name), Some(key_type)) = (attribute_name, key_type) {
                key_schema.push(KeySchemaElement {
                    attribute_name: attribute_name.to_string(),
                    key_type,
                });
            }
        }
    }

    let billing_mode = violations.one_of(request.string("BillingMode")?, "billingMode", BILLING_MODES);
    let provisioned_throughput = provisioned_throughput(request, &mut violations)?;

    let mut tags = Vec::new();
    for (position, tag) in request.list("Tags")?.into_iter().flatten().enumerate() {
        let tag = as_object(tag)?;
        let path = format!("tags.{}.member", position + 1);
        let key = tag.string("Key")?;
        let value = tag.string("Value")?;
        violations.required(key.as_ref(), &format!("{path}.key"));
        violations.required(value.as_ref(), &format!("{path}.value"));
        if let Some(key) = key {
            violations.length(key, &format!("{path}.key"), 1, 128);
        }
        if let Some(value) = value {
            violations.length(value, &format!("{path}.value"), 0, 256);
        }
        tags.push(Tag {
            key: key.unwrap_or_default().to_string(),
            value: value.unwrap_or_default().to_string(),
        });
    }
    let deletion_protection_enabled = request.boolean("DeletionProtectionEnabled")?;
    violations.into_result()?;

    let description = engine
        .create_table(CreateTableInput {
            table_name: name.to_string(),
            key_schema,
            attribute_definitions,
            billing_mode,
            provisioned_throughput,
            tags,
            deletion_protection_enabled,
        })
        .await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
