use super::create_table::{describe, expect_table, validate_billing};
use crate::keys::table_not_found_named;
use crate::model::{BillingMode, TableDescription, TableStatus};
use crate::writer::Command;
use crate::{now_seconds, Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct UpdateTableInput {
    pub table_name: String,
    pub billing_mode: Option<BillingMode>,
    /// (ReadCapacityUnits, WriteCapacityUnits)
    pub provisioned_throughput: Option<(i64, i64)>,
    pub deletion_protection_enabled: Option<bool>,
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
        let table = expect_table(self.writer.submit(Command::UpdateTable(definition)).await?)?;
        Ok(describe(&table, TableStatus::Active))
    }
}
