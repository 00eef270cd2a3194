use super::create_table::{describe, expect_table, validate_billing};
use super::index_definitions::{build_index, check_projected_attribute_count, IndexInput};
use super::stream_specification::{update_stream, StreamSpecification};
use super::throughput::{apply_throughput_settings, ThroughputSettings};
use crate::keys::table_not_found_named;
use crate::model::{
    AttributeDefinition, BillingMode, IndexKind, IndexStatus, TableDefinition, TableDescription, TableStatus,
};
use crate::writer::Command;
use crate::{now_seconds, Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct UpdateTableInput {
    pub table_name: String,
    pub billing_mode: Option<BillingMode>,
    /// (ReadCapacityUnits, WriteCapacityUnits)
    pub provisioned_throughput: Option<(i64, i64)>,
    pub deletion_protection_enabled: Option<bool>,
    /// Definitions of attributes that new index keys use.
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub global_secondary_index_updates: Vec<GlobalSecondaryIndexUpdate>,
    /// OnDemandThroughput, WarmThroughput and TableClass, of the table and
    /// of global indexes.
    pub throughput_settings: ThroughputSettings,
    pub stream_specification: Option<StreamSpecification>,
    /// SSESpecification: a change of the table's key.
    pub sse: Option<crate::SseRequest>,
}

#[derive(Debug, Clone)]
pub enum GlobalSecondaryIndexUpdate {
    Create(IndexInput),
    Delete(String),
    /// New (ReadCapacityUnits, WriteCapacityUnits).
    Update(String, (i64, i64)),
}

impl Engine {
    pub async fn update_table(&self, input: UpdateTableInput) -> Result<TableDescription> {
        let table = self
            .catalog
            .get(&input.table_name)
            .ok_or_else(|| table_not_found_named(&input.table_name))?;
        if input.billing_mode.is_none()
            && input.provisioned_throughput.is_none()
            && input.deletion_protection_enabled.is_none()
            && input.global_secondary_index_updates.is_empty()
            && input.throughput_settings.is_empty()
            && input.stream_specification.is_none()
            && input.sse.is_none()
        {
            return Err(Error::validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        let current = &table.definition;
        let billing_mode = input.billing_mode.unwrap_or(current.billing_mode);
        // Switching to PROVISIONED needs throughput; staying there does not.
        let needs_throughput =
            billing_mode == BillingMode::Provisioned && current.billing_mode != BillingMode::Provisioned;
        if needs_throughput || billing_mode == BillingMode::PayPerRequest {
            validate_billing(billing_mode, input.provisioned_throughput)?;
        }
        let now = now_seconds();
        let mut definition = current.clone();
        if let Some((read, write)) = input.provisioned_throughput {
            let throughput = &mut definition.throughput;
            let (old_read, old_write) = (throughput.read_capacity_units, throughput.write_capacity_units);
            if billing_mode == current.billing_mode && (read, write) == (old_read, old_write) {
                return Err(Error::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {old_read}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {old_write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
                )));
            }
            if read > old_read || write > old_write {
                throughput.last_increase = Some(now);
            }
            if read < old_read || write < old_write {
                throughput.last_decrease = Some(now);
                throughput.number_of_decreases_today += 1;
            }
            throughput.read_capacity_units = read;
            throughput.write_capacity_units = write;
        }
        if billing_mode == BillingMode::PayPerRequest && current.billing_mode != BillingMode::PayPerRequest {
            definition.last_update_to_pay_per_request = Some(now);
            definition.throughput.read_capacity_units = 0;
            definition.throughput.write_capacity_units = 0;
        }
        definition.billing_mode = billing_mode;
        if let Some(protection) = input.deletion_protection_enabled {
            definition.deletion_protection = protection;
        }
        if let Some(spec) = input.stream_specification {
            update_stream(&mut definition, spec, now)?;
        }
        let created = apply_index_updates(
            &mut definition,
            &input.attribute_definitions,
            &input.global_secondary_index_updates,
        )?;
        apply_throughput_settings(&mut definition, &input.throughput_settings, Some(now))?;
        if let Some(sse) = &input.sse {
            definition.sse = self
                .table_encryption(sse, &definition.name, current.sse.as_ref())
                .await?;
        }
        let table = expect_table(self.writer.submit(Command::UpdateTable(definition)).await?)?;
        self.throttle.forget_stale(current, &table.definition);
        if let Some(index) = created {
            self.start_backfill(&table.definition, &index);
        }
        Ok(describe(&table, TableStatus::Active))
    }

    /// Copies a new index's existing items in, through the writer (so that
    /// the copy is ordered with concurrent writes), a chunk at a time, on a
    /// thread of its own.
    pub(crate) fn start_backfill(&self, definition: &TableDefinition, index: &str) {
        let (table, table_id, index) = (definition.name.clone(), definition.id.clone(), index.to_string());
        let what = format!("index {index} of table {table}");
        crate::backfill::spawn(self.writer.clone(), what, move |after| Command::BackfillIndex {
            table: table.clone(),
            table_id: table_id.clone(),
            index: index.clone(),
            after,
        });
    }
}

/// Applies GlobalSecondaryIndexUpdates to a definition; returns the name of
/// the index created, which needs a backfill.
fn apply_index_updates(
    definition: &mut TableDefinition,
    new_definitions: &[AttributeDefinition],
    updates: &[GlobalSecondaryIndexUpdate],
) -> Result<Option<String>> {
    let online = updates
        .iter()
        .filter(|u| {
            matches!(
                u,
                GlobalSecondaryIndexUpdate::Create(_) | GlobalSecondaryIndexUpdate::Delete(_)
            )
        })
        .count();
    if online > 1 {
        return Err(Error::LimitExceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
        ));
    }
    let mut created = None;
    for update in updates {
        match update {
            GlobalSecondaryIndexUpdate::Create(input) => {
                if definition.index(&input.name).is_some() {
                    return Err(Error::validation("Attempting to create an index which already exists"));
                }
                if definition
                    .indexes
                    .iter()
                    .filter(|i| i.kind == IndexKind::Global)
                    .count()
                    >= 20
                {
                    return Err(Error::LimitExceeded(
                        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20".into(),
                    ));
                }
                let mut definitions = definition.attribute_definitions.clone();
                for new in new_definitions {
                    match definitions.iter().find(|d| d.attribute_name == new.attribute_name) {
                        Some(existing) if existing.attribute_type != new.attribute_type => {
                            return Err(Error::validation(format!(
                                "One or more parameter values were invalid: Attribute {} already has type {} and cannot be redefined as {}",
                                new.attribute_name,
                                existing.attribute_type.name(),
                                new.attribute_type.name()
                            )))
                        }
                        Some(_) => {}
                        None => definitions.push(new.clone()),
                    }
                }
                let table_arn = definition.arn.clone();
                let index = build_index(
                    input,
                    IndexKind::Global,
                    &definitions,
                    &definition.primary_key,
                    definition.billing_mode,
                    &table_arn,
                    IndexStatus::Creating,
                )?;
                definition.indexes.push(index);
                check_projected_attribute_count(&definition.indexes)?;
                definition.attribute_definitions = definitions;
                created = Some(input.name.clone());
            }
            GlobalSecondaryIndexUpdate::Delete(name) => {
                match definition.index(name) {
                    Some(index) if index.kind == IndexKind::Global => {}
                    Some(_) => {
                        return Err(Error::validation(format!(
                            "Cannot delete an index that is not a GlobalSecondaryIndex: {name}"
                        )))
                    }
                    None => {
                        return Err(Error::ResourceNotFound(format!(
                            "Requested resource not found: Index: {name} not found"
                        )))
                    }
                }
                definition.indexes.retain(|index| &index.name != name);
            }
            GlobalSecondaryIndexUpdate::Update(name, (read, write)) => {
                let index = definition
                    .indexes
                    .iter_mut()
                    .find(|index| &index.name == name && index.kind == IndexKind::Global)
                    .ok_or_else(|| {
                        Error::ResourceNotFound(format!("Requested resource not found: Index: {name} not found"))
                    })?;
                let throughput = index.throughput.get_or_insert_with(Default::default);
                throughput.read_capacity_units = *read;
                throughput.write_capacity_units = *write;
            }
        }
    }
    // Definitions no key uses any more go (after a delete).
    let used: Vec<String> = definition
        .primary_key
        .attributes()
        .chain(definition.indexes.iter().flat_map(|i| i.key.attributes()))
        .map(|a| a.name.clone())
        .collect();
    definition
        .attribute_definitions
        .retain(|d| used.contains(&d.attribute_name));
    Ok(created)
}
