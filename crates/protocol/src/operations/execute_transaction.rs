use halyard_engine::partiql::plan::PlanOptions;
use halyard_engine::{Engine, Error as EngineError, TransactionStatement};
use serde_json::Value;

use super::expressions::{return_consumed_capacity, return_old_on_failure};
use super::statements::{access_check, statement_request};
use super::transact_write_items::fnv1a;
use super::MAX_TRANSACT_ITEMS;
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::{as_object, Fields};

pub(super) async fn handle(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let entries = request.list("TransactStatements")?;
    violations.required(entries, "transactStatements");
    if entries.is_some_and(|entries| entries.len() > MAX_TRANSACT_ITEMS) {
        violations.add(
            Some("[...]"),
            "transactStatements",
            "have length less than or equal to 100",
        );
    }
    let mut requests = Vec::new();
    for (position, entry) in entries.into_iter().flatten().enumerate() {
        let entry = as_object(entry)?;
        let path = format!("transactStatements.{}.member.", position + 1);
        let return_old = return_old_on_failure(entry, &path, &mut violations)?;
        let text = entry.string("Statement")?;
        violations.required(text.as_ref(), &format!("{path}statement"));
        requests.push(statement_request(entry, return_old)?);
    }
    let token = request.string("ClientRequestToken")?;
    if let Some(token) = token {
        violations.length(token, "clientRequestToken", 1, 36);
    }
    let capacity = return_consumed_capacity(request, &mut violations)?;
    violations.into_result()?;
    if requests.is_empty() {
        return Err(EngineError::validation("ExecutePartiQLTransaction can not have empty statement.").into());
    }

    let mut parsed = Vec::with_capacity(requests.len());
    for request in requests {
        parsed.push((request.parsed?, request.parameters, request.return_old_on_failure));
    }
    let checks: Vec<_> = parsed
        .iter()
        .map(|(statement, _, _)| access_check(engine, &statement.statement))
        .collect();
    access::authorize(authorizer, &checks)?;
    let statements = parsed
        .iter()
        .enumerate()
        .map(|(index, (statement, parameters, return_old))| {
            let plan = engine
                .plan_statement(statement, parameters, PlanOptions::default())
                .map_err(|error| match error {
                    EngineError::Validation(message) => {
                        EngineError::validation(format!("Validation failed in TransactStatements[{index}]: {message}"))
                    }
                    other => other,
                })?;
            Ok(TransactionStatement {
                plan,
                return_old_on_failure: *return_old,
            })
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    // The request itself (what a retry with the same token must repeat).
    let fingerprint = fnv1a(
        serde_json::to_string(request.get("TransactStatements").unwrap_or(&Value::Null))
            .unwrap_or_default()
            .as_bytes(),
    );
    let output = engine
        .execute_transaction(statements, token.map(str::to_string), fingerprint)
        .await?;
    Ok(super::transact_get_items::read_responses(
        &output.items,
        &output.consumed_capacity,
        capacity,
    ))
}
