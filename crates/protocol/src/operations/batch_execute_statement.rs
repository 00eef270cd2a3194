use halyard_engine::partiql::plan::PlanOptions;
use halyard_engine::{capacity_by_table, BatchStatement, Engine, Error as EngineError, MAX_BATCH_STATEMENTS};
use serde_json::{json, Map, Value};

use super::expressions::{capacity_list, return_consumed_capacity, return_old_on_failure, ReturnConsumedCapacity};
use super::statements::{access_check, batch_error, statement_request};
use crate::access::{self, Authorizer};
use crate::attribute_value::item_to_json;
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let entries = request.list("Statements")?;
    violations.required(entries, "statements");
    if entries.is_some_and(|entries| entries.len() > MAX_BATCH_STATEMENTS) {
        violations.add(Some("[...]"), "statements", "have length less than or equal to 25");
    }
    let mut requests = Vec::new();
    for (position, entry) in entries.into_iter().flatten().enumerate() {
        let entry = as_object(entry)?;
        let path = format!("statements.{}.member.", position + 1);
        let return_old = return_old_on_failure(entry, &path, &mut violations)?;
        let text = entry.string("Statement")?;
        violations.required(text.as_ref(), &format!("{path}statement"));
        requests.push(statement_request(entry, return_old)?);
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    violations.into_result()?;
    if requests.is_empty() {
        return Err(EngineError::validation("The statement was empty.").into());
    }

    // Each statement is planned, authorised and answered on its own: a
    // denial is that statement's AccessDenied error.
    let statements = requests
        .into_iter()
        .map(|request| {
            let plan = request.parsed.and_then(|parsed| {
                access::authorize(authorizer, &[access_check(engine, &parsed.statement)]).map_err(
                    |error| match error {
                        ProtocolError::AccessDenied(message) => EngineError::AccessDenied(message),
                        ProtocolError::Engine(error) => error,
                        other => EngineError::Internal(other.to_string()),
                    },
                )?;
                engine.plan_statement(&parsed, &request.parameters, PlanOptions::default())
            });
            BatchStatement {
                plan,
                return_old_on_failure: request.return_old_on_failure,
            }
        })
        .collect();
    let outputs = engine.batch_execute_statement(statements).await?;
    let mut consumed = Vec::new();
    let responses: Vec<Value> = outputs
        .into_iter()
        .map(|output| {
            let mut entry = Map::new();
            if let Some(table) = &output.table_name {
                entry.insert("TableName".into(), json!(table));
            }
            match output.result {
                Err(error) => {
                    entry.insert("Error".into(), batch_error(&error));
                }
                Ok(result) => {
                    consumed.extend(result.consumed_capacity);
                    if let Some(item) = result.items.first() {
                        entry.insert("Item".into(), item_to_json(item));
                    }
                }
            }
            Value::Object(entry)
        })
        .collect();
    let mut response = Map::new();
    response.insert("Responses".into(), Value::Array(responses));
    if capacity != ReturnConsumedCapacity::None && !consumed.is_empty() {
        response.insert(
            "ConsumedCapacity".into(),
            capacity_list(&capacity_by_table(consumed), capacity),
        );
    }
    Ok(Value::Object(response))
}
