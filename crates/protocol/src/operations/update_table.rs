use halyard_engine::model::IndexKind;
use halyard_engine::{Engine, GlobalSecondaryIndexUpdate, UpdateTableInput};
use serde_json::{json, Value};

use super::create_table::{
    attribute_definitions, index, provisioned_throughput, stream_specification, stream_view_type, BILLING_MODES,
};
use super::{authorize_table, refuse_unsupported, sse_specification, table_description, table_name, throughput};
use crate::access::Authorizer;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let billing_mode = violations.one_of(request.string("BillingMode")?, "billingMode", BILLING_MODES);
    let table_throughput = provisioned_throughput(request, "", &mut violations)?;
    let deletion_protection_enabled = request.boolean("DeletionProtectionEnabled")?;
    let attribute_definitions = attribute_definitions(request, &mut violations)?;
    let mut global_secondary_index_updates = Vec::new();
    let mut index_actions = Vec::new();
    for (position, entry) in request
        .list("GlobalSecondaryIndexUpdates")?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let entry = as_object(entry)?;
        let path = format!("globalSecondaryIndexUpdates.{}.member", position + 1);
        index_actions.extend(entry.object("Create")?);
        index_actions.extend(entry.object("Update")?);
        if let Some(create) = entry.object("Create")? {
            global_secondary_index_updates.push(GlobalSecondaryIndexUpdate::Create(index(
                create,
                &format!("{path}.create"),
                IndexKind::Global,
                &mut violations,
            )?));
        } else if let Some(delete) = entry.object("Delete")? {
            let index_name = delete.string("IndexName")?;
            violations.table_name(index_name, &format!("{path}.delete.indexName"));
            global_secondary_index_updates.push(GlobalSecondaryIndexUpdate::Delete(
                index_name.unwrap_or_default().to_string(),
            ));
        } else if let Some(update) = entry.object("Update")? {
            let index_name = update.string("IndexName")?;
            violations.table_name(index_name, &format!("{path}.update.indexName"));
            let throughput = provisioned_throughput(update, &format!("{path}.update."), &mut violations)?;
            // An Update may change only the on-demand maximums or warm
            // throughput (read below).
            let other_settings = update.get("OnDemandThroughput").is_some() || update.get("WarmThroughput").is_some();
            if !other_settings {
                violations.required(throughput.as_ref(), &format!("{path}.update.provisionedThroughput"));
            }
            if let Some(throughput) = throughput.or((!other_settings).then_some((0, 0))) {
                global_secondary_index_updates.push(GlobalSecondaryIndexUpdate::Update(
                    index_name.unwrap_or_default().to_string(),
                    throughput,
                ));
            }
        }
    }
    let throughput_settings = throughput::settings(request, index_actions, &mut violations)?;
    let stream_specification = stream_specification(request, &mut violations)?;
    let sse = sse_specification::parse(request, "SSESpecification", "sSESpecification", &mut violations)?;
    violations.into_result()?;
    let stream_specification = stream_view_type(stream_specification)?;
    let sse = sse_specification::check(sse)?;
    refuse_unsupported(request, &["ReplicaUpdates"])?;
    let name = engine.resolve_table_name(name, "UpdateTable")?;
    authorize_table(engine, authorizer, "dynamodb:UpdateTable", name)?;
    if let Some(sse) = &sse {
        sse_specification::authorize_key(authorizer, sse, name)?;
    }

    let description = engine
        .update_table(UpdateTableInput {
            table_name: name.to_string(),
            billing_mode,
            provisioned_throughput: table_throughput,
            deletion_protection_enabled,
            attribute_definitions: attribute_definitions.unwrap_or_default(),
            global_secondary_index_updates,
            throughput_settings,
            stream_specification,
            sse: sse.clone(),
        })
        .await?;
    let mut table = table_description::to_json(&description);
    // A change of key is UPDATING until its data key is re-wrapped, as
    // DynamoDB reports it (here that is done before the answer).
    if sse.is_some() {
        if let Some(sse) = sse_specification::description(&description, "UPDATING") {
            table["SSEDescription"] = sse;
        }
    }
    Ok(json!({ "TableDescription": table }))
}
