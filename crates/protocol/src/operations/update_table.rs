use halyard_engine::{Engine, UpdateTableInput};
use serde_json::{json, Value};

use super::create_table::{provisioned_throughput, BILLING_MODES};
use super::{refuse_unsupported, table_description, table_name};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let billing_mode = violations.one_of(request.string("BillingMode")?, "billingMode", BILLING_MODES);
    let provisioned_throughput = provisioned_throughput(request, &mut violations)?;
    let deletion_protection_enabled = request.boolean("DeletionProtectionEnabled")?;
    violations.into_result()?;
    refuse_unsupported(
        request,
        &[
            "GlobalSecondaryIndexUpdates",
            "StreamSpecification",
            "SSESpecification",
            "ReplicaUpdates",
            "TableClass",
        ],
    )?;

    let description = engine
        .update_table(UpdateTableInput {
            table_name: name.to_string(),
            billing_mode,
            provisioned_throughput,
            deletion_protection_enabled,
        })
        .await?;
    Ok(json!({ "TableDescription": table_description::to_json(&description) }))
}
