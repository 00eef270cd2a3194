use halyard_engine::partiql::plan::PlanOptions;
use halyard_engine::partiql::Statement;
use halyard_engine::{Engine, Error as EngineError};
use serde_json::{Map, Value};

use super::expressions::{add_consumed_capacity, return_consumed_capacity, return_old_on_failure};
use super::statements::{access_check, decode_token, encode_token, statement_request};
use crate::access::{self, Authorizer};
use crate::attribute_value::item_to_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let text = request.string("Statement")?;
    violations.required(text.as_ref(), "statement");
    let limit = request.integer("Limit")?;
    violations.range(limit, "limit", 1, None);
    let token = request.string("NextToken")?;
    if let Some(token) = token {
        violations.length(token, "nextToken", 1, 32768);
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    let return_old = return_old_on_failure(request, "", &mut violations)?;
    let consistent_read = request.boolean("ConsistentRead")?.unwrap_or(false);
    violations.into_result()?;
    let text = text.unwrap_or_default();

    let statement = statement_request(request, return_old)?;
    let parsed = statement.parsed?;
    if matches!(parsed.statement, Statement::Exists(_)) {
        return Err(EngineError::validation("EXISTS can only be used in ExecuteTransaction write requests.").into());
    }
    access::authorize(authorizer, &[access_check(engine, &parsed.statement)])?;
    let start = token.map(|token| decode_token(text, token)).transpose()?;
    let plan = engine.plan_statement(&parsed, &statement.parameters, PlanOptions { consistent_read })?;
    let output = engine
        .execute_plan(plan, limit.map(|l| l as usize), start, statement.return_old_on_failure)
        .await?;
    let mut response = Map::new();
    response.insert(
        "Items".into(),
        Value::Array(output.items.iter().map(item_to_json).collect()),
    );
    if let Some(next) = &output.next {
        response.insert("NextToken".into(), Value::String(encode_token(text, next)));
        if let Some(key) = &next.exclusive_start_key {
            response.insert("LastEvaluatedKey".into(), item_to_json(key));
        }
    }
    add_consumed_capacity(&mut response, capacity, output.consumed_capacity.as_ref());
    Ok(Value::Object(response))
}
