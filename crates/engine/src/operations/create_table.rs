use std::collections::HashSet;

use super::index_definitions::{build_indexes, IndexInput};
use super::stream_specification::{initial_stream, StreamSpecification};
use super::throughput::{apply_throughput_settings, ThroughputSettings};
use crate::catalog::Table;
use crate::model::{
    AttributeDefinition, BillingMode, KeyAttribute, KeySchemaElement, KeyType, PrimaryKey, ProvisionedThroughput,
    ResourcePolicy, TableDefinition, TableDescription, TableStatus, Tag,
};
use crate::resource_policies::revision_at;
use crate::writer::{Command, Outcome};
use crate::{now_seconds, Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct CreateTableInput {
    pub table_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub billing_mode: Option<BillingMode>,
    /// (ReadCapacityUnits, WriteCapacityUnits)
    pub provisioned_throughput: Option<(i64, i64)>,
    pub tags: Vec<Tag>,
    pub deletion_protection_enabled: Option<bool>,
    /// `None` when the request has no such list (an empty list is an error).
    pub global_secondary_indexes: Option<Vec<IndexInput>>,
    pub local_secondary_indexes: Option<Vec<IndexInput>>,
    /// OnDemandThroughput, WarmThroughput and TableClass.
    pub throughput_settings: ThroughputSettings,
    pub stream_specification: Option<StreamSpecification>,
    /// ResourcePolicy: a document already validated (and made canonical)
    /// by the protocol layer.
    pub resource_policy: Option<String>,
    /// SSESpecification.
    pub sse: crate::SseRequest,
    /// ImportTable's table: CREATING, written only by the import, until it is done.
    pub importing: bool,
}

fn invalid(message: &str) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

/// Checks a key schema (the table's or an index's) against the attribute
/// definitions and returns the key it describes.
pub(crate) fn key_from_schema(
    key_schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
) -> Result<PrimaryKey> {
    let (partition, sort) = match key_schema {
        [] => {
            return Err(Error::validation(
                "No defined key schema.  A key schema containing at least a hash key must be defined for all tables",
            ))
        }
        [hash] if hash.key_type == KeyType::Hash => (hash, None),
        [first, second] if first.key_type == KeyType::Hash && second.key_type == KeyType::Range => {
            if first.attribute_name == second.attribute_name {
                return Err(Error::validation(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name",
                ));
            }
            (first, Some(second))
        }
        [first, second] if first.key_type == KeyType::Hash && second.key_type == KeyType::Hash => {
            return Err(Error::validation(
                "Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key",
            ))
        }
        [first, second] if first.key_type == KeyType::Range && second.key_type == KeyType::Hash => {
            return Err(Error::validation(
                "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second",
            ))
        }
        _ => {
            return Err(Error::validation(
                "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
            ))
        }
    };
    Ok(PrimaryKey {
        partition: key_attribute(partition, key_schema, definitions)?,
        sort: sort
            .map(|sort| key_attribute(sort, key_schema, definitions))
            .transpose()?,
    })
}

/// The attribute a key schema element names, with its defined type.
pub(crate) fn key_attribute(
    element: &KeySchemaElement,
    key_schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
) -> Result<KeyAttribute> {
    let definition = definitions
        .iter()
        .find(|d| d.attribute_name == element.attribute_name)
        .ok_or_else(|| {
            let keys: Vec<&str> = key_schema.iter().map(|k| k.attribute_name.as_str()).collect();
            let defined: Vec<&str> = definitions.iter().map(|d| d.attribute_name.as_str()).collect();
            invalid(&format!(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                keys.join(", "),
                defined.join(", ")
            ))
        })?;
    Ok(KeyAttribute {
        name: element.attribute_name.clone(),
        scalar_type: definition.attribute_type,
    })
}

/// Every attribute definition must be used by a key schema, and defined once.
pub(crate) fn check_definitions_used(definitions: &[AttributeDefinition], keys: &[Vec<&KeyAttribute>]) -> Result<()> {
    let mut defined = HashSet::new();
    for definition in definitions {
        if !defined.insert(definition.attribute_name.as_str()) {
            return Err(Error::validation("Cannot have two attributes with the same name"));
        }
    }
    let used: HashSet<&str> = keys.iter().flatten().map(|a| a.name.as_str()).collect();
    if used.len() != defined.len() {
        if keys.len() == 1 {
            return Err(invalid(
                "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        let mut defined: Vec<&str> = defined.into_iter().collect();
        let mut used: Vec<&str> = used.into_iter().collect();
        defined.sort_unstable();
        used.sort_unstable();
        return Err(invalid(&format!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            defined.join(", "),
            used.join(", ")
        )));
    }
    Ok(())
}

/// Checks billing mode and throughput together, as CreateTable and
/// UpdateTable do.
pub(crate) fn validate_billing(billing_mode: BillingMode, throughput: Option<(i64, i64)>) -> Result<()> {
    match (billing_mode, throughput) {
        (BillingMode::Provisioned, None) => Err(invalid(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        (BillingMode::PayPerRequest, Some(_)) => Err(invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        _ => Ok(()),
    }
}

impl Engine {
    pub async fn create_table(&self, input: CreateTableInput) -> Result<TableDescription> {
        let primary_key = key_from_schema(&input.key_schema, &input.attribute_definitions)?;
        let billing_mode = input.billing_mode.unwrap_or(BillingMode::Provisioned);
        validate_billing(billing_mode, input.provisioned_throughput)?;
        let id = uuid::Uuid::new_v4();
        let arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.config.region, self.config.account_id, input.table_name
        );
        let indexes = build_indexes(
            input.global_secondary_indexes.as_deref(),
            input.local_secondary_indexes.as_deref(),
            &input.attribute_definitions,
            &primary_key,
            billing_mode,
            &arn,
        )?;
        let mut keys = vec![primary_key.attributes().collect::<Vec<_>>()];
        keys.extend(indexes.iter().map(|index| index.key.attributes().collect()));
        check_definitions_used(&input.attribute_definitions, &keys)?;
        let tags = super::resource_tags::check_tags(input.tags)?;
        if self.catalog.get(&input.table_name).is_some() {
            return Err(Error::ResourceInUse(format!(
                "Table already exists: {}",
                input.table_name
            )));
        }
        let sse = self.table_encryption(&input.sse, &input.table_name, None).await?;
        let now = now_seconds();
        let stream = initial_stream(input.stream_specification, &arn, now)?;
        let (read, write) = input.provisioned_throughput.unwrap_or((0, 0));
        let mut definition = TableDefinition {
            arn,
            name: input.table_name,
            id: id.to_string(),
            created: now,
            key_schema: input.key_schema,
            attribute_definitions: input.attribute_definitions,
            primary_key,
            billing_mode,
            throughput: ProvisionedThroughput {
                read_capacity_units: read,
                write_capacity_units: write,
                ..Default::default()
            },
            last_update_to_pay_per_request: (billing_mode == BillingMode::PayPerRequest).then_some(now),
            tags,
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            keyspace: format!("t_{}", id.simple()),
            indexes,
            on_demand_throughput: Default::default(),
            warm_throughput: Default::default(),
            table_class: None,
            stream,
            time_to_live: None,
            time_to_live_changed: None,
            resource_policy: input.resource_policy.map(|document| ResourcePolicy {
                document,
                revision_id: revision_at(now).to_string(),
            }),
            stream_policy: None,
            policy_changes: Default::default(),
            point_in_time_recovery: None,
            restore: None,
            sse,
            importing: input.importing,
        };
        apply_throughput_settings(&mut definition, &input.throughput_settings, None)?;
        let table = expect_table(self.writer.submit(Command::CreateTable(definition)).await?)?;
        // The table is usable as soon as the command commits, so it is
        // honestly ACTIVE already (DynamoDB would say CREATING for a while).
        Ok(describe(&table, TableStatus::Active))
    }
}

pub(crate) fn expect_table(outcome: Outcome) -> Result<std::sync::Arc<Table>> {
    match outcome {
        Outcome::Table(table) => Ok(table),
        other => Err(Error::Internal(format!("unexpected writer outcome {other:?}"))),
    }
}

pub(crate) fn describe(table: &Table, status: TableStatus) -> TableDescription {
    // A table being restored is CREATING until its items are all in.
    let status = match status {
        TableStatus::Active if table.definition.restoring() => TableStatus::Creating,
        other => other,
    };
    TableDescription {
        definition: table.definition.clone(),
        stats: table.stats(),
        index_stats: table.index_stats(),
        status,
        inaccessible_since: None,
    }
}
