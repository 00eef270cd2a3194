//! The overrides both restores take: BillingModeOverride,
//! ProvisionedThroughputOverride, GlobalSecondaryIndexOverride,
//! LocalSecondaryIndexOverride; SSESpecificationOverride and
//! OnDemandThroughputOverride are accepted (the restored table is stored
//! like every other table).

use halyard_engine::model::IndexKind;
use halyard_engine::{IndexInput, RestoreOverrides};

use super::create_table::{index, BILLING_MODES};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

fn index_list(
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
        let path = format!("{path}.{}.member", position + 1);
        indexes.push(index(as_object(entry)?, &path, kind, violations)?);
    }
    Ok(Some(indexes))
}

pub(super) fn parse(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<RestoreOverrides, ProtocolError> {
    let billing_mode = violations.one_of(
        request.string("BillingModeOverride")?,
        "billingModeOverride",
        BILLING_MODES,
    );
    let provisioned_throughput = match request.object("ProvisionedThroughputOverride")? {
        None => None,
        Some(throughput) => {
            let read = throughput.integer("ReadCapacityUnits")?;
            let write = throughput.integer("WriteCapacityUnits")?;
            for (value, path) in [
                (read, "provisionedThroughputOverride.readCapacityUnits"),
                (write, "provisionedThroughputOverride.writeCapacityUnits"),
            ] {
                violations.required(value.as_ref(), path);
                violations.range(value, path, 1, None);
            }
            Some((read.unwrap_or(0), write.unwrap_or(0)))
        }
    };
    let global_secondary_indexes = index_list(
        request,
        "GlobalSecondaryIndexOverride",
        "globalSecondaryIndexOverride",
        IndexKind::Global,
        violations,
    )?;
    let local_secondary_indexes = index_list(
        request,
        "LocalSecondaryIndexOverride",
        "localSecondaryIndexOverride",
        IndexKind::Local,
        violations,
    )?;
    // Accepted: checked for shape only.
    if let Some(sse) = request.object("SSESpecificationOverride")? {
        sse.boolean("Enabled")?;
        sse.string("SSEType")?;
        sse.string("KMSMasterKeyId")?;
    }
    request.object("OnDemandThroughputOverride")?;
    Ok(RestoreOverrides {
        billing_mode,
        provisioned_throughput,
        global_secondary_indexes,
        local_secondary_indexes,
    })
}

/// A restore's TargetTableName: required, a table name.
pub(super) fn target_table_name<'a>(
    request: Fields<'a>,
    violations: &mut ConstraintViolations,
) -> Result<&'a str, ProtocolError> {
    let name = request.string("TargetTableName")?;
    violations.table_name(name, "targetTableName");
    Ok(name.unwrap_or_default())
}
