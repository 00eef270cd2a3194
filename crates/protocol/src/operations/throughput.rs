//! OnDemandThroughput, WarmThroughput and TableClass in wire form: parsed
//! from CreateTable and UpdateTable, reported in TableDescription.

use halyard_engine::model::{BillingMode, IndexKind, IndexStatus, TableClass, TableDescription, WarmThroughput};
use halyard_engine::{provisioned_units, IndexThroughputInput, OnDemandInput, ThroughputSettings, WarmThroughputInput};
use serde_json::{json, Value};

use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

const TABLE_CLASSES: &[(&str, TableClass)] = &[
    ("STANDARD", TableClass::Standard),
    ("STANDARD_INFREQUENT_ACCESS", TableClass::StandardInfrequentAccess),
];

fn on_demand(request: Fields<'_>) -> Result<Option<OnDemandInput>, ProtocolError> {
    let Some(member) = request.object("OnDemandThroughput")? else {
        return Ok(None);
    };
    Ok(Some(OnDemandInput {
        max_read_request_units: member.integer("MaxReadRequestUnits")?,
        max_write_request_units: member.integer("MaxWriteRequestUnits")?,
    }))
}

fn warm(request: Fields<'_>) -> Result<Option<WarmThroughputInput>, ProtocolError> {
    let Some(member) = request.object("WarmThroughput")? else {
        return Ok(None);
    };
    Ok(Some(WarmThroughputInput {
        read_units_per_second: member.integer("ReadUnitsPerSecond")?,
        write_units_per_second: member.integer("WriteUnitsPerSecond")?,
    }))
}

/// The settings of a request, with those of each global index it creates or
/// updates (`indexes`: the GlobalSecondaryIndexes entries, or the Create and
/// Update actions of GlobalSecondaryIndexUpdates).
pub(super) fn settings<'a>(
    request: Fields<'a>,
    indexes: impl IntoIterator<Item = Fields<'a>>,
    violations: &mut ConstraintViolations,
) -> Result<ThroughputSettings, ProtocolError> {
    let table_class = violations.one_of(request.string("TableClass")?, "tableClass", TABLE_CLASSES);
    let mut settings = ThroughputSettings {
        on_demand: on_demand(request)?,
        warm: warm(request)?,
        table_class,
        indexes: Vec::new(),
    };
    for index in indexes {
        let (on_demand, warm) = (on_demand(index)?, warm(index)?);
        if on_demand.is_some() || warm.is_some() {
            settings.indexes.push(IndexThroughputInput {
                index_name: index.string("IndexName")?.unwrap_or_default().to_string(),
                on_demand,
                warm,
            });
        }
    }
    Ok(settings)
}

fn warm_json(warm: WarmThroughput, status: &str) -> Value {
    json!({
        "ReadUnitsPerSecond": warm.read_units_per_second,
        "WriteUnitsPerSecond": warm.write_units_per_second,
        "Status": status,
    })
}

/// Adds OnDemandThroughput (on-demand tables), WarmThroughput and
/// TableClassSummary to a TableDescription, and the first two to each of
/// its global indexes.
pub(super) fn describe(table: &mut Value, description: &TableDescription) {
    let definition = &description.definition;
    let on_demand = definition.billing_mode == BillingMode::PayPerRequest;
    if on_demand {
        let maximums = definition.on_demand_throughput;
        table["OnDemandThroughput"] = json!({
            "MaxReadRequestUnits": maximums.max_read_request_units,
            "MaxWriteRequestUnits": maximums.max_write_request_units,
        });
    }
    let provisioned = provisioned_units(definition.billing_mode, &definition.throughput);
    table["WarmThroughput"] = warm_json(
        definition.warm_throughput.reported(provisioned),
        description.status.name(),
    );
    if let Some(summary) = definition.table_class {
        let mut entry = json!({ "TableClass": summary.table_class.name() });
        if let Some(time) = summary.last_update {
            entry["LastUpdateDateTime"] = json!(time);
        }
        table["TableClassSummary"] = entry;
    }
    let Some(Value::Array(entries)) = table.get_mut("GlobalSecondaryIndexes") else {
        return;
    };
    for entry in entries {
        let Some(index) = entry
            .get("IndexName")
            .and_then(Value::as_str)
            .and_then(|name| definition.index(name))
            .filter(|index| index.kind == IndexKind::Global)
        else {
            continue;
        };
        if on_demand {
            entry["OnDemandThroughput"] = json!({
                "MaxReadRequestUnits": index.on_demand_throughput.max_read_request_units,
                "MaxWriteRequestUnits": index.on_demand_throughput.max_write_request_units,
            });
        }
        let throughput = index.throughput.clone().unwrap_or_default();
        let status = match index.status {
            IndexStatus::Creating => "CREATING",
            IndexStatus::Active => "ACTIVE",
        };
        entry["WarmThroughput"] = warm_json(
            index
                .warm_throughput
                .reported(provisioned_units(definition.billing_mode, &throughput)),
            status,
        );
    }
}
