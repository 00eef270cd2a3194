//! CORS, so that browser code (the JS SDK in a page) can call the server.
//!
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//! is answered the way DynamoDB answers it: 200, no body, the requested
//! headers allowed, `POST` allowed, cached for 2 days. Every other answer to
//! a request with an allowed `Origin` names the origin and exposes the
//! response headers the SDKs read. DynamoDB allows any origin, and so does
//! the default; `--cors-origins` narrows it to a list, or to none.

use std::str::FromStr;

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// DynamoDB's list, and the CRC32 that SDKs check.
const EXPOSED: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date,x-amz-crc32";
/// Two days, as DynamoDB answers.
const MAX_AGE_SECONDS: &str = "172800";

/// The origins whose pages may call the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    Any,
    /// Exactly these (none: CORS is off).
    Only(Vec<HeaderValue>),
}

impl FromStr for CorsOrigins {
    type Err = String;

    /// `*`, a comma-separated list of origins (`https://app.example.com`),
    /// or `none`.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(CorsOrigins::Any);
        }
        if text.eq_ignore_ascii_case("none") || text.is_empty() {
            return Ok(CorsOrigins::Only(Vec::new()));
        }
        text.split(',')
            .map(str::trim)
            .map(|origin| {
                let valid = origin
                    .split_once("://")
                    .is_some_and(|(scheme, host)| !scheme.is_empty() && !host.is_empty() && !host.contains('/'));
                if !valid {
                    return Err(format!(
                        "{origin:?} is not an origin: write scheme://host[:port], without a path"
                    ));
                }
                HeaderValue::from_str(origin).map_err(|_| format!("{origin:?} is not a valid header value"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(CorsOrigins::Only)
    }
}

impl CorsOrigins {
    /// What `Access-Control-Allow-Origin` says to `origin`, if it is allowed.
    fn allow(&self, origin: &HeaderValue) -> Option<HeaderValue> {
        match self {
            CorsOrigins::Any => Some(HeaderValue::from_static("*")),
            CorsOrigins::Only(origins) => origins
                .iter()
                .find(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes()))
                .map(|_| origin.clone()),
        }
    }

    fn enabled(&self) -> bool {
        !matches!(self, CorsOrigins::Only(origins) if origins.is_empty())
    }

    /// Whether the answer depends on the Origin (so caches must key on it).
    fn varies(&self) -> bool {
        matches!(self, CorsOrigins::Only(origins) if !origins.is_empty())
    }

    /// The answer to a preflight request, or `None` if this is not one (or
    /// CORS is off, when OPTIONS is answered like any other request).
    pub fn preflight(&self, method: &Method, headers: &HeaderMap) -> Option<Response> {
        if !self.enabled() || method != Method::OPTIONS || !headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let origin = headers.get(ORIGIN)?;
        let Some(allowed) = self.allow(origin) else {
            tracing::debug!(?origin, "preflight from an origin --cors-origins does not allow");
            return Some(StatusCode::FORBIDDEN.into_response());
        };
        let mut response = StatusCode::OK.into_response();
        let answer = response.headers_mut();
        answer.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        if let Some(requested) = headers.get(ACCESS_CONTROL_REQUEST_HEADERS) {
            answer.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
        }
        answer.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
        answer.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
        answer.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE_SECONDS));
        if self.varies() {
            answer.insert(VARY, HeaderValue::from_static("Origin"));
        }
        Some(response)
    }

    /// Adds the CORS headers to the answer to a request from `origin`.
    pub fn decorate(&self, origin: Option<&HeaderValue>, response: &mut Response) {
        let headers = response.headers_mut();
        if self.varies() {
            headers.append(VARY, HeaderValue::from_static("Origin"));
        }
        let Some(allowed) = origin.and_then(|origin| self.allow(origin)) else {
            return;
        };
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
        headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse() {
        assert_eq!("*".parse::<CorsOrigins>().unwrap(), CorsOrigins::Any);
        assert_eq!("none".parse::<CorsOrigins>().unwrap(), CorsOrigins::Only(vec![]));
        assert_eq!(
            "https://a.example, http://localhost:3000"
                .parse::<CorsOrigins>()
                .unwrap(),
            CorsOrigins::Only(vec![
                HeaderValue::from_static("https://a.example"),
                HeaderValue::from_static("http://localhost:3000"),
            ])
        );
        assert!("a.example".parse::<CorsOrigins>().is_err());
        assert!("https://a.example/path".parse::<CorsOrigins>().is_err());
    }

    #[test]
    fn only_listed_origins_are_allowed() {
        let origins: CorsOrigins = "https://a.example".parse().unwrap();
        assert!(origins.allow(&HeaderValue::from_static("https://a.example")).is_some());
        assert!(origins.allow(&HeaderValue::from_static("https://b.example")).is_none());
        assert!(CorsOrigins::Only(vec![])
            .allow(&HeaderValue::from_static("https://a.example"))
            .is_none());
    }
}
