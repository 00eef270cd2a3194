//! OnDemandThroughput, WarmThroughput and TableClass: DynamoDB's rules for
//! them, shared by CreateTable and UpdateTable.

use crate::model::capacity::NO_MAXIMUM;
use crate::model::{
    BillingMode, IndexKind, OnDemandThroughput, TableClass, TableClassSummary, TableDefinition, WarmThroughput,
};
use crate::{Error, Result};

/// An OnDemandThroughput member of a request: either maximum may be absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnDemandInput {
    pub max_read_request_units: Option<i64>,
    pub max_write_request_units: Option<i64>,
}

/// A WarmThroughput member of a request: either value may be absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WarmThroughputInput {
    pub read_units_per_second: Option<i64>,
    pub write_units_per_second: Option<i64>,
}

/// A global index's settings, from CreateTable's GlobalSecondaryIndexes or
/// an UpdateTable Create or Update.
#[derive(Debug, Clone, Default)]
pub struct IndexThroughputInput {
    pub index_name: String,
    pub on_demand: Option<OnDemandInput>,
    pub warm: Option<WarmThroughputInput>,
}

#[derive(Debug, Clone, Default)]
pub struct ThroughputSettings {
    pub on_demand: Option<OnDemandInput>,
    pub warm: Option<WarmThroughputInput>,
    pub table_class: Option<TableClass>,
    pub indexes: Vec<IndexThroughputInput>,
}

impl ThroughputSettings {
    /// Whether an UpdateTable asks for none of these.
    pub fn is_empty(&self) -> bool {
        self.on_demand.is_none()
            && self.warm.is_none()
            && self.table_class.is_none()
            && self.indexes.iter().all(|i| i.on_demand.is_none() && i.warm.is_none())
    }
}

fn invalid(message: String) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

fn apply_on_demand(current: &mut OnDemandThroughput, input: &OnDemandInput, billing_mode: BillingMode) -> Result<()> {
    if input.max_read_request_units.is_none() && input.max_write_request_units.is_none() {
        return Err(invalid(
            "OnDemandThroughput must specify MaxReadRequestUnits, MaxWriteRequestUnits, or both".into(),
        ));
    }
    for (member, value) in [
        ("MaxReadRequestUnits", input.max_read_request_units),
        ("MaxWriteRequestUnits", input.max_write_request_units),
    ] {
        if let Some(units) = value.filter(|&units| units < 1 && units != NO_MAXIMUM) {
            return Err(invalid(format!(
                "{member} must be greater than or equal to 1, or -1 to remove the maximum. Requested: {units}"
            )));
        }
    }
    let sets_maximum = [input.max_read_request_units, input.max_write_request_units]
        .into_iter()
        .flatten()
        .any(|units| units != NO_MAXIMUM);
    if billing_mode == BillingMode::Provisioned && sets_maximum {
        return Err(invalid(
            "OnDemandThroughput can only be specified when BillingMode is PAY_PER_REQUEST".into(),
        ));
    }
    if let Some(units) = input.max_read_request_units {
        current.max_read_request_units = units;
    }
    if let Some(units) = input.max_write_request_units {
        current.max_write_request_units = units;
    }
    Ok(())
}

/// `floor` is what the resource reports now: a table's warm throughput can
/// only grow; an index's may also shrink (`floor` is `None`).
fn apply_warm(current: &mut WarmThroughput, input: &WarmThroughputInput, floor: Option<WarmThroughput>) -> Result<()> {
    if input.read_units_per_second.is_none() && input.write_units_per_second.is_none() {
        return Err(invalid(
            "WarmThroughput must specify ReadUnitsPerSecond, WriteUnitsPerSecond, or both".into(),
        ));
    }
    let members = [
        (
            "ReadUnitsPerSecond",
            input.read_units_per_second,
            floor.map(|f| f.read_units_per_second),
        ),
        (
            "WriteUnitsPerSecond",
            input.write_units_per_second,
            floor.map(|f| f.write_units_per_second),
        ),
    ];
    for (member, value, floor) in members {
        let Some(units) = value else { continue };
        if units < 1 {
            return Err(invalid(format!(
                "{member} must be greater than or equal to 1. Requested: {units}"
            )));
        }
        if let Some(floor) = floor.filter(|&floor| units < floor) {
            return Err(invalid(format!(
                "The table's warm throughput cannot be decreased. Current {member}: {floor}. Requested {member}: {units}"
            )));
        }
    }
    if let Some(units) = input.read_units_per_second {
        current.read_units_per_second = units;
    }
    if let Some(units) = input.write_units_per_second {
        current.write_units_per_second = units;
    }
    Ok(())
}

/// Applies the settings of a CreateTable or UpdateTable to `definition`,
/// whose billing mode and indexes are already as requested. `now` is when
/// an UpdateTable changes the table class (`None` for CreateTable).
pub(crate) fn apply_throughput_settings(
    definition: &mut TableDefinition,
    settings: &ThroughputSettings,
    now: Option<f64>,
) -> Result<()> {
    let billing_mode = definition.billing_mode;
    if let Some(input) = &settings.on_demand {
        apply_on_demand(&mut definition.on_demand_throughput, input, billing_mode)?;
    }
    if let Some(input) = &settings.warm {
        let provisioned = provisioned_units(billing_mode, &definition.throughput);
        let floor = definition.warm_throughput.reported(provisioned);
        apply_warm(&mut definition.warm_throughput, input, Some(floor))?;
    }
    for input in &settings.indexes {
        let index = definition
            .indexes
            .iter_mut()
            .find(|index| index.name == input.index_name && index.kind == IndexKind::Global)
            .ok_or_else(|| {
                Error::ResourceNotFound(format!(
                    "Requested resource not found: Index: {} not found",
                    input.index_name
                ))
            })?;
        if let Some(on_demand) = &input.on_demand {
            apply_on_demand(&mut index.on_demand_throughput, on_demand, billing_mode)?;
        }
        if let Some(warm) = &input.warm {
            apply_warm(&mut index.warm_throughput, warm, None)?;
        }
    }
    if billing_mode == BillingMode::Provisioned {
        // Maximums belong to on-demand mode: switching away drops them.
        definition.on_demand_throughput = OnDemandThroughput::default();
        for index in &mut definition.indexes {
            index.on_demand_throughput = OnDemandThroughput::default();
        }
    }
    if let Some(table_class) = settings.table_class {
        definition.table_class = Some(TableClassSummary {
            table_class,
            last_update: now,
        });
    }
    Ok(())
}

/// Provisioned (read, write) units, which raise the warm throughput DynamoDB
/// reports.
pub fn provisioned_units(
    billing_mode: BillingMode,
    throughput: &crate::model::ProvisionedThroughput,
) -> Option<(i64, i64)> {
    (billing_mode == BillingMode::Provisioned)
        .then_some((throughput.read_capacity_units, throughput.write_capacity_units))
}
