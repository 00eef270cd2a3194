//! One file per DynamoDB operation.

mod backup_description;
mod batch_execute_statement;
mod batch_get_item;
mod batch_write_item;
mod continuous_backups_description;
mod create_backup;
mod create_table;
mod delete_backup;
mod delete_item;
mod delete_resource_policy;
mod delete_table;
mod describe_backup;
mod describe_continuous_backups;
mod describe_endpoints;
mod describe_export;
mod describe_import;
mod describe_limits;
mod describe_table;
mod describe_time_to_live;
mod execute_statement;
mod execute_transaction;
mod export_table_to_point_in_time;
mod expressions;
mod get_item;
mod get_resource_policy;
mod import_table;
mod list_backups;
mod list_exports;
mod list_imports;
mod list_tables;
mod list_tags_of_resource;
mod page_request;
mod put_item;
mod put_resource_policy;
mod query;
mod resource_policy;
mod restore_overrides;
mod restore_table_from_backup;
mod restore_table_to_point_in_time;
mod scan;
mod sse_specification;
mod statements;
mod table_description;
mod tag_resource;
mod throughput;
mod transact_get_items;
mod transact_write_items;
mod untag_resource;
mod update_continuous_backups;
mod update_item;
mod update_table;
mod update_time_to_live;
mod write_request;

use std::collections::HashMap;

use halyard_engine::{ConsumedCapacity, Engine, Error as EngineError, ItemPage, ReturnValues, Select, WriteItemOutput};
use serde_json::{Map, Value};

use self::expressions::{add_consumed_capacity, ReturnConsumedCapacity};
use crate::attribute_value::ItemJson;
use crate::response::{Response, ResponseWriter};

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(crate) async fn dispatch(
    engine: &std::sync::Arc<Engine>,
    authorizer: &dyn Authorizer,
    operation: &str,
    request: Fields<'_>,
) -> Result<Response, ProtocolError> {
    // The item operations write their responses straight into bytes.
    match operation {
        "PutItem" => put_item::handle(engine, authorizer, request).await,
        "GetItem" => get_item::handle(engine, authorizer, request).await,
        "DeleteItem" => delete_item::handle(engine, authorizer, request).await,
        "Scan" => scan::handle(engine, authorizer, request).await,
        "Query" => query::handle(engine, authorizer, request).await,
        "UpdateItem" => update_item::handle(engine, authorizer, request).await,
        "BatchGetItem" => batch_get_item::handle(engine, authorizer, request).await,
        _ => dispatch_value(engine, authorizer, operation, request)
            .await
            .map(Response::from),
    }
}

/// The operations that build their responses as a `Value`.
async fn dispatch_value(
    engine: &std::sync::Arc<Engine>,
    authorizer: &dyn Authorizer,
    operation: &str,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    match operation {
        "CreateTable" => create_table::handle(engine, authorizer, request).await,
        "DescribeTable" => describe_table::handle(engine, authorizer, request),
        "DescribeLimits" => describe_limits::handle(engine, authorizer),
        "DescribeEndpoints" => describe_endpoints::handle(engine, authorizer),
        "ListTables" => list_tables::handle(engine, authorizer, request),
        "DeleteTable" => delete_table::handle(engine, authorizer, request).await,
        "UpdateTable" => update_table::handle(engine, authorizer, request).await,
        "BatchWriteItem" => batch_write_item::handle(engine, authorizer, request).await,
        "TransactGetItems" => transact_get_items::handle(engine, authorizer, request).await,
        "TransactWriteItems" => transact_write_items::handle(engine, authorizer, request).await,
        "ExecuteStatement" => execute_statement::handle(engine, authorizer, request).await,
        "BatchExecuteStatement" => batch_execute_statement::handle(engine, authorizer, request).await,
        "ExecuteTransaction" => execute_transaction::handle(engine, authorizer, request).await,
        "UpdateTimeToLive" => update_time_to_live::handle(engine, authorizer, request).await,
        "DescribeTimeToLive" => describe_time_to_live::handle(engine, authorizer, request),
        "TagResource" => tag_resource::handle(engine, authorizer, request).await,
        "UntagResource" => untag_resource::handle(engine, authorizer, request).await,
        "ListTagsOfResource" => list_tags_of_resource::handle(engine, authorizer, request),
        "PutResourcePolicy" => put_resource_policy::handle(engine, authorizer, request).await,
        "GetResourcePolicy" => get_resource_policy::handle(engine, authorizer, request),
        "DeleteResourcePolicy" => delete_resource_policy::handle(engine, authorizer, request).await,
        "DescribeContinuousBackups" => describe_continuous_backups::handle(engine, authorizer, request),
        "UpdateContinuousBackups" => update_continuous_backups::handle(engine, authorizer, request).await,
        "CreateBackup" => create_backup::handle(engine, authorizer, request).await,
        "DescribeBackup" => describe_backup::handle(engine, authorizer, request),
        "ListBackups" => list_backups::handle(engine, authorizer, request),
        "DeleteBackup" => delete_backup::handle(engine, authorizer, request).await,
        "RestoreTableFromBackup" => restore_table_from_backup::handle(engine, authorizer, request).await,
        "RestoreTableToPointInTime" => restore_table_to_point_in_time::handle(engine, authorizer, request).await,
        "ExportTableToPointInTime" => export_table_to_point_in_time::handle(engine, authorizer, request).await,
        "DescribeExport" => describe_export::handle(engine, authorizer, request),
        "ListExports" => list_exports::handle(engine, authorizer, request),
        "ImportTable" => import_table::handle(engine, authorizer, request).await,
        "DescribeImport" => describe_import::handle(engine, authorizer, request),
        "ListImports" => list_imports::handle(engine, authorizer, request),
        _ => Err(ProtocolError::UnknownOperation),
    }
}

/// The TableName member every table operation has, as given: a table name
/// or a table ARN, which `Engine::resolve_table_name` turns into the name
/// once the request's constraints have passed.
fn table_name<'a>(request: Fields<'a>, violations: &mut ConstraintViolations) -> Result<&'a str, ProtocolError> {
    let name = request.string("TableName")?;
    violations.table_name_or_arn(name, "tableName");
    Ok(name.unwrap_or_default())
}

/// Authorises an action on one table of this server (`table` is its name).
fn authorize_table(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    action: &'static str,
    table: &str,
) -> Result<(), ProtocolError> {
    access::authorize(authorizer, &[access::table_check(engine, action, table, None)])
}

/// The wire name of an enum value, as its table of names lists it.
fn wire_name<T: PartialEq>(names: &[(&'static str, T)], value: &T) -> &'static str {
    names
        .iter()
        .find(|(_, candidate)| candidate == value)
        .map(|(name, _)| *name)
        .unwrap_or_default()
}

/// `dynamodb:ReturnValues` of a single-item write.
fn return_values_key(return_values: ReturnValues) -> Option<String> {
    Some(wire_name(RETURN_VALUES, &return_values).to_string())
}

/// `dynamodb:Select` of a read: the Select given, or the one implied by a
/// projection (`Select::SpecificAttributes` then) or by reading an index.
fn select_key(select: Select, index: bool) -> Option<String> {
    let name = match select {
        Select::Default if index => "ALL_PROJECTED_ATTRIBUTES",
        Select::Default => "ALL_ATTRIBUTES",
        other => wire_name(SELECT, &other),
    };
    Some(name.to_string())
}

/// Names each table of `consumed` as the request did (`given_names`: by
/// table name, the name or ARN given).
fn rename_tables(consumed: &mut [ConsumedCapacity], given_names: &HashMap<String, String>) {
    for capacity in consumed {
        if let Some(given) = given_names.get(&capacity.table_name) {
            capacity.table_name = given.clone();
        }
    }
}

/// DynamoDB's limit on the actions of one TransactGetItems or
/// TransactWriteItems.
const MAX_TRANSACT_ITEMS: usize = 100;

/// TransactItems: required, with 1 to 100 entries. Its violations join
/// the request's others.
fn transact_items<'a>(
    request: Fields<'a>,
    violations: &mut ConstraintViolations,
) -> Result<Option<&'a Vec<Value>>, ProtocolError> {
    let items = request.list("TransactItems")?;
    violations.required(items, "transactItems");
    if let Some(items) = items {
        if items.is_empty() {
            violations.add(Some("[]"), "transactItems", "have length greater than or equal to 1");
        }
        if items.len() > MAX_TRANSACT_ITEMS {
            violations.add(Some("[...]"), "transactItems", "have length less than or equal to 100");
        }
    }
    Ok(items)
}

/// A batch's RequestItems, once the request's constraint violations have
/// been reported: DynamoDB refuses an empty map only after those.
fn non_empty_request_items(request_items: Option<&Map<String, Value>>) -> Result<&Map<String, Value>, ProtocolError> {
    let request_items = request_items.expect("required checked");
    if request_items.is_empty() {
        return Err(EngineError::validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        )
        .into());
    }
    Ok(request_items)
}

const RETURN_VALUES: &[(&str, ReturnValues)] = &[
    ("NONE", ReturnValues::None),
    ("ALL_OLD", ReturnValues::AllOld),
    ("UPDATED_OLD", ReturnValues::UpdatedOld),
    ("ALL_NEW", ReturnValues::AllNew),
    ("UPDATED_NEW", ReturnValues::UpdatedNew),
];

fn return_values(request: Fields<'_>, violations: &mut ConstraintViolations) -> Result<ReturnValues, ProtocolError> {
    let value = request.string("ReturnValues")?;
    Ok(violations
        .one_of(value, "returnValues", RETURN_VALUES)
        .unwrap_or_default())
}

/// A single-item write's response: Attributes and ConsumedCapacity as
/// asked for. ConsumedCapacity names the table as the request did (by
/// name or by ARN).
fn write_response(
    mut output: WriteItemOutput,
    table_name: &str,
    capacity: ReturnConsumedCapacity,
    collection_metrics: bool,
) -> Response {
    output.consumed_capacity.table_name = table_name.to_string();
    let mut response = ResponseWriter::new();
    if let Some(item) = &output.attributes {
        response.member("Attributes", &ItemJson(item));
    }
    let mut rest = Map::new();
    if let (true, Some((key, size))) = (collection_metrics, &output.item_collection) {
        rest.insert(
            "ItemCollectionMetrics".into(),
            expressions::item_collection_metrics(key, *size),
        );
    }
    add_consumed_capacity(&mut rest, capacity, Some(&output.consumed_capacity));
    response.members(&rest);
    response.finish()
}

const SELECT: &[(&str, Select)] = &[
    ("ALL_ATTRIBUTES", Select::AllAttributes),
    ("ALL_PROJECTED_ATTRIBUTES", Select::AllProjectedAttributes),
    ("SPECIFIC_ATTRIBUTES", Select::SpecificAttributes),
    ("COUNT", Select::Count),
];

fn select(request: Fields<'_>, violations: &mut ConstraintViolations) -> Result<Option<Select>, ProtocolError> {
    Ok(violations.one_of(request.string("Select")?, "select", SELECT))
}

/// Checks Select against the projection and the index, as DynamoDB does.
fn check_select(select: Option<Select>, request: Fields<'_>) -> Result<Select, ProtocolError> {
    let projection_member = ["ProjectionExpression", "AttributesToGet"]
        .into_iter()
        .find(|member| request.get(member).is_some());
    let has_index = request.get("IndexName").is_some();
    let invalid = |message: &str| -> Result<Select, ProtocolError> { Err(EngineError::validation(message).into()) };
    match (select, projection_member) {
        // DynamoDB says "Querying" for a Scan too.
        (Some(Select::AllProjectedAttributes), _) if !has_index => {
            invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        }
        (Some(Select::SpecificAttributes), None) => {
            invalid("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
        }
        (Some(Select::AllAttributes), Some(member)) => invalid(&format!(
            "Cannot specify the {member} when choosing to get ALL_ATTRIBUTES"
        )),
        (Some(Select::AllProjectedAttributes), Some(member)) => invalid(&format!(
            "Cannot specify the {member} when choosing to get ALL_PROJECTED_ATTRIBUTES"
        )),
        (Some(Select::Count), Some(member)) => invalid(&format!(
            "Cannot specify the {member} when choosing to get only the Count"
        )),
        (Some(select), _) => Ok(select),
        (None, Some(_)) => Ok(Select::SpecificAttributes),
        (None, None) => Ok(Select::Default),
    }
}

/// A Query or Scan response; ConsumedCapacity names the table as the
/// request did.
fn page_response(mut page: ItemPage, table_name: &str, capacity: ReturnConsumedCapacity, count_only: bool) -> Response {
    if let Some(consumed) = &mut page.consumed_capacity {
        consumed.table_name = table_name.to_string();
    }
    let mut response = ResponseWriter::new();
    if !count_only {
        response.items(&page.items);
    }
    response.member("Count", &page.count);
    response.member("ScannedCount", &page.scanned_count);
    if let Some(key) = &page.last_evaluated_key {
        response.member("LastEvaluatedKey", &ItemJson(key));
    }
    let mut rest = Map::new();
    add_consumed_capacity(&mut rest, capacity, page.consumed_capacity.as_ref());
    response.members(&rest);
    response.finish()
}

/// Parameters of features Halyard does not have yet: refused rather than
/// ignored, so nothing happens other than what was asked.
fn refuse_unsupported(request: Fields<'_>, members: &[&str]) -> Result<(), ProtocolError> {
    for member in members {
        if request.get(member).is_some() {
            return Err(EngineError::validation(format!("Halyard does not support {member} yet")).into());
        }
    }
    Ok(())
}
