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

/// The table or one of its global indexes, as DynamoDB names it in these
/// messages (their spacing differs from one message to the other).
#[derive(Clone, Copy)]
enum Resource<'a> {
    Table,
    Index(&'a str),
}

/// CreateTable and UpdateTable word some of these errors differently.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Create,
    Update,
}

fn apply_on_demand(
    current: &mut OnDemandThroughput,
    input: &OnDemandInput,
    billing_mode: BillingMode,
    resource: Resource<'_>,
    operation: Operation,
) -> Result<()> {
    let members = [
        ("MaxReadRequestUnits", input.max_read_request_units),
        ("MaxWriteRequestUnits", input.max_write_request_units),
    ];
    let Some((first, _)) = members.iter().find(|(_, value)| value.is_some()) else {
        // DynamoDB takes an empty OnDemandThroughput at CreateTable for none
        // (and fails an UpdateTable with an internal error).
        return match operation {
            Operation::Create => Ok(()),
            Operation::Update => Err(invalid(
                "OnDemandThroughput must specify MaxReadRequestUnits, MaxWriteRequestUnits, or both".into(),
            )),
        };
    };
    // Checked before the values, naming the first member given.
    if billing_mode == BillingMode::Provisioned {
        let index = match resource {
            Resource::Table => String::new(),
            Resource::Index(name) => format!(" for index: {name}"),
        };
        let rest = match operation {
            Operation::Create => "cannot be specified when table BillingMode is PROVISIONED.",
            Operation::Update => "cannot be specified when the table BillingMode is PROVISIONED",
        };
        return Err(invalid(format!("{first} for OnDemandThroughput{index} {rest}")));
    }
    for (member, value) in members {
        // -1 removes a maximum, which only an update can do.
        let removes = value == Some(NO_MAXIMUM) && operation == Operation::Update;
        if value.is_some_and(|units| units < 1) && !removes {
            let target = match resource {
                Resource::Table => "table".to_string(),
                Resource::Index(name) => format!("index : {name}"),
            };
            return Err(invalid(format!(
                "Requested {member} for OnDemandThroughput for {target} is outside of valid range"
            )));
        }
    }
    if let Some(units) = input.max_read_request_units {
        current.max_read_request_units = units;
    }
    if let Some(units) = input.max_write_request_units {
        current.max_write_request_units = units;
    }
    Ok(())
}

/// The lowest warm throughput a request may ask for: at CreateTable the
/// initial one (on-demand's default, or the provisioned capacity), at
/// UpdateTable the current one, since it cannot decrease.
#[derive(Clone, Copy)]
enum WarmFloor {
    Initial(WarmThroughput),
    Provisioned(WarmThroughput),
    Current(WarmThroughput),
}

fn apply_warm(
    current: &mut WarmThroughput,
    input: &WarmThroughputInput,
    floor: WarmFloor,
    resource: Resource<'_>,
) -> Result<()> {
    if input.read_units_per_second.is_none() && input.write_units_per_second.is_none() {
        return Err(invalid(
            "WarmThroughput must specify ReadUnitsPerSecond, WriteUnitsPerSecond, or both".into(),
        ));
    }
    let (WarmFloor::Initial(lowest) | WarmFloor::Provisioned(lowest) | WarmFloor::Current(lowest)) = floor;
    let members = [
        (
            "ReadUnitsPerSecond",
            "ReadCapacityUnits",
            input.read_units_per_second,
            lowest.read_units_per_second,
        ),
        (
            "WriteUnitsPerSecond",
            "WriteCapacityUnits",
            input.write_units_per_second,
            lowest.write_units_per_second,
        ),
    ];
    for (member, capacity_member, value, lowest) in members {
        if value.is_none_or(|units| units >= lowest) {
            continue;
        }
        let target = match resource {
            Resource::Table => "table".to_string(),
            Resource::Index(name) => format!("index {name}"),
        };
        let reason = match floor {
            WarmFloor::Initial(_) => "is lower than initial throughput for OnDemand".to_string(),
            WarmFloor::Provisioned(_) => format!("is lower than {capacity_member} of ProvisionedThroughput"),
            WarmFloor::Current(_) => {
                "is lower than current WarmThroughput, decreasing WarmThroughput is not supported".to_string()
            }
        };
        return Err(invalid(format!(
            "Requested {member} for WarmThroughput for {target} {reason}"
        )));
    }
    if let Some(units) = input.read_units_per_second {
        current.read_units_per_second = units;
    }
    if let Some(units) = input.write_units_per_second {
        current.write_units_per_second = units;
    }
    Ok(())
}

/// Where a warm throughput request may start from (see [`WarmFloor`]).
fn warm_floor(
    operation: Operation,
    billing_mode: BillingMode,
    provisioned: Option<&crate::model::ProvisionedThroughput>,
    current: WarmThroughput,
) -> WarmFloor {
    let provisioned = provisioned.and_then(|throughput| provisioned_units(billing_mode, throughput));
    match (operation, provisioned) {
        (Operation::Update, _) => WarmFloor::Current(current.reported(provisioned)),
        (Operation::Create, Some((read, write))) => WarmFloor::Provisioned(WarmThroughput {
            read_units_per_second: read,
            write_units_per_second: write,
        }),
        (Operation::Create, None) => WarmFloor::Initial(WarmThroughput::default()),
    }
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
    let operation = if now.is_some() {
        Operation::Update
    } else {
        Operation::Create
    };
    if let Some(input) = &settings.on_demand {
        apply_on_demand(
            &mut definition.on_demand_throughput,
            input,
            billing_mode,
            Resource::Table,
            operation,
        )?;
    }
    if let Some(input) = &settings.warm {
        let floor = warm_floor(
            operation,
            billing_mode,
            Some(&definition.throughput),
            definition.warm_throughput,
        );
        apply_warm(&mut definition.warm_throughput, input, floor, Resource::Table)?;
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
        let resource = Resource::Index(&input.index_name);
        if let Some(on_demand) = &input.on_demand {
            apply_on_demand(
                &mut index.on_demand_throughput,
                on_demand,
                billing_mode,
                resource,
                operation,
            )?;
        }
        if let Some(warm) = &input.warm {
            let floor = warm_floor(
                operation,
                billing_mode,
                index.throughput.as_ref(),
                index.warm_throughput,
            );
            apply_warm(&mut index.warm_throughput, warm, floor, resource)?;
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
