//! The `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
//! Signature=...` header, parsed as strictly as AWS parses it, and the
//! credential scope shared with presigned URLs.

use crate::error::AuthError;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const TERMINATOR: &str = "aws4_request";

/// `AKID/20261201/us-east-1/dynamodb/aws4_request`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key_id: String,
    /// `YYYYMMDD`.
    pub date: String,
    pub region: String,
    pub service: String,
}

impl CredentialScope {
    /// Splits a credential; the access key id is everything before the
    /// last four `/`-separated parts.
    pub fn parse(credential: &str) -> Result<CredentialScope, AuthError> {
        let mut parts = credential.rsplitn(5, '/');
        let (Some(terminator), Some(service), Some(region), Some(date), Some(key)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::IncompleteSignature(format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                credential.split('/').nth(2).unwrap_or("")
            )));
        };
        if terminator != TERMINATOR {
            return Err(AuthError::IncompleteSignature(format!(
                "Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
            )));
        }
        if key.is_empty() {
            return Err(AuthError::UnrecognizedClient);
        }
        Ok(CredentialScope {
            access_key_id: key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        })
    }

    /// `date/region/service/aws4_request`, as the string to sign has it.
    pub fn scope_string(&self) -> String {
        format!("{}/{}/{}/{TERMINATOR}", self.date, self.region, self.service)
    }
}

/// What an Authorization header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    pub scope: CredentialScope,
    /// Lowercase header names in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// The signature as the client sent it (hex, not yet validated).
    pub signature: String,
}

/// Parses an Authorization header. `has_date` says whether the request
/// carries an `X-Amz-Date` or `Date` header: AWS reports its absence in the
/// same message as missing parameters.
pub fn parse_authorization_header(header: &str, has_date: bool) -> Result<AuthorizationHeader, AuthError> {
    let (algorithm, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    // AWS splits on commas and whitespace alike: a stray space inside the
    // credential makes its tail a "pair" without an equal sign.
    for part in rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = part.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match key.trim() {
            "Credential" => credential = Some(value.trim()),
            "SignedHeaders" => signed_headers = Some(value.trim()),
            "Signature" => signature = Some(value.trim()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if !has_date {
        missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, missing.is_empty())
    else {
        return Err(AuthError::IncompleteSignature(format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    };
    if algorithm != ALGORITHM {
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    Ok(AuthorizationHeader {
        scope: CredentialScope::parse(credential)?,
        signed_headers: parse_signed_headers(signed_headers),
        signature: signature.to_string(),
    })
}

/// `content-type;host;x-amz-date` → names, lowercased.
pub fn parse_signed_headers(list: &str) -> Vec<String> {
    list.split(';')
        .filter(|name| !name.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";

    #[test]
    fn a_well_formed_header_parses() {
        let parsed = parse_authorization_header(GOOD, true).unwrap();
        assert_eq!(parsed.scope.access_key_id, "AKIDEXAMPLE");
        assert_eq!(parsed.scope.date, "20261201");
        assert_eq!(parsed.scope.region, "us-east-1");
        assert_eq!(parsed.scope.service, "dynamodb");
        assert_eq!(parsed.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(parsed.signature, "abcd");
    }

    #[test]
    fn missing_parameters_are_listed_in_aws_order() {
        let err = parse_authorization_header("AWS4-HMAC-SHA256 Credential=A/1/r/s/aws4_request", false).unwrap_err();
        assert_eq!(
            err,
            AuthError::IncompleteSignature(
                "Authorization header requires 'Signature' parameter. Authorization header requires \
                 'SignedHeaders' parameter. Authorization header requires existence of either a \
                 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=A/1/r/s/aws4_request"
                    .to_string()
            )
        );
    }

    #[test]
    fn a_pair_without_equal_sign_is_named() {
        let header = "AWS4-HMAC-SHA256 Credential=AKID /20261201/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=ab";
        let err = parse_authorization_header(header, true).unwrap_err();
        assert_eq!(err.type_name(), "IncompleteSignatureException");
        assert_eq!(
            err.to_string(),
            format!("'/20261201/us-east-1/dynamodb/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'.")
        );
    }

    #[test]
    fn bad_terminators_and_short_scopes_are_refused() {
        assert!(CredentialScope::parse("AKID/20261201/us-east-1/dynamodb/aws4").is_err());
        assert!(CredentialScope::parse("AKID/20261201/us-east-1").is_err());
        let scope = CredentialScope::parse("A/K/20261201/r/s/aws4_request").unwrap();
        assert_eq!(scope.access_key_id, "A/K");
    }
}
