//! Secondary index definitions: DynamoDB's rules for them, shared by
//! CreateTable and UpdateTable.

use std::collections::HashSet;

use super::index_key_schema::index_key_from_schema;
use crate::model::{
    AttributeDefinition, BillingMode, IndexDefinition, IndexKind, IndexStatus, KeySchemaElement, PrimaryKey,
    ProjectionType, ProvisionedThroughput,
};
use crate::{Error, Result};

/// An index as a request describes it.
#[derive(Debug, Clone)]
pub struct IndexInput {
    pub name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection_type: ProjectionType,
    pub non_key_attributes: Option<Vec<String>>,
    /// (ReadCapacityUnits, WriteCapacityUnits), global indexes only.
    pub provisioned_throughput: Option<(i64, i64)>,
}

const MAX_GLOBAL_INDEXES: usize = 20;
const MAX_LOCAL_INDEXES: usize = 5;
const MAX_PROJECTED_ATTRIBUTES: usize = 100;

fn invalid(message: String) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

/// Checks one index and builds its definition.
pub(crate) fn build_index(
    input: &IndexInput,
    kind: IndexKind,
    definitions: &[AttributeDefinition],
    table_key: &PrimaryKey,
    billing_mode: BillingMode,
    table_arn: &str,
    status: IndexStatus,
) -> Result<IndexDefinition> {
    let key = index_key_from_schema(&input.name, kind, &input.key_schema, definitions)?;
    if kind == IndexKind::Local {
        if table_key.sort.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
                    .into(),
            ));
        }
        if key.partition[0].name != table_key.partition.name {
            return Err(invalid(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                input.name, key.partition[0].name, table_key.partition.name
            )));
        }
        if key.sort.is_empty() {
            return Err(invalid(format!(
                "Index KeySchema does not have a range key for index: {}",
                input.name
            )));
        }
    }
    match (input.projection_type, &input.non_key_attributes) {
        (ProjectionType::Include, None) => {
            return Err(invalid(
                "ProjectionType is INCLUDE, but NonKeyAttributes is not specified".into(),
            ))
        }
        (ProjectionType::All | ProjectionType::KeysOnly, Some(_)) => {
            return Err(invalid(format!(
                "ProjectionType is {}, but NonKeyAttributes is specified",
                input.projection_type.name()
            )))
        }
        (ProjectionType::Include, Some(attributes)) => {
            let mut seen = HashSet::new();
            if let Some(duplicate) = attributes.iter().find(|a| !seen.insert(a.as_str())) {
                return Err(invalid(format!("Duplicate element in NonKeyAttributes: {duplicate}")));
            }
        }
        _ => {}
    }
    let throughput = match (kind, billing_mode, input.provisioned_throughput) {
        (IndexKind::Local, _, _) => None,
        (IndexKind::Global, BillingMode::Provisioned, None) => {
            return Err(invalid(format!(
                "ProvisionedThroughput is not specified for index: {}",
                input.name
            )))
        }
        (IndexKind::Global, BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!(
                "ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                input.name
            )))
        }
        (IndexKind::Global, _, Some((read, write))) => Some(ProvisionedThroughput {
            read_capacity_units: read,
            write_capacity_units: write,
            ..Default::default()
        }),
        (IndexKind::Global, BillingMode::PayPerRequest, None) => Some(ProvisionedThroughput::default()),
    };
    Ok(IndexDefinition {
        name: input.name.clone(),
        kind,
        key_schema: input.key_schema.clone(),
        key,
        projection_type: input.projection_type,
        non_key_attributes: input.non_key_attributes.clone().unwrap_or_default(),
        throughput,
        arn: format!("{table_arn}/index/{}", input.name),
        status,
        keyspace: format!("i_{}", uuid::Uuid::new_v4().simple()),
        on_demand_throughput: Default::default(),
        warm_throughput: Default::default(),
    })
}

/// Checks and builds the indexes CreateTable asks for.
pub(crate) fn build_indexes(
    global: Option<&[IndexInput]>,
    local: Option<&[IndexInput]>,
    definitions: &[AttributeDefinition],
    table_key: &PrimaryKey,
    billing_mode: BillingMode,
    table_arn: &str,
) -> Result<Vec<IndexDefinition>> {
    if global.is_some_and(|g| g.len() > MAX_GLOBAL_INDEXES) {
        return Err(invalid(format!(
            "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GLOBAL_INDEXES}"
        )));
    }
    if local.is_some_and(|l| l.len() > MAX_LOCAL_INDEXES) {
        return Err(invalid(format!(
            "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LOCAL_INDEXES}"
        )));
    }
    for (list, member) in [(global, "GlobalSecondaryIndexes"), (local, "LocalSecondaryIndexes")] {
        if list.is_some_and(|list| list.is_empty()) {
            return Err(invalid(format!("List of {member} is empty")));
        }
    }
    let (global, local) = (global.unwrap_or_default(), local.unwrap_or_default());
    let mut names = HashSet::new();
    let mut indexes = Vec::with_capacity(global.len() + local.len());
    for (inputs, kind) in [(local, IndexKind::Local), (global, IndexKind::Global)] {
        for input in inputs {
            if !names.insert(input.name.as_str()) {
                return Err(invalid(format!("Duplicate index name: {}", input.name)));
            }
            indexes.push(build_index(
                input,
                kind,
                definitions,
                table_key,
                billing_mode,
                table_arn,
                IndexStatus::Active,
            )?);
        }
    }
    check_projected_attribute_count(&indexes)?;
    Ok(indexes)
}

/// DynamoDB limits the non-key attributes projected across all indexes.
pub(crate) fn check_projected_attribute_count(indexes: &[IndexDefinition]) -> Result<()> {
    let projected: usize = indexes.iter().map(|index| index.non_key_attributes.len()).sum();
    if projected > MAX_PROJECTED_ATTRIBUTES {
        return Err(invalid(format!(
            "Number of projected attributes in all indexes exceeds limit of {MAX_PROJECTED_ATTRIBUTES}"
        )));
    }
    Ok(())
}
