//! The canonical request and the string to sign, byte for byte as AWS's
//! signers (botocore's SigV4Auth) build them.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use super::authorization::{CredentialScope, ALGORITHM};

/// RFC 3986 unreserved characters stay; everything else is `%XX`.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// The path keeps its slashes.
const PATH: &AsciiSet = &QUERY_COMPONENT.remove(b'/');

/// The path as received, dot segments and empty segments removed, then
/// encoded once more: AWS signs the already-encoded path encoded again (a
/// space is `%20` on the wire and `%2520` in the canonical request) for
/// every service but S3.
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = remove_dot_segments(raw_path);
    utf8_percent_encode(&normalized, PATH).to_string()
}

fn remove_dot_segments(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut output: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                output.pop();
            }
            s => output.push(s),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !output.is_empty() {
        "/"
    } else {
        ""
    };
    format!("{first}{}{last}", output.join("/"))
}

/// The query string's pairs, each side decoded and re-encoded with AWS's
/// encoding, sorted by key then value; `exclude` (the presigned
/// `X-Amz-Signature`) is left out.
pub fn canonical_query(raw_query: &str, exclude: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (reencode(key), reencode(value))
        })
        .filter(|(key, _)| Some(key.as_str()) != exclude)
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn reencode(component: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(component).collect();
    percent_encoding::percent_encode(&decoded, QUERY_COMPONENT).to_string()
}

/// `name:value\n` for each signed header, in the signed-headers order: the
/// values of a repeated header joined by commas, each trimmed and with runs
/// of spaces collapsed. A signed header the request lacks signs as empty
/// (and so fails to match what the client signed).
pub fn canonical_headers(headers: &[(&str, &str)], signed: &[String]) -> String {
    let mut out = String::new();
    push_canonical_headers(&mut out, headers, signed);
    out
}

fn push_canonical_headers(out: &mut String, headers: &[(&str, &str)], signed: &[String]) {
    for name in signed {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if !first {
                out.push(',');
            }
            first = false;
            push_trimmed(out, value);
        }
        out.push('\n');
    }
}

/// Python's `' '.join(value.split())`: whitespace runs become one space.
fn push_trimmed(out: &mut String, value: &str) {
    for (i, word) in value.split_ascii_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The parts of a canonical request.
pub struct CanonicalParts<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub exclude_query_key: Option<&'a str>,
    pub headers: &'a [(&'a str, &'a str)],
    pub signed_headers: &'a [String],
    pub payload_hash: &'a str,
}

/// Written into one string: every request builds it, and the usual one
/// (path `/`, no query) needs no other.
pub fn canonical_request(parts: &CanonicalParts<'_>) -> String {
    let header_bytes: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.len() + 2)
        .sum();
    let mut out = String::with_capacity(
        parts.method.len()
            + parts.raw_path.len()
            + parts.raw_query.len()
            + 2 * header_bytes
            + parts.payload_hash.len()
            + 8,
    );
    out.extend(parts.method.chars().map(|c| c.to_ascii_uppercase()));
    out.push('\n');
    if parts.raw_path == "/" {
        // What canonical_uri makes of it.
        out.push('/');
    } else {
        out.push_str(&canonical_uri(parts.raw_path));
    }
    out.push('\n');
    if !parts.raw_query.is_empty() {
        out.push_str(&canonical_query(parts.raw_query, parts.exclude_query_key));
    }
    out.push('\n');
    push_canonical_headers(&mut out, parts.headers, parts.signed_headers);
    out.push('\n');
    for (i, name) in parts.signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(parts.payload_hash);
    out
}

pub fn string_to_sign(amz_date: &str, scope: &CredentialScope, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        scope.scope_string(),
        sha256_hex(canonical_request.as_bytes())
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_and_encoded_twice() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_uri("/a%20b"), "/a%2520b");
        assert_eq!(canonical_uri("/~x-y_z."), "/~x-y_z.");
    }

    #[test]
    fn query_is_reencoded_and_sorted() {
        assert_eq!(canonical_query("b=2&a=1&a=0", None), "a=0&a=1&b=2");
        assert_eq!(canonical_query("k=a b&j", None), "j=&k=a%20b");
        assert_eq!(canonical_query("k=%7e%2F", None), "k=~%2F");
        assert_eq!(
            canonical_query("X-Amz-Signature=ab&x=1", Some("X-Amz-Signature")),
            "x=1"
        );
    }

    #[test]
    fn headers_are_trimmed_collapsed_and_joined() {
        let headers = [("X-A", "  one   two "), ("x-a", "three"), ("Host", "h")];
        let signed = ["host".to_string(), "x-a".to_string()];
        assert_eq!(canonical_headers(&headers, &signed), "host:h\nx-a:one two,three\n");
    }
}
