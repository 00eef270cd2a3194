//! Halyard's own routes beside the DynamoDB API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use halyard_engine::Engine;
use serde_json::json;

/// Set while a check runs: one at a time, since each reads the whole store.
static CHECK_RUNNING: AtomicBool = AtomicBool::new(false);

struct CheckTurn;

impl Drop for CheckTurn {
    fn drop(&mut self) {
        CHECK_RUNNING.store(false, Ordering::Release);
    }
}

/// `GET /halyard/check`: `halyard check` on one snapshot of the live store,
/// on a blocking thread so that requests go on being served (and writes
/// committed: a snapshot does not block the writer). Answers the report as
/// JSON; 409 while another check runs.
pub(crate) async fn check(State(engine): State<Arc<Engine>>) -> Response {
    if CHECK_RUNNING.swap(true, Ordering::AcqRel) {
        let body = json!({ "message": "a check is already running" });
        return (StatusCode::CONFLICT, body.to_string()).into_response();
    }
    let turn = CheckTurn;
    let outcome = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        engine.check()
    })
    .await;
    let (status, body) = match outcome {
        Ok(Ok(report)) => (
            StatusCode::OK,
            serde_json::to_string(&report).expect("reports serialise"),
        ),
        Ok(Err(error)) => {
            tracing::error!(%error, "check failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "message": error.to_string() }).to_string(),
            )
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "message": error.to_string() }).to_string(),
        ),
    };
    (status, [("content-type", "application/json")], body).into_response()
}
