//! Halyard's own routes beside the DynamoDB API.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::security::AuthMode;

/// Set while a check runs: one at a time, since each reads the whole store.
static CHECK_RUNNING: AtomicBool = AtomicBool::new(false);

struct CheckTurn;

impl Drop for CheckTurn {
    fn drop(&mut self) {
        CHECK_RUNNING.store(false, Ordering::Release);
    }
}

/// `GET /halyard/check`: `halyard check` on one snapshot of the live store,
/// on a thread of its own at the lowest CPU priority, so that requests go
/// on being served first (and writes committed: a snapshot does not block
/// the writer). Answers the report as JSON; 409 while another check runs.
///
/// With SigV4 on, only the account's root may ask: a check reads the whole
/// store, and its report names tables.
pub(crate) async fn check(State(app): State<Arc<crate::App>>, request: Request) -> Response {
    if app.security.mode() == AuthMode::SigV4 {
        let (parts, _) = request.into_parts();
        match app
            .security
            .authenticate(&parts, b"", None, crate::request_facts(&parts))
        {
            Ok(authenticated) if authenticated.caller.grants.root => {}
            Ok(_) => {
                let body = json!({ "message": "only the account's root credentials may run a check" });
                return (StatusCode::FORBIDDEN, body.to_string()).into_response();
            }
            Err(error) => {
                let body = json!({ "__type": error.namespaced_type(), "message": error.to_string() });
                return (StatusCode::BAD_REQUEST, body.to_string()).into_response();
            }
        }
    }
    let engine = app.engine.clone();
    if CHECK_RUNNING.swap(true, Ordering::AcqRel) {
        let body = json!({ "message": "a check is already running" });
        return (StatusCode::CONFLICT, body.to_string()).into_response();
    }
    let turn = CheckTurn;
    let (report, outcome) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new().name("halyard-check".into()).spawn(move || {
        let _turn = turn;
        lower_this_threads_priority();
        let _ = report.send(engine.check());
    });
    let outcome = match spawned {
        Ok(_) => outcome.await.map_err(|error| error.to_string()),
        Err(error) => Err(error.to_string()),
    };
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
            json!({ "message": error }).to_string(),
        ),
    };
    (status, [("content-type", "application/json")], body).into_response()
}

/// Nice 19 for the calling thread only (on Linux, a thread's nice value is
/// its own): the check yields the CPU to request handling and the writer.
fn lower_this_threads_priority() {
    // SAFETY: setpriority only reads its integer arguments; `who` 0 is the
    // calling thread.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
    if result != 0 {
        tracing::debug!(error = %std::io::Error::last_os_error(), "could not lower the check's priority");
    }
}

/// The most a `POST /halyard/backup` body may hold.
const BACKUP_REQUEST_LIMIT: usize = 64 * 1024;

/// `POST /halyard/backup` with `{"directory": PATH}`: `halyard backup` of
/// the live store into PATH on this host, from one snapshot (writes go
/// on), on a thread of its own. Only the account's root may ask (with
/// SigV4 on): a backup holds everything. Answers the manifest's summary.
pub(crate) async fn backup(State(app): State<Arc<crate::App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let reply = |status: StatusCode, message: String| {
        let body = json!({ "message": message }).to_string();
        (status, [("content-type", "application/json")], body).into_response()
    };
    let Ok(body) = axum::body::to_bytes(body, BACKUP_REQUEST_LIMIT).await else {
        return reply(StatusCode::BAD_REQUEST, "the request body is too large".into());
    };
    if app.security.mode() == AuthMode::SigV4 {
        match app
            .security
            .authenticate(&parts, &body, None, crate::request_facts(&parts))
        {
            Ok(authenticated) if authenticated.caller.grants.root => {}
            Ok(_) => {
                return reply(
                    StatusCode::FORBIDDEN,
                    "only the account's root credentials may back up".into(),
                )
            }
            Err(error) => return reply(StatusCode::BAD_REQUEST, error.to_string()),
        }
    }
    let directory = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|request| request.get("directory")?.as_str().map(std::path::PathBuf::from));
    let Some(directory) = directory.filter(|path| path.is_absolute()) else {
        return reply(
            StatusCode::BAD_REQUEST,
            "expected {\"directory\": ABSOLUTE_PATH}".into(),
        );
    };
    let engine = app.engine.clone();
    let (done, outcome) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("halyard-store-backup".into())
        .spawn(move || {
            lower_this_threads_priority();
            let _ = done.send(engine.back_up_store(&directory));
        });
    if let Err(error) = spawned {
        return reply(StatusCode::INTERNAL_SERVER_ERROR, error.to_string());
    }
    match outcome.await {
        Ok(Ok(manifest)) => {
            let bytes: u64 = manifest.files.iter().map(|file| file.bytes).sum();
            reply(
                StatusCode::OK,
                format!("{} file(s), {bytes} bytes", manifest.files.len()),
            )
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "store backup failed");
            reply(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
        }
        Err(error) => reply(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
    }
}
