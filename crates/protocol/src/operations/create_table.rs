use halyard_engine::model::{
    AttributeDefinition, BillingMode, IndexKind, KeySchemaElement, KeyType, ProjectionType, ScalarType, StreamViewType,
    Tag,
};
use halyard_engine::{CreateTableInput, Engine, IndexInput, StreamSpecification, MAX_KEY_ATTRIBUTES_PER_ROLE};
use serde_json::{json, Value};

use super::resource_policy::checked_document;
use super::{authorize_table, sse_specification, table_description, table_name, throughput};
use crate::access::Authorizer;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) const BILLING_MODES: &[(&str, BillingMode)] = &[
    ("PROVISIONED", BillingMode::Provisioned),
    ("PAY_PER_REQUEST", BillingMode::PayPerRequest),
];
const KEY_TYPES: &[(&str, KeyType)] = &[("HASH", KeyType::Hash), ("RANGE", KeyType::Range)];
const SCALAR_TYPES: &[(&str, ScalarType)] = &[("S", ScalarType::S), ("N", ScalarType::N), ("B", ScalarType::B)];
const PROJECTION_TYPES: &[(&str, ProjectionType)] = &[
    ("ALL", ProjectionType::All),
    ("KEYS_ONLY", ProjectionType::KeysOnly),
    ("INCLUDE", ProjectionType::Include),
];

/// ProvisionedThroughput: both members required, each at least 1.
pub(super) fn provisioned_throughput(
    request: Fields<'_>,
    path: &str,
    violations: &mut ConstraintViolations,
) -> Result<Option<(i64, i64)>, ProtocolError> {
    let Some(throughput) = request.object("ProvisionedThroughput")? else {
        return Ok(None);
    };
    let read = throughput.integer("ReadCapacityUnits")?;
    let write = throughput.integer("WriteCapacityUnits")?;
    let read_path = format!("{path}provisionedThroughput.readCapacityUnits");
    let write_path = format!("{path}provisionedThroughput.writeCapacityUnits");
    violations.required(read.as_ref(), &read_path);
    violations.range(read, &read_path, 1, None);
    violations.required(write.as_ref(), &write_path);
    violations.range(write, &write_path, 1, None);
    Ok(Some((read.unwrap_or(0), write.unwrap_or(0))))
}

/// StreamSpecification, as CreateTable and UpdateTable take it. Its view
/// type is checked by [`stream_view_type`], after the request's
/// constraint violations: DynamoDB reports it with a message of its own.
pub(super) fn stream_specification<'a>(
    request: Fields<'a>,
    violations: &mut ConstraintViolations,
) -> Result<Option<(bool, Option<&'a str>)>, ProtocolError> {
    let Some(spec) = request.object("StreamSpecification")? else {
        return Ok(None);
    };
    let enabled = spec.boolean("StreamEnabled")?;
    violations.required(enabled.as_ref(), "streamSpecification.streamEnabled");
    Ok(Some((enabled.unwrap_or(false), spec.string("StreamViewType")?)))
}

pub(super) fn stream_view_type(
    spec: Option<(bool, Option<&str>)>,
) -> Result<Option<StreamSpecification>, ProtocolError> {
    let Some((enabled, view_type)) = spec else {
        return Ok(None);
    };
    let view_type = view_type
        .map(|given| {
            StreamViewType::ALL
                .iter()
                .find(|(name, _)| *name == given)
                .map(|(_, view_type)| *view_type)
                .ok_or_else(|| halyard_engine::Error::validation(format!("Invalid StreamViewType: {given}")))
        })
        .transpose()?;
    Ok(Some(StreamSpecification { enabled, view_type }))
}

/// AttributeDefinitions, as CreateTable and UpdateTable take them.
pub(super) fn attribute_definitions(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<Option<Vec<AttributeDefinition>>, ProtocolError> {
    let Some(list) = request.list("AttributeDefinitions")? else {
        return Ok(None);
    };
    let mut definitions = Vec::with_capacity(list.len());
    for (position, definition) in list.iter().enumerate() {
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
            definitions.push(AttributeDefinition {
                attribute_name: attribute_name.to_string(),
                attribute_type,
            });
        }
    }
    Ok(Some(definitions))
}

/// A KeySchema member (of the table, at `path`, or of an index), of at
/// most `max_elements` elements.
pub(super) fn key_schema(
    request: Fields<'_>,
    path: &str,
    max_elements: usize,
    violations: &mut ConstraintViolations,
) -> Result<Vec<KeySchemaElement>, ProtocolError> {
    let mut key_schema = Vec::new();
    let keys = request.list("KeySchema")?;
    violations.required(keys, path);
    let Some(keys) = keys else { return Ok(key_schema) };
    if keys.is_empty() || keys.len() > max_elements {
        let constraint = if keys.is_empty() {
            "have length greater than or equal to 1".to_string()
        } else {
            format!("have length less than or equal to {max_elements}")
        };
        violations.add(Some(&json!(keys).to_string()), path, &constraint);
    }
    for (position, key) in keys.iter().enumerate() {
        let key = as_object(key)?;
        let element = format!("{path}.{}.member", position + 1);
        let attribute_name = key.string("AttributeName")?;
        violations.required(attribute_name.as_ref(), &format!("{element}.attributeName"));
        if let Some(attribute_name) = attribute_name {
            violations.length(attribute_name, &format!("{element}.attributeName"), 1, 255);
        }
        let key_type = key.string("KeyType")?;
        violations.required(key_type.as_ref(), &format!("{element}.keyType"));
        let key_type = violations.one_of(key_type, &format!("{element}.keyType"), KEY_TYPES);
        if let (Some(attribute_name), Some(key_type)) = (attribute_name, key_type) {
            key_schema.push(KeySchemaElement {
                attribute_name: attribute_name.to_string(),
                key_type,
            });
        }
    }
    Ok(key_schema)
}

/// One index of GlobalSecondaryIndexes or LocalSecondaryIndexes (or of a
/// GlobalSecondaryIndexUpdates Create), at `path`.
pub(super) fn index(
    index: Fields<'_>,
    path: &str,
    kind: IndexKind,
    violations: &mut ConstraintViolations,
) -> Result<IndexInput, ProtocolError> {
    let name = index.string("IndexName")?;
    violations.table_name(name, &format!("{path}.indexName"));
    // Global indexes may have multi-attribute keys.
    let max_elements = match kind {
        IndexKind::Global => 2 * MAX_KEY_ATTRIBUTES_PER_ROLE,
        IndexKind::Local => 2,
    };
    let key_schema = key_schema(index, &format!("{path}.keySchema"), max_elements, violations)?;
    let projection = index.object("Projection")?;
    violations.required(projection.as_ref(), &format!("{path}.projection"));
    let (mut projection_type, mut non_key_attributes) = (None, None);
    let mut type_given = false;
    if let Some(projection) = projection {
        let given = projection.string("ProjectionType")?;
        type_given = given.is_some();
        projection_type = violations.one_of(given, &format!("{path}.projection.projectionType"), PROJECTION_TYPES);
        non_key_attributes = projection.string_list("NonKeyAttributes")?;
        if let Some(attributes) = &non_key_attributes {
            if attributes.is_empty() || attributes.len() > 20 {
                let constraint = if attributes.is_empty() {
                    "have length greater than or equal to 1"
                } else {
                    "have length less than or equal to 20"
                };
                violations.add(
                    Some(&format!("[{}]", attributes.join(", "))),
                    &format!("{path}.projection.nonKeyAttributes"),
                    constraint,
                );
            }
        }
    }
    if projection.is_some() && !type_given {
        return Err(halyard_engine::Error::validation(
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        )
        .into());
    }
    Ok(IndexInput {
        name: name.unwrap_or_default().to_string(),
        key_schema,
        projection_type: projection_type.unwrap_or(ProjectionType::KeysOnly),
        non_key_attributes,
        provisioned_throughput: provisioned_throughput(index, &format!("{path}."), violations)?,
    })
}

pub(super) fn indexes(
    request: Fields<'_>,
    member: &str,
    path: &str,
    kind: IndexKind,
    violations: &mut ConstraintViolations,
) -> Result<Option<Vec<IndexInput>>, ProtocolError> {
    let Some(list) = request.list(member)? else {
        return Ok(None);
    };
    let mut indexes = Vec::with_capacity(list.len());
    for (position, entry) in list.iter().enumerate() {
        indexes.push(index(
            as_object(entry)?,
            &format!("{path}.{}.member", position + 1),
            kind,
            violations,
        )?);
    }
    Ok(Some(indexes))
}

/// A Tags list (CreateTable, TagResource), with its members' constraints.
pub(super) fn tags(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<Option<Vec<Tag>>, ProtocolError> {
    let Some(list) = request.list("Tags")? else {
        return Ok(None);
    };
    let mut tags = Vec::with_capacity(list.len());
    for (position, tag) in list.iter().enumerate() {
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
    Ok(Some(tags))
}

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let attribute_definitions = attribute_definitions(request, &mut violations)?;
    violations.required(attribute_definitions.as_ref(), "attributeDefinitions");
    let key_schema = key_schema(request, "keySchema", 2, &mut violations)?;
    let billing_mode = violations.one_of(request.string("BillingMode")?, "billingMode", BILLING_MODES);
    let provisioned_throughput = provisioned_throughput(request, "", &mut violations)?;
    let global_secondary_indexes = indexes(
        request,
        "GlobalSecondaryIndexes",
        "globalSecondaryIndexes",
        IndexKind::Global,
        &mut violations,
    )?;
    let local_secondary_indexes = indexes(
        request,
        "LocalSecondaryIndexes",
        "localSecondaryIndexes",
        IndexKind::Local,
        &mut violations,
    )?;

    let tags = tags(request, &mut violations)?.unwrap_or_default();
    let deletion_protection_enabled = request.boolean("DeletionProtectionEnabled")?;
    let global_entries = request.list("GlobalSecondaryIndexes")?.into_iter().flatten();
    let global_entries = global_entries.map(as_object).collect::<Result<Vec<_>, _>>()?;
    let throughput_settings = throughput::settings(request, global_entries, &mut violations)?;
    let stream_specification = stream_specification(request, &mut violations)?;
    let resource_policy = request.string("ResourcePolicy")?;
    let sse = sse_specification::parse(request, "SSESpecification", "sSESpecification", &mut violations)?;
    violations.into_result()?;
    let sse = sse_specification::check(sse)?.unwrap_or_default();
    let stream_specification = stream_view_type(stream_specification)?;
    let name = engine.resolve_table_name(name, "CreateTable")?;
    authorize_table(engine, authorizer, "dynamodb:CreateTable", name)?;
    sse_specification::authorize_key(authorizer, &sse, name)?;
    let resource_policy = resource_policy.map(checked_document).transpose()?;

    let description = engine
        .create_table(CreateTableInput {
            table_name: name.to_string(),
            key_schema,
            attribute_definitions: attribute_definitions.unwrap_or_default(),
            billing_mode,
            provisioned_throughput,
            tags,
            deletion_protection_enabled,
            global_secondary_indexes,
            local_secondary_indexes,
            throughput_settings,
            stream_specification,
            resource_policy,
            sse,
            importing: false,
        })
        .await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
