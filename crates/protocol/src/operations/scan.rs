use halyard_engine::{Engine, Error as EngineError, ScanInput};
use serde_json::{Map, Value};

use super::get_item::projection;
use super::{refuse_unsupported, table_name};
use crate::attribute_value::{item_from_json, item_to_json};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

#[derive(Clone, Copy, PartialEq)]
enum Select {
    AllAttributes,
    AllProjectedAttributes,
    SpecificAttributes,
    Count,
}

const SELECT: &[(&str, Select)] = &[
    ("ALL_ATTRIBUTES", Select::AllAttributes),
    ("ALL_PROJECTED_ATTRIBUTES", Select::AllProjectedAttributes),
    ("SPECIFIC_ATTRIBUTES", Select::SpecificAttributes),
    ("COUNT", Select::Count),
];

pub(super) async fn handle(engine: &Engine, request: Fields<'_>) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let limit = request.integer("Limit")?;
    violations.range(limit, "limit", 1, None);
    let select = violations.one_of(request.string("Select")?, "select", SELECT);
    let exclusive_start_key = request.map("ExclusiveStartKey")?;
    violations.into_result()?;
    refuse_unsupported(
        request,
        &[
            "FilterExpression",
            "ScanFilter",
            "ConditionalOperator",
            "Segment",
            "TotalSegments",
            "IndexName",
        ],
    )?;
    let projection = projection(request)?;
    match (select, &projection) {
        (Some(Select::AllProjectedAttributes), _) => {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is not allowed when scanning a table",
            )
            .into())
        }
        (Some(Select::SpecificAttributes), None) => {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires either AttributesToGet or ProjectionExpression",
            )
            .into())
        }
        (Some(Select::AllAttributes | Select::Count), Some(_)) => {
            return Err(EngineError::validation(
                "One or more parameter values were invalid: Cannot specify the AttributesToGet or ProjectionExpression when choosing to get ALL_ATTRIBUTES or COUNT",
            )
            .into())
        }
        _ => {}
    }
    let exclusive_start_key = exclusive_start_key.map(item_from_json).transpose()?;
    let output = engine
        .scan(ScanInput {
            table_name: name.to_string(),
            limit: limit.map(|l| l as usize),
            exclusive_start_key,
            projection,
            count_only: select == Some(Select::Count),
        })
        .await?;
    let mut response = Map::new();
    if select != Some(Select::Count) {
        response.insert(
            "Items".into(),
            Value::Array(output.items.iter().map(item_to_json).collect()),
        );
    }
    response.insert("Count".into(), output.count.into());
    response.insert("ScannedCount".into(), output.scanned_count.into());
    if let Some(key) = output.last_evaluated_key {
        response.insert("LastEvaluatedKey".into(), item_to_json(&key));
    }
    Ok(Value::Object(response))
}
