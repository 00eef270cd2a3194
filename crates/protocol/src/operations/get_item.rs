use std::collections::HashSet;

use halyard_engine::expression::projection::Projection;
use halyard_engine::expression::Placeholders;
use halyard_engine::{Engine, Error as EngineError, GetItemInput, Select};
use serde_json::Map;

use super::expressions::{add_consumed_capacity, return_consumed_capacity, RequestPlaceholders};
use super::{select_key, table_name};
use crate::access::{self, AttributeNames, Authorizer, KeySchema};
use crate::attribute_value::{item_from_json, ItemJson};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::response::{Response, ResponseWriter};

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Response, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let name = table_name(request, &mut violations)?;
    let key = request.map("Key")?;
    violations.required(key, "key");
    let consistent_read = request.boolean("ConsistentRead")?.unwrap_or(false);
    let capacity = return_consumed_capacity(request, &mut violations)?;
    violations.into_result()?;
    let placeholders = RequestPlaceholders::parse(request, &["ProjectionExpression"])?;
    let mut tracker = placeholders.tracker();
    let projection = projection(request, "", &mut tracker)?;
    tracker.check_all_used()?;
    let key = item_from_json(key.expect("required checked"))?;
    let table = engine.resolve_table_name(name, "GetItem")?;
    let check = access::AccessCheck {
        leading_keys: KeySchema::of(engine, table, None).leading_keys([&key]),
        attributes: AttributeNames::default()
            .item(&key)
            .projection(projection.as_ref())
            .take(),
        select: select_key(implied_select(projection.as_ref()), false),
        return_consumed_capacity: capacity.condition_key(),
        ..access::table_check(engine, "dynamodb:GetItem", table, None)
    };
    access::authorize(authorizer, &[check])?;

    let output = engine
        .get_item(GetItemInput {
            table_name: table.to_string(),
            key,
            projection,
            consistent_read,
        })
        .await?;
    let mut output = output;
    // ConsumedCapacity names the table as the request did.
    output.consumed_capacity.table_name = name.to_string();
    let mut response = ResponseWriter::new();
    if let Some(item) = &output.item {
        response.member("Item", &ItemJson(item));
    }
    let mut rest = Map::new();
    add_consumed_capacity(&mut rest, capacity, Some(&output.consumed_capacity));
    response.members(&rest);
    Ok(response.finish())
}

/// What a GetItem-like read (no Select member) returns: the projection's
/// attributes, or all.
pub(super) fn implied_select(projection: Option<&Projection>) -> Select {
    match projection {
        Some(_) => Select::SpecificAttributes,
        None => Select::AllAttributes,
    }
}

/// ProjectionExpression or the legacy AttributesToGet, as GetItem, Query
/// and Scan accept them. `path` prefixes AttributesToGet's member path in
/// its constraint message ("" or "requestItems.<table>.member.").
pub(super) fn projection(
    request: Fields<'_>,
    path: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Option<Projection>, ProtocolError> {
    if let Some(expression) = request.string("ProjectionExpression")? {
        return Ok(Some(Projection::parse(expression, &mut placeholders.names)?));
    }
    let Some(names) = request.string_list("AttributesToGet")? else {
        return Ok(None);
    };
    if names.is_empty() {
        let mut violations = ConstraintViolations::default();
        violations.add(
            Some("[]"),
            &format!("{path}attributesToGet"),
            "have length greater than or equal to 1",
        );
        return Err(violations.into());
    }
    let mut seen = HashSet::with_capacity(names.len());
    if let Some(duplicate) = names.iter().find(|name| !seen.insert(name.as_str())) {
        return Err(EngineError::validation(format!(
            "One or more parameter values were invalid: Duplicate value in attribute name: {duplicate}"
        ))
        .into());
    }
    Ok(Some(Projection::from_attribute_names(&names)))
}
