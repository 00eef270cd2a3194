//! Compressed responses, for clients that send `Accept-Encoding`.
//!
//! Like DynamoDB, a response of [`COMPRESS_FROM`] bytes or more is sent
//! gzip- or deflate-compressed when the client accepts either, and its
//! `x-amz-crc32` is the CRC32 of the compressed bytes, the ones on the wire
//! (that is what the SDKs check: botocore before it decodes anything, and the
//! Go and Java SDKs say so). The choice follows RFC 9110: the highest
//! quality wins; at equal quality a coding named outright beats one that
//! `*` stands for, then the one listed first; `*` prefers gzip; `q=0`
//! refuses. A `q` that does not parse counts as 1 and one above 1 as 1, as
//! DynamoDB does. Only the last Accept-Encoding header counts, as in DynamoDB.

use std::io::Write;

use axum::http::header::ACCEPT_ENCODING;
use axum::http::HeaderMap;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

/// DynamoDB compresses responses from 4 KiB on.
pub const COMPRESS_FROM: usize = 4096;

/// Bodies larger than this are compressed on a blocking thread.
const COMPRESS_INLINE_UP_TO: usize = 1024 * 1024;

/// A coding a response can be sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseCoding {
    Gzip,
    Deflate,
}

impl ResponseCoding {
    pub fn name(self) -> &'static str {
        match self {
            ResponseCoding::Gzip => "gzip",
            ResponseCoding::Deflate => "deflate",
        }
    }
}

/// How much the client wants one coding.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
struct Preference {
    quality: f64,
    /// Named outright rather than through `*`.
    named: bool,
    /// Minus its position in the header: earlier is better.
    earliness: isize,
}

/// The coding to compress a response in, if the client accepts one.
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseCoding> {
    let value = headers.get_all(ACCEPT_ENCODING).iter().next_back()?.to_str().ok()?;
    let mut gzip: Option<Preference> = None;
    let mut deflate: Option<Preference> = None;
    let mut any: Option<Preference> = None;
    for (position, entry) in value.split(',').enumerate() {
        let mut parts = entry.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let quality = parts
            .filter_map(|parameter| parameter.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, value)| value.trim().parse::<f64>().unwrap_or(1.0).min(1.0));
        let preference = Preference {
            quality,
            named: name != "*",
            earliness: -isize::try_from(position).unwrap_or(isize::MAX),
        };
        let slot = if name.eq_ignore_ascii_case("gzip") {
            &mut gzip
        } else if name.eq_ignore_ascii_case("deflate") {
            &mut deflate
        } else if name == "*" {
            &mut any
        } else {
            continue;
        };
        // A coding listed twice keeps its best entry.
        if slot.is_none_or(|kept| kept.quality < quality) {
            *slot = Some(preference);
        }
    }
    let gzip = gzip.or(any);
    let deflate = deflate.or(any);
    let acceptable = |preference: Option<Preference>| preference.filter(|p| p.quality > 0.0);
    match (acceptable(gzip), acceptable(deflate)) {
        (Some(gzip), Some(deflate)) if deflate > gzip => Some(ResponseCoding::Deflate),
        (Some(_), _) => Some(ResponseCoding::Gzip),
        (None, Some(_)) => Some(ResponseCoding::Deflate),
        (None, None) => None,
    }
}

/// `body` compressed in `coding`.
pub async fn compress(body: Vec<u8>, coding: ResponseCoding) -> Vec<u8> {
    if body.len() <= COMPRESS_INLINE_UP_TO {
        return compress_now(&body, coding);
    }
    match tokio::task::spawn_blocking(move || compress_now(&body, coding)).await {
        Ok(compressed) => compressed,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

fn compress_now(body: &[u8], coding: ResponseCoding) -> Vec<u8> {
    // Writing to a Vec cannot fail. The fastest level: JSON compresses well
    // at any level, and the time is the client's latency.
    let level = Compression::fast();
    let written = match coding {
        ResponseCoding::Gzip => {
            let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), level);
            encoder.write_all(body).and_then(|_| encoder.finish())
        }
        ResponseCoding::Deflate => {
            let mut encoder = ZlibEncoder::new(Vec::with_capacity(body.len() / 4), level);
            encoder.write_all(body).and_then(|_| encoder.finish())
        }
    };
    written.expect("compressing into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(accept_encoding: &str) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, accept_encoding.parse().unwrap());
        negotiate(&headers).map(ResponseCoding::name)
    }

    #[test]
    fn negotiation_follows_quality_then_naming_then_order() {
        // The cases DynamoDB was measured on (ScyllaDB Alternator's
        // test_compressed_response.py, run against AWS).
        let cases = [
            ("identity", None),
            ("", None),
            ("br", None),
            ("x-gzip", None),
            ("gzip", Some("gzip")),
            ("deflate", Some("deflate")),
            ("gzip, deflate", Some("gzip")),
            ("br, identity, deflate, gzip", Some("deflate")),
            ("GZIP, identity", Some("gzip")),
            ("dog, gzip ,, cat", Some("gzip")),
            ("gzip;q=0.8, deflate;q=0.5", Some("gzip")),
            ("br, gzip;q=0, deflate; q = 0.5 , identity;q=0", Some("deflate")),
            ("*", Some("gzip")),
            ("*, deflate;q=0.5", Some("gzip")),
            ("*, deflate", Some("deflate")),
            ("*, identity", Some("gzip")),
            ("*, gzip;q=0.5", Some("deflate")),
            ("gzip ;q=0", None),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("*;q=0.5,identity", Some("gzip")),
            ("gzip;q=0.5,identity;q=0.8", Some("gzip")),
            ("br;q=0.8,identity;q=0.5,*;q=0", None),
            ("\"gzip\"", None),
            ("gzip br", None),
            ("gzip:q=1", None),
            ("deflate;q=0.5, gzip;q=31", Some("gzip")),
            ("gzip;q=31,deflate;q=51", Some("gzip")),
            ("deflate;q=0.5, gzip;q=0.2", Some("deflate")),
            ("deflate;q=0.5, gzip;q=1;q=0.2", Some("gzip")),
            ("deflate;q=0.5,gzip;q=0.", Some("deflate")),
            ("deflate;q=0.5,gzip;q=0.x", Some("gzip")),
            ("deflate;q=-0.5,gzip;q=0.2", Some("gzip")),
            ("gzip;nq=1;q=0 ", None),
            ("gzip;q=0, gzip;q=1, gzip;q=0", Some("gzip")),
            ("br,identity;q=0.5,gzip;q=0.0001", Some("gzip")),
        ];
        for (accept_encoding, expected) in cases {
            assert_eq!(chosen(accept_encoding), expected, "Accept-Encoding: {accept_encoding}");
        }
    }

    #[tokio::test]
    async fn compressed_bodies_decompress_to_the_original() {
        use std::io::Read;
        let body = br#"{"Item":{"pk":{"S":"a"}}}"#.repeat(100_000);
        let gzipped = compress(body.clone(), ResponseCoding::Gzip).await;
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzipped[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        let deflated = compress(body.clone(), ResponseCoding::Deflate).await;
        let mut decoded = Vec::new();
        flate2::read::ZlibDecoder::new(&deflated[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
    }
}
