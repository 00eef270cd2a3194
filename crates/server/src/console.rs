//! The web console's routes under `/console/` (see [`halyard_console`]):
//! its static assets, the session API (sign-in, session, sign-out), a
//! permission probe, and `POST /console/api`, where the console's DynamoDB
//! calls (`X-Amz-Target` and DynamoDB's JSON body, as an SDK sends them)
//! enter the same pipeline as SDK calls: authenticated by the session
//! instead of SigV4, then authorised and executed by [`crate::execute`];
//! `POST /console/api/iam` does the same for IAM's query-protocol actions
//! (form body in, IAM's XML out), authorised by halyard-iam as `iam:*`.
//! KMS's `TrentService.*` targets on `/console/api` take KMS's own service
//! step ([`crate::kms_api`]); `POST /console/api/metrics` serves a table's
//! recent metrics ([`metrics`]).
//!
//! Every state-changing call must carry the session's CSRF token in
//! `X-Halyard-Csrf` and, when the browser names one, come from the
//! console's own origin.

mod metrics;

use std::sync::Arc;

use axum::body::{Body, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use halyard_audit::EventSource;
use halyard_console::headers::{self, CSRF_HEADER};
use halyard_console::session::{self, SignIn};
use halyard_console::{assets, Console, ConsoleError, Identity, Session};
use halyard_iam::access::Caller;
use halyard_iam::directory::Grants;
use halyard_protocol::{AccessCheck, Authorizer, ProtocolError};
use serde_json::{json, Value};

use crate::security::AuthMode;
use crate::{authorizer, body, decoding, request_facts, App, BodyLimits, ConnectionInfo, RequestId};

/// The actions the console asks about before offering them.
const PROBED_ACTIONS: [&str; 5] = [
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
];

/// The console's routes, to merge into the server's router.
pub fn routes(console: Arc<Console>, engine_metrics: Arc<halyard_metrics::Metrics>) -> Router<Arc<App>> {
    Router::new()
        .route("/console", get(|| async { redirect_to_page() }))
        .route("/console/", get(|| async { asset("") }))
        .route(
            "/console/{*path}",
            get(|Path(path): Path<String>| async move { asset(&path) }),
        )
        .route(
            "/console/api/session",
            get(current_session).post(sign_in).delete(sign_out),
        )
        .route("/console/api/allowed", post(allowed))
        .route("/console/api", post(call))
        .route("/console/api/iam", post(iam_call))
        .route("/console/api/metrics", post(metrics::table_metrics))
        .layer(Extension(console))
        .layer(Extension(metrics::sampled(engine_metrics)))
        .layer(middleware::map_response(secure_headers))
}

async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in headers::SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn redirect_to_page() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(LOCATION, "/console/")]).into_response()
}

fn asset(path: &str) -> Response {
    match assets::get(path) {
        Some(asset) => ([(CONTENT_TYPE, asset.content_type)], asset.bytes).into_response(),
        None => (StatusCode::NOT_FOUND, [(CONTENT_TYPE, "text/plain")], "not found\n").into_response(),
    }
}

fn refused(error: ConsoleError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(CONTENT_TYPE, "application/json")], error.body()).into_response()
}

fn json_response(value: Value) -> Response {
    ([(CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

fn secure(parts: &Parts) -> bool {
    parts.extensions.get::<ConnectionInfo>().is_some_and(|c| c.secure)
}

/// A browser names the page's origin on every POST and DELETE; it must be
/// the console's own.
fn check_origin(parts: &Parts) -> Result<(), ConsoleError> {
    let Some(origin) = parts.headers.get(ORIGIN) else {
        return Ok(());
    };
    let scheme = if secure(parts) { "https" } else { "http" };
    let own = parts
        .headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("{scheme}://{host}"));
    match (origin.to_str(), own) {
        (Ok(origin), Some(own)) if origin == own => Ok(()),
        _ => Err(ConsoleError::ForeignOrigin),
    }
}

fn session_id(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(headers::session_id_in)
}

/// The request's live session and the caller it acts as; for a
/// state-changing request, only with the session's CSRF token.
fn authenticate(app: &App, console: &Console, parts: &Parts) -> Result<(Session, Caller), ConsoleError> {
    let changes_state = parts.method != Method::GET && parts.method != Method::HEAD;
    if changes_state {
        check_origin(parts)?;
    }
    let id = session_id(parts).ok_or(ConsoleError::NoSession)?;
    let session = console.sessions.find(id).ok_or(ConsoleError::NoSession)?;
    if changes_state {
        let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !presented.is_some_and(|token| session.csrf_matches(token)) {
            return Err(ConsoleError::CsrfMismatch);
        }
    }
    let directory = app.security.directory();
    let grants = match &session.identity {
        Identity::Unauthenticated => Grants::root(directory.account_id()),
        Identity::Key { access_key_id, .. } => {
            let grants = session::still_valid(&**directory, access_key_id, halyard_iam::directory::now())
                .then(|| directory.grants(access_key_id))
                .flatten();
            match grants {
                Some(grants) => grants,
                None => {
                    console.sessions.close(id);
                    return Err(ConsoleError::NoSession);
                }
            }
        }
    };
    let caller = Caller {
        grants,
        facts: request_facts(parts),
    };
    Ok((session, caller))
}

fn describe_session(app: &App, session: &Session) -> Value {
    let (arn, access_key_id) = match &session.identity {
        Identity::Key { access_key_id, arn } => (Some(arn.as_str()), Some(access_key_id.as_str())),
        Identity::Unauthenticated => (None, None),
    };
    json!({
        "authenticated": app.security.mode() == AuthMode::SigV4,
        "arn": arn,
        "accessKeyId": access_key_id,
        "accountId": app.security.directory().account_id(),
        "csrfToken": session.csrf_token,
    })
}

async fn read_json(parts: &Parts, body: Body, limits: &BodyLimits) -> Result<Value, ConsoleError> {
    let bytes = read_bytes(parts, body, limits)
        .await
        .map_err(|error| ConsoleError::BadRequest(error.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|error| ConsoleError::BadRequest(error.to_string()))
}

async fn read_bytes(parts: &Parts, body: Body, limits: &BodyLimits) -> Result<axum::body::Bytes, ProtocolError> {
    let codings = decoding::request_codings(&parts.headers)?;
    let declared_length = body.size_hint().exact().and_then(|length| usize::try_from(length).ok());
    Ok(body::read_body(body, declared_length, &codings, limits).await?.bytes)
}

/// `GET /console/api/session`: who is signed in, and the CSRF token (the
/// page keeps it in memory only, so it asks again after a reload).
async fn current_session(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    match authenticate(&app, &console, &parts) {
        Ok((session, _)) => json_response(describe_session(&app, &session)),
        Err(error) => {
            let mut response = refused(error);
            let auth = if app.security.mode() == AuthMode::SigV4 {
                "sigv4"
            } else {
                "off"
            };
            response
                .headers_mut()
                .insert("x-halyard-auth", HeaderValue::from_static(auth));
            response
        }
    }
}

/// `POST /console/api/session` with `{accessKeyId, secretAccessKey,
/// sessionToken?}`: signs in (with `--auth off`, anyone, without keys).
async fn sign_in(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
    Extension(limits): Extension<BodyLimits>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let identity = async {
        check_origin(&parts)?;
        let form = read_json(&parts, body, &limits).await?;
        if app.security.mode() == AuthMode::Off {
            return Ok(Identity::Unauthenticated);
        }
        let field = |name: &str| form.get(name).and_then(Value::as_str);
        let sign_in = SignIn {
            access_key_id: field("accessKeyId").unwrap_or_default().trim(),
            secret_access_key: field("secretAccessKey").unwrap_or_default(),
            session_token: field("sessionToken").filter(|token| !token.is_empty()),
        };
        session::verify(&**app.security.directory(), &sign_in, halyard_iam::directory::now())
    }
    .await;
    match identity {
        Ok(identity) => {
            let (id, session) = console.sessions.open(identity);
            let cookie = headers::session_cookie(&id, session::LIFETIME.as_secs(), secure(&parts));
            let mut response = json_response(describe_session(&app, &session));
            response
                .headers_mut()
                .insert(SET_COOKIE, HeaderValue::from_str(&cookie).expect("ids are hex"));
            response
        }
        Err(error) => refused(error),
    }
}

/// `DELETE /console/api/session`: signs out.
async fn sign_out(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(error) = authenticate(&app, &console, &parts) {
        return refused(error);
    }
    if let Some(id) = session_id(&parts) {
        console.sessions.close(id);
    }
    let mut response = json_response(json!({}));
    let cookie = headers::cleared_cookie(secure(&parts));
    response
        .headers_mut()
        .insert(SET_COOKIE, HeaderValue::from_str(&cookie).expect("the cookie is ASCII"));
    response
}

/// `POST /console/api/allowed` with `{table}`: which of [`PROBED_ACTIONS`]
/// the caller's policies allow on the table, so that the console offers
/// only those (the API refuses the others anyway).
async fn allowed(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
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
        let answers: serde_json::Map<String, Value> = PROBED_ACTIONS
            .iter()
            .map(|action| {
                let allowed = app.security.mode() == AuthMode::Off
                    || authorizer
                        .authorize(&AccessCheck::new(action, resource.clone(), Some(table.to_string())))
                        .is_ok();
                (action.to_string(), Value::Bool(allowed))
            })
            .collect();
        Ok::<_, ConsoleError>(Value::Object(answers))
    }
    .await;
    match answer {
        Ok(answers) => json_response(answers),
        Err(error) => refused(error),
    }
}

/// `POST /console/api`: one DynamoDB, Streams or KMS call, as its caller.
async fn call(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
    Extension(limits): Extension<BodyLimits>,
    Extension(id): Extension<RequestId>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let (session, caller) = match authenticate(&app, &console, &parts) {
        Ok(found) => found,
        Err(error) => return refused(error),
    };
    let content_type = Some(crate::content_type::JSON_1_0);
    // Audited like a signed call, as the session's key.
    let mut audited = crate::audit::Call::start(&app.audit, &parts, id.as_str(), EventSource::DynamoDb);
    if let Identity::Key { access_key_id, .. } = &session.identity {
        audited.acting_as(&caller, access_key_id, app.security.directory());
    }
    if crate::kms_api::is_kms(&parts.headers) {
        return crate::kms_api::serve_console(&app, &limits, audited, &parts, body, &caller).await;
    }
    let result = async {
        let (service, operation) = parts
            .headers
            .get("x-amz-target")
            .and_then(|target| target.to_str().ok())
            .and_then(halyard_protocol::route)
            .ok_or(ProtocolError::UnknownOperation)?;
        audited.named(EventSource::DynamoDb, operation);
        let bytes = read_bytes(&parts, body, &limits).await?;
        audited.describe_dynamodb(&app.engine, operation, &bytes);
        crate::execute(&app, &caller, service, operation, &bytes, &mut audited).await
    }
    .await;
    match result {
        Ok(response) => {
            audited.finish(None);
            crate::respond(StatusCode::OK, response.into_body(), content_type, None).await
        }
        Err(error) => {
            let wire = error.to_wire();
            audited.finish(crate::audit::wire_error(&wire.body));
            crate::error_response(&error, content_type).await
        }
    }
}

/// `POST /console/api/iam`: one IAM action (`Action=ListUsers&...`), as its
/// caller.
async fn iam_call(
    State(app): State<Arc<App>>,
    Extension(console): Extension<Arc<Console>>,
    Extension(limits): Extension<BodyLimits>,
    Extension(id): Extension<RequestId>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let (session, caller) = match authenticate(&app, &console, &parts) {
        Ok(found) => found,
        Err(error) => return refused(error),
    };
    let bytes = match read_bytes(&parts, body, &limits).await {
        Ok(bytes) => bytes,
        Err(error) => return refused(ConsoleError::BadRequest(error.to_string())),
    };
    // Audited like a signed IAM call, as the session's key.
    let mut audited = crate::audit::Call::start(&app.audit, &parts, id.as_str(), EventSource::Iam);
    if let Identity::Key { access_key_id, .. } = &session.identity {
        audited.acting_as(&caller, access_key_id, app.security.directory());
    }
    let request = halyard_iam::query::QueryRequest::parse(&bytes);
    let action = request.action().unwrap_or("Unknown");
    audited.named(EventSource::Iam, action);
    audited.describe(halyard_audit::parameters::query(action, &|name| {
        request.get(name).map(str::to_string)
    }));
    let answer = crate::query_api::execute(
        &app,
        &caller,
        halyard_iam::query::QueryService::Iam,
        &request,
        id.as_str(),
        &mut audited,
    )
    .await;
    audited.finish(crate::audit::query_error(answer.status, &answer.body));
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(CONTENT_TYPE, "text/xml")], answer.body).into_response()
}
