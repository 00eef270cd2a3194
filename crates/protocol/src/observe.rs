//! Request metrics, recorded in one place at the protocol boundary: each
//! request counts once per table it names (CloudWatch's TableName and
//! Operation dimensions), with its outcome and, when it succeeded, its
//! latency. Consumed capacity is counted by the engine, where it is
//! computed; the write path's metrics by the writer.

use std::time::Instant;

use halyard_engine::{Engine, Error as EngineError};
use halyard_metrics::{Operation, Outcome, TableSeries};
use serde_json::{Map, Value};

use crate::ProtocolError;

/// Records a request that ran (successfully or not) with `request` parsed;
/// called only while metrics are on.
pub(crate) fn request(
    engine: &Engine,
    operation: &str,
    request: &Map<String, Value>,
    result: &Result<crate::Response, ProtocolError>,
    started: Instant,
) {
    let metrics = engine.metrics();
    let latency = started.elapsed();
    let outcome = match result {
        Ok(_) => Outcome::Success,
        Err(error) => outcome_of(error),
    };
    let operation = Operation::named(operation);
    let returned_items = match result {
        Ok(response) => response.returned_items(),
        Err(_) => None,
    };
    let mut named_a_table = false;
    for_each_table(request, |given| {
        let Some(series) = known_table(engine, given) else {
            return;
        };
        named_a_table = true;
        let series = series.operation(operation);
        series.record(outcome, latency);
        if let Some(items) = returned_items {
            series.returned_items.add(items as u64);
        }
    });
    if !named_a_table {
        metrics.account().operation(operation).record(outcome, latency);
    }
}

/// Records a request refused before its body was parsed (authentication,
/// an unknown operation, a body too large or not JSON): it counts without
/// a table.
pub fn rejected(engine: &Engine, operation: Option<&str>, error: &ProtocolError) {
    let metrics = engine.metrics();
    if !metrics.enabled() {
        return;
    }
    let operation = Operation::named(operation.unwrap_or_default());
    metrics
        .account()
        .operation(operation)
        .record(outcome_of(error), std::time::Duration::ZERO);
}

/// The series of an existing table named by `given` (a name or an ARN);
/// `None` for a table that does not exist, so that no client input
/// creates series.
fn known_table(engine: &Engine, given: &str) -> Option<std::sync::Arc<TableSeries>> {
    let name = engine.resolve_table_name(given, "").ok()?;
    let metrics = engine.metrics();
    match metrics.table(name) {
        Some(series) => Some(series),
        None if engine.has_table(name) => Some(metrics.table_or_register(name)),
        None => None,
    }
}

/// Calls `visit` with each table the request names, once each: its
/// TableName, the keys of a batch's RequestItems, or the tables of a
/// transaction's actions.
fn for_each_table<'a>(request: &'a Map<String, Value>, mut visit: impl FnMut(&'a str)) {
    if let Some(name) = request.get("TableName").and_then(Value::as_str) {
        visit(name);
    } else if let Some(Value::Object(items)) = request.get("RequestItems") {
        items.keys().for_each(|name| visit(name));
    } else if let Some(Value::Array(actions)) = request.get("TransactItems") {
        for (index, action) in actions.iter().enumerate() {
            // At most 100 actions: a quadratic look back costs less than a set.
            if let Some(name) = action_table(action) {
                if !actions[..index]
                    .iter()
                    .any(|earlier| action_table(earlier) == Some(name))
                {
                    visit(name);
                }
            }
        }
    }
}

/// The TableName of a transaction action (`{"Put": {"TableName": ...}}`).
fn action_table(action: &Value) -> Option<&str> {
    action.as_object()?.values().next()?.get("TableName")?.as_str()
}

/// Which CloudWatch error metric a failure counts in.
fn outcome_of(error: &ProtocolError) -> Outcome {
    let (status, type_name) = error.status_and_type();
    if status >= 500 {
        return Outcome::SystemError;
    }
    match type_name {
        "ConditionalCheckFailedException" => Outcome::ConditionalCheckFailed,
        "TransactionConflictException" => Outcome::TransactionConflict,
        "ProvisionedThroughputExceededException" | "RequestLimitExceeded" | "ThrottlingException" => Outcome::Throttled,
        "TransactionCanceledException" => match error {
            ProtocolError::Engine(EngineError::TransactionCanceled { reasons })
                if reasons.iter().any(|reason| reason.code == "TransactionConflict") =>
            {
                Outcome::TransactionConflict
            }
            _ => Outcome::UserError,
        },
        _ => Outcome::UserError,
    }
}
