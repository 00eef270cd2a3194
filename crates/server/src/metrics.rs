//! `GET /metrics`: the Prometheus text exposition, on the main listener and
//! on the optional metrics listener.
//!
//! Table and index names are metadata, so by default a scrape must carry
//! `Authorization: Bearer <token>` (Prometheus: `authorization:
//! credentials_file:`); the token is compared in constant time.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use halyard_engine::Engine;
use halyard_iam::credentials::Secret;
use subtle::ConstantTimeEq;

/// Who may scrape.
#[derive(Debug)]
pub enum MetricsAccess {
    /// Whoever presents this bearer token.
    Bearer(Secret),
    /// Anyone who can reach the listener (`--metrics-auth off`).
    Open,
}

/// What a scrape is answered from.
pub struct Scrape {
    pub engine: Arc<Engine>,
    pub access: MetricsAccess,
}

/// The router of the separate metrics listener: `/metrics` only.
pub fn metrics_router(scrape: Arc<Scrape>) -> Router {
    Router::new().route("/metrics", get(serve_scrape)).with_state(scrape)
}

async fn serve_scrape(State(scrape): State<Arc<Scrape>>, headers: HeaderMap) -> Response {
    answer(&scrape, &headers).await
}

/// The exposition page, or 401 without the right token.
pub(crate) async fn answer(scrape: &Scrape, headers: &HeaderMap) -> Response {
    if let MetricsAccess::Bearer(token) = &scrape.access {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        let allowed = given.is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.expose().as_bytes())));
        if !allowed {
            return (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, "Bearer realm=\"halyard metrics\"")],
                "a valid metrics bearer token is required\n",
            )
                .into_response();
        }
    }
    let engine = scrape.engine.clone();
    // Reads the expiry indexes and stream logs: off the async threads.
    match tokio::task::spawn_blocking(move || engine.render_metrics()).await {
        Ok(page) => (StatusCode::OK, [(CONTENT_TYPE, halyard_metrics::CONTENT_TYPE)], page).into_response(),
        Err(error) => {
            tracing::error!(%error, "metrics scrape failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
