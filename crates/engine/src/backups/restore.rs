//! Restores: a new table made from a backup's (or snapshot's) definition
//! with the request's overrides, created CREATING with its RestoreSummary,
//! then filled through the writer a chunk at a time (each item written as
//! an item write, so its indexes, item collection and counters are built
//! as for any write), and made ACTIVE.

use std::sync::Arc;

use crate::backfill;
use crate::model::{
    AttributeDefinition, BillingMode, IndexDefinition, IndexKind, ProvisionedThroughput, RestoreStep, RestoreSummary,
    TableDefinition,
};
use crate::operations::index_definitions::{build_indexes, IndexInput};
use crate::writer::{BackupCommand, Command, Writer};
use crate::{Error, Result};

/// What a restore may change of the source table's definition.
#[derive(Debug, Clone, Default)]
pub struct RestoreOverrides {
    pub billing_mode: Option<BillingMode>,
    /// (ReadCapacityUnits, WriteCapacityUnits)
    pub provisioned_throughput: Option<(i64, i64)>,
    /// The global indexes to keep (all of them when `None`).
    pub global_secondary_indexes: Option<Vec<IndexInput>>,
    /// The local indexes to keep (all of them when `None`).
    pub local_secondary_indexes: Option<Vec<IndexInput>>,
    /// SSESpecificationOverride: without it, the service's own key.
    pub sse: crate::SseRequest,
}

/// An index as a restore's override would give it.
fn as_input(index: &IndexDefinition, billing_mode: BillingMode, table_throughput: (i64, i64)) -> IndexInput {
    let provisioned_throughput = match (index.kind, billing_mode) {
        (IndexKind::Local, _) | (IndexKind::Global, BillingMode::PayPerRequest) => None,
        (IndexKind::Global, BillingMode::Provisioned) => Some(
            index
                .throughput
                .as_ref()
                .filter(|t| t.read_capacity_units > 0)
                .map_or(table_throughput, |t| (t.read_capacity_units, t.write_capacity_units)),
        ),
    };
    IndexInput {
        name: index.name.clone(),
        key_schema: index.key_schema.clone(),
        projection_type: index.projection_type,
        non_key_attributes: (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone()),
        provisioned_throughput,
    }
}

/// The restored table's definition: the source's keys and indexes (as
/// overridden), with a new name, id and keyspaces, and none of the
/// settings DynamoDB does not restore (tags, streams, Time to Live,
/// resource policies, point-in-time recovery, deletion protection).
pub(crate) fn restored_definition(
    source: &TableDefinition,
    target_name: &str,
    overrides: &RestoreOverrides,
    summary: RestoreSummary,
    now: f64,
) -> Result<TableDefinition> {
    let billing_mode = overrides.billing_mode.unwrap_or(source.billing_mode);
    let throughput = match (billing_mode, overrides.provisioned_throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(Error::validation(
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::PayPerRequest, None) => (0, 0),
        (BillingMode::Provisioned, Some(throughput)) => throughput,
        (BillingMode::Provisioned, None) if source.throughput.read_capacity_units > 0 => (
            source.throughput.read_capacity_units,
            source.throughput.write_capacity_units,
        ),
        (BillingMode::Provisioned, None) => {
            return Err(Error::validation(
                "One or more parameter values were invalid: ProvisionedThroughputOverride must be specified when the BillingModeOverride is PROVISIONED for a backup of a PAY_PER_REQUEST table",
            ))
        }
    };
    let existing = |kind: IndexKind| -> Vec<IndexInput> {
        source
            .indexes
            .iter()
            .filter(|index| index.kind == kind)
            .map(|index| as_input(index, billing_mode, throughput))
            .collect()
    };
    let global = overrides
        .global_secondary_indexes
        .clone()
        .unwrap_or_else(|| existing(IndexKind::Global));
    let local = overrides
        .local_secondary_indexes
        .clone()
        .unwrap_or_else(|| existing(IndexKind::Local));
    for (given, kind) in [(&global, IndexKind::Global), (&local, IndexKind::Local)] {
        if let Some(unknown) = given.iter().find(|input| {
            !source
                .indexes
                .iter()
                .any(|index| index.kind == kind && index.name == input.name)
        }) {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: The index {} does not exist in the source table",
                unknown.name
            )));
        }
    }
    let id = uuid::Uuid::new_v4();
    let arn = format!(
        "{}/{}",
        source.arn.rsplit_once('/').map_or("", |(prefix, _)| prefix),
        target_name
    );
    let indexes = build_indexes(
        (!global.is_empty()).then_some(&global[..]),
        (!local.is_empty()).then_some(&local[..]),
        &source.attribute_definitions,
        &source.primary_key,
        billing_mode,
        &arn,
    )?;
    // Only the attributes the kept keys use stay defined.
    let used = |definition: &AttributeDefinition| {
        source.primary_key.is_key_attribute(&definition.attribute_name)
            || indexes
                .iter()
                .any(|index| index.key.is_key_attribute(&definition.attribute_name))
    };
    Ok(TableDefinition {
        name: target_name.to_string(),
        id: id.to_string(),
        arn,
        created: now,
        key_schema: source.key_schema.clone(),
        attribute_definitions: source
            .attribute_definitions
            .iter()
            .filter(|d| used(d))
            .cloned()
            .collect(),
        primary_key: source.primary_key.clone(),
        billing_mode,
        throughput: ProvisionedThroughput {
            read_capacity_units: throughput.0,
            write_capacity_units: throughput.1,
            ..Default::default()
        },
        last_update_to_pay_per_request: (billing_mode == BillingMode::PayPerRequest).then_some(now),
        tags: Vec::new(),
        deletion_protection: false,
        keyspace: format!("t_{}", id.simple()),
        indexes,
        on_demand_throughput: Default::default(),
        warm_throughput: Default::default(),
        table_class: source.table_class,
        stream: None,
        time_to_live: None,
        time_to_live_changed: None,
        resource_policy: None,
        stream_policy: None,
        policy_changes: Default::default(),
        point_in_time_recovery: None,
        restore: Some(summary),
        sse: None,
        importing: false,
    })
}

/// Runs a restored table's steps through the writer on a thread of its
/// own, then makes the table ACTIVE.
pub(crate) fn spawn(writer: Arc<Writer>, definition: &TableDefinition) {
    let steps = definition.restore.as_ref().map_or(0, |restore| restore.steps.len());
    let (table, table_id) = (definition.name.clone(), definition.id.clone());
    let spawned = std::thread::Builder::new()
        .name("halyard-restore".into())
        .spawn(move || {
            for step in 0..steps {
                let (table, table_id) = (table.clone(), table_id.clone());
                let finished = backfill::run(&writer, &format!("restore of table {table}"), move |after| {
                    Command::Backup(BackupCommand::Restore {
                        table: table.clone(),
                        table_id: table_id.clone(),
                        step,
                        after,
                    })
                });
                if !finished {
                    return;
                }
            }
            let done = Command::Backup(BackupCommand::RestoreDone {
                table: table.clone(),
                table_id,
            });
            if let Err(error) = writer.submit_blocking(done) {
                tracing::error!(%table, %error, "restore could not finish");
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start a restore");
    }
}

/// The steps that restore a copy of `keyspace`, then (point in time) the
/// log of `source_table_id` after `after` up to `until`.
pub(crate) fn steps(keyspace: &str, replay: Option<(&str, Option<u64>, u64)>) -> Vec<RestoreStep> {
    let mut steps = vec![RestoreStep::Copy {
        keyspace: keyspace.to_string(),
    }];
    if let Some((source_table_id, after, until)) = replay {
        steps.push(RestoreStep::Replay {
            source_table_id: source_table_id.to_string(),
            after,
            until,
        });
    }
    steps
}
