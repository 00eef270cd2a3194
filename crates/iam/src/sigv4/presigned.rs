//! Presigned query strings: `X-Amz-Algorithm`, `X-Amz-Credential`,
//! `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`
//! and, for temporary credentials, `X-Amz-Security-Token`.

use percent_encoding::percent_decode_str;

use super::authorization::{parse_signed_headers, CredentialScope, ALGORITHM};
use crate::credentials::Secret;
use crate::error::AuthError;

/// The longest validity a presigned URL may ask for: seven days.
pub const MAX_EXPIRES_SECONDS: i64 = 604_800;

/// The query parameter that carries the signature (and is left out of the
/// canonical query string).
pub const SIGNATURE_PARAM: &str = "X-Amz-Signature";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedParams {
    pub scope: CredentialScope,
    pub amz_date: String,
    pub expires_seconds: i64,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// A secret: kept in a [`Secret`] so that `Debug` does not show it.
    pub security_token: Option<Secret>,
}

/// Whether a query string carries presigned-URL authentication at all.
pub fn is_presigned(raw_query: &str) -> bool {
    raw_query.split('&').any(|pair| {
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        key == "X-Amz-Algorithm" || key == "X-Amz-Credential" || key == SIGNATURE_PARAM
    })
}

/// Reads the authentication parameters from a raw query string.
pub fn parse_presigned(raw_query: &str) -> Result<PresignedParams, AuthError> {
    let mut algorithm = None;
    let mut credential = None;
    let mut date = None;
    let mut expires = None;
    let mut signed_headers = None;
    let mut signature = None;
    let mut token = None;
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
        let slot = match key {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-Date" => &mut date,
            "X-Amz-Expires" => &mut expires,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            SIGNATURE_PARAM => &mut signature,
            "X-Amz-Security-Token" => &mut token,
            _ => continue,
        };
        *slot = Some(value);
    }
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers)) =
        (algorithm, credential, signature, date, signed_headers)
    else {
        return Err(AuthError::IncompleteSignature(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', \
             'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the \
             query-string parameters."
                .to_string(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let expires_seconds = match expires {
        None => MAX_EXPIRES_SECONDS,
        Some(text) => parse_expires(&text)?,
    };
    Ok(PresignedParams {
        scope: CredentialScope::parse(&credential)?,
        amz_date: date,
        expires_seconds,
        signed_headers: parse_signed_headers(&signed_headers),
        signature,
        security_token: token.map(Secret::new),
    })
}

fn parse_expires(text: &str) -> Result<i64, AuthError> {
    let valid = !text.is_empty() && text.len() <= 7 && text.bytes().all(|b| b.is_ascii_digit());
    let seconds = if valid { text.parse::<i64>().ok() } else { None };
    match seconds {
        Some(s) if s <= MAX_EXPIRES_SECONDS => Ok(s),
        Some(_) => Err(AuthError::IncompleteSignature(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES_SECONDS}"
        ))),
        None => Err(AuthError::IncompleteSignature(
            "X-Amz-Expires should be a number".to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presigned_parameters_parse() {
        let q = "Action=ListTables&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20261201T120000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=ab";
        assert!(is_presigned(q));
        let p = parse_presigned(q).unwrap();
        assert_eq!(p.scope.access_key_id, "AKID");
        assert_eq!(p.expires_seconds, 300);
        assert_eq!(p.signed_headers, ["host"]);
        assert_eq!(p.security_token, None);
    }

    #[test]
    fn missing_or_bad_parameters_are_refused() {
        assert!(!is_presigned("Action=ListTables"));
        assert!(parse_presigned("X-Amz-Signature=ab").is_err());
        let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A/1/r/s/aws4_request&X-Amz-Date=20261201T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=ab";
        assert!(parse_presigned(&format!("{base}&X-Amz-Expires=604801")).is_err());
        assert!(parse_presigned(&format!("{base}&X-Amz-Expires=-1")).is_err());
        assert!(parse_presigned(&format!("{base}&X-Amz-Expires=99999999999999999999")).is_err());
    }
}
