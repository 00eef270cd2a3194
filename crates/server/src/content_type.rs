//! Which request Content-Types DynamoDB serves, and how it answers the rest.
//!
//! A request with a body is served only as `application/x-amz-json-1.0` or
//! `application/json` (parameters such as `charset` are ignored, and media
//! types compare without regard to case). Any other type, a missing one and
//! `application/x-amz-json-1.1` included, gets the 404 that AWS's front end
//! sends for a request no operation claims. A request without a body is not
//! checked. tests/e2e/ORACLE_NOTES.md records the sources.

use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;

pub(crate) const JSON_1_0: &str = "application/x-amz-json-1.0";
const JSON: &str = "application/json";

/// The body of the 404 answer; it goes out without a Content-Type.
pub const NOT_FOUND_BODY: &[u8] = b"<UnknownOperationException/>\n";

/// The Content-Type to answer with, or `None` if the request is refused.
/// A request sent as plain JSON is answered as plain JSON.
pub fn response_type(headers: &HeaderMap, has_body: bool) -> Option<&'static str> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or_default().trim());
    match media_type {
        Some(media_type) if media_type.eq_ignore_ascii_case(JSON_1_0) => Some(JSON_1_0),
        Some(media_type) if media_type.eq_ignore_ascii_case(JSON) => Some(JSON),
        _ if !has_body => Some(JSON_1_0),
        _ => None,
    }
}
