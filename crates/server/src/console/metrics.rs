//! `POST /console/api/metrics` with `{table}`: the table's recent samples
//! for the console's graphs (requests, latency, consumed capacity,
//! throttles, errors), from a ring the server fills every
//! [`SAMPLE_INTERVAL`]. Shown to callers allowed `dynamodb:DescribeTable`
//! on the table: the graphs are what CloudWatch would show beside
//! DescribeTable's counts.

use std::sync::{Arc, Weak};

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Extension;
use halyard_console::{Console, ConsoleError};
use halyard_metrics::history::{History, Sample, SAMPLE_INTERVAL};
use halyard_metrics::Metrics;
use halyard_protocol::{AccessCheck, Authorizer};
use serde_json::{json, Map, Value};

use super::{authenticate, json_response, read_json, refused};
use crate::security::AuthMode;
use crate::{authorizer, App, BodyLimits};

fn now() -> u64 {
    u64::try_from(halyard_iam::directory::now()).unwrap_or(0)
}

/// The history the console's graphs read, sampled from `metrics` for as
/// long as the history is in use (the task ends when the router goes).
pub(super) fn sampled(metrics: Arc<Metrics>) -> Arc<History> {
    let history = Arc::new(History::default());
    let weak: Weak<History> = Arc::downgrade(&history);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval(SAMPLE_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(history) = weak.upgrade() else { return };
                history.sample(&metrics, now());
            }
        });
    }
    history
}

fn sample_json(sample: &Sample) -> Value {
    let requests: Map<String, Value> = sample
        .requests()
        .map(|(operation, count)| (operation.to_string(), json!(count)))
        .collect();
    let latency_ms = (sample.latency_count > 0).then(|| sample.latency_seconds * 1000.0 / sample.latency_count as f64);
    json!({
        "at": sample.at,
        "requests": requests,
        "errors": sample.errors,
        "throttles": sample.throttles,
        "readUnits": sample.read_units,
        "writeUnits": sample.write_units,
        "latencyMs": latency_ms,
    })
}

pub(super) async fn table_metrics(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
    Extension(history): Extension<Arc<History>>,
    Extension(limits): Extension<BodyLimits>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let answer = async {
        let (_, caller) = authenticate(&app, &console, &parts)?;
        let form = read_json(&parts, body, &limits).await?;
        let table = form
            .get("table")
            .and_then(Value::as_str)
            .ok_or_else(|| ConsoleError::BadRequest("`table` is required".into()))?;
        if app.security.mode() == AuthMode::SigV4 {
            let resource = format!(
                "arn:aws:dynamodb:{}:{}:table/{table}",
                app.engine.region(),
                app.engine.account_id()
            );
            let authorizer = authorizer::RequestAuthorizer {
                caller: &caller,
                engine: &app.engine,
                keys: &app.keys,
                policies: &app.resource_policies,
            };
            authorizer
                .authorize(&AccessCheck::new(
                    "dynamodb:DescribeTable",
                    resource,
                    Some(table.to_string()),
                ))
                .map_err(|denied| ConsoleError::AccessDenied(denied.message))?;
        }
        let samples = history.of(app.engine.metrics(), table, now()).unwrap_or_default();
        Ok::<_, ConsoleError>(json!({
            "table": table,
            "intervalSeconds": SAMPLE_INTERVAL.as_secs(),
            "samples": samples.iter().map(sample_json).collect::<Vec<_>>(),
        }))
    }
    .await;
    match answer {
        Ok(value) => json_response(value),
        Err(error) => refused(error),
    }
}
