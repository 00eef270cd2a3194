//! One file per DynamoDB operation.

mod create_table;
mod delete_item;
mod delete_table;
mod describe_table;
mod get_item;
mod list_tables;
mod put_item;
mod scan;
mod table_description;
mod update_table;

use halyard_engine::{Engine, Error as EngineError, ReturnValues};
use serde_json::Value;

use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(crate) async fn dispatch(
    engine: &Engine,
    operation: &str,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    match operation {
        "CreateTable" => create_table::handle(engine, request).await,
        "DescribeTable" => describe_table::handle(engine, request),
        "ListTables" => list_tables::handle(engine, request),
        "DeleteTable" => delete_table::handle(engine, request).await,
        "UpdateTable" => update_table::handle(engine, request).await,
        "PutItem" => put_item::handle(engine, request).await,
        "GetItem" => get_item::handle(engine, request).await,
        "DeleteItem" => delete_item::handle(engine, request).await,
        "Scan" => scan::handle(engine, request).await,
        _ => Err(ProtocolError::UnknownOperation),
    }
}

/// The TableName member every table operation has.
fn table_name<'a>(
    request: Fields<'a>,
    violations: &mut ConstraintViolations,
) -> Result<&'a str, ProtocolError> {
    let name = request.string("TableName")?;
    violations.table_name(name, "tableName");
    Ok(name.unwrap_or_default())
}

const RETURN_VALUES: &[(&str, ReturnValues)] = &[
    ("NONE", ReturnValues::None),
    ("ALL_OLD", ReturnValues::AllOld),
    ("UPDATED_OLD", ReturnValues::UpdatedOld),
    ("ALL_NEW", ReturnValues::AllNew),
    ("UPDATED_NEW", ReturnValues::UpdatedNew),
];

fn return_values(
    request: Fields<'_>,
    violations: &mut ConstraintViolations,
) -> Result<ReturnValues, ProtocolError> {
    let value = request.string("ReturnValues")?;
    Ok(violations
        .one_of(value, "returnValues", RETURN_VALUES)
        .unwrap_or_default())
}

/// Expression features that later issues bring; until then they are
/// refused rather than ignored, so no write happens without its condition.
fn refuse_unsupported(request: Fields<'_>, members: &[&str]) -> Result<(), ProtocolError> {
    for member in members {
        if request.get(member).is_some() {
            return Err(
                EngineError::validation(format!("Halyard does not support {member} yet")).into(),
            );
        }
    }
    Ok(())
}

/// `{"Attributes": item}` when there is an item, `{}` otherwise.
fn attributes_response(item: Option<halyard_engine::model::Item>) -> Value {
    let mut response = serde_json::Map::new();
    if let Some(item) = item {
        response.insert(
            "Attributes".into(),
            crate::attribute_value::item_to_json(&item),
        );
    }
    Value::Object(response)
}
