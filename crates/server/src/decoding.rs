//! Request bodies sent with a Content-Encoding: SDKs gzip large requests.
//!
//! `gzip` (and its alias `x-gzip`), `deflate` (the zlib format, as HTTP
//! means it) and `identity` are decoded, also stacked (`gzip, deflate`:
//! gzip was applied first, so it is undone last); any other coding is
//! refused, as DynamoDB refuses it, with a 500. The body is decoded as it
//! arrives, so a compressed body is never held whole: only what it decodes
//! to is, in chunks, each reserved from the body budget before it is
//! allocated, and refused past the 16 MB limit. Every stage of a stack is
//! held to that limit too, so the work a small body can cause is bounded:
//! a zip bomb costs at most 16 MB of memory and of inflating per stage.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::mpsc;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_ENCODING;
use axum::http::HeaderMap;
use flate2::bufread::{MultiGzDecoder, ZlibDecoder};
use halyard_protocol::ProtocolError;

use sha2::{Digest, Sha256};

use crate::body::{next_data, Reservation, MAX_REQUEST_BYTES};

/// A content coding that is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
}

/// Most codings stacked on one body.
const MAX_CODINGS: usize = 3;

/// How much is decoded at a time, at most.
const CHUNK: usize = 64 * 1024;

/// The codings applied to the body, in the order they were applied (the
/// order Content-Encoding lists them, over all its header lines).
pub fn request_codings(headers: &HeaderMap) -> Result<Vec<Coding>, ProtocolError> {
    let mut codings = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| ProtocolError::UndecodableBody("The Content-Encoding header is not ASCII".into()))?;
        for name in value.split(',').map(str::trim) {
            let coding = if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                Coding::Gzip
            } else if name.eq_ignore_ascii_case("deflate") {
                Coding::Deflate
            } else if name.is_empty() || name.eq_ignore_ascii_case("identity") {
                continue;
            } else {
                return Err(ProtocolError::UndecodableBody(format!(
                    "Content-Encoding {name} is not supported: use gzip or deflate"
                )));
            };
            codings.push(coding);
        }
    }
    if codings.len() > MAX_CODINGS {
        return Err(ProtocolError::UndecodableBody(format!(
            "At most {MAX_CODINGS} content codings may be stacked"
        )));
    }
    Ok(codings)
}

/// Reads and decodes the body; see the module documentation.
/// `received` hashes the bytes as they came, for the signature check.
pub(crate) async fn decode(
    mut body: Body,
    codings: &[Coding],
    reservation: &mut Reservation<'_>,
    received_hash: &mut Sha256,
) -> Result<Bytes, ProtocolError> {
    let (input, feed) = mpsc::channel();
    let mut input = Some(input);
    let mut decoder = decoder(codings, Feed::new(feed));
    // Room for the largest request at once, so that it never moves while it
    // grows: only the pages written become resident, and the budget counts
    // those (a doubling buffer would leave each smaller copy behind).
    let mut decoded = Vec::with_capacity(MAX_REQUEST_BYTES);
    let mut scratch = vec![0u8; CHUNK];
    let mut received = 0usize;
    loop {
        // Decode all that the body so far allows, then wait for more of it.
        if decode_available(&mut decoder, &mut scratch, &mut decoded, reservation).await? {
            decoded.shrink_to_fit();
            return Ok(Bytes::from(decoded));
        }
        match next_data(&mut body).await? {
            Some(data) => {
                received += data.len();
                if received > MAX_REQUEST_BYTES {
                    return Err(ProtocolError::RequestTooLarge(received));
                }
                received_hash.update(&data);
                if let Some(input) = &input {
                    // The receiver lives in `decoder`, beside this sender.
                    let _ = input.send(data);
                }
            }
            // The decoders see the end of their input, and end too.
            None if input.is_some() => input = None,
            None => {
                return Err(ProtocolError::UndecodableBody(
                    "The request body could not be decompressed: it ended early".into(),
                ))
            }
        }
    }
}

/// Decodes into `decoded` until the input runs dry (false) or the decoded
/// stream ends (true). Each chunk is decoded into `scratch` and reserved
/// before it is appended.
async fn decode_available(
    decoder: &mut impl Read,
    scratch: &mut [u8],
    decoded: &mut Vec<u8>,
    reservation: &mut Reservation<'_>,
) -> Result<bool, ProtocolError> {
    loop {
        // One byte past the limit at most, which tells that it is passed.
        let room = scratch.len().min(MAX_REQUEST_BYTES + 1 - decoded.len());
        let count = match decoder.read(&mut scratch[..room]) {
            Ok(0) => return Ok(true),
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(error) if error.get_ref().is_some_and(|inner| inner.is::<StageTooLarge>()) => {
                return Err(ProtocolError::DecompressedTooLarge)
            }
            Err(error) => {
                return Err(ProtocolError::UndecodableBody(format!(
                    "The request body could not be decompressed: {error}"
                )))
            }
        };
        let length = decoded.len() + count;
        if length > MAX_REQUEST_BYTES {
            return Err(ProtocolError::DecompressedTooLarge);
        }
        reservation.grow_to(length).await;
        decoded.extend_from_slice(&scratch[..count]);
        // Inflating 16 MB takes a while; let other tasks run meanwhile.
        tokio::task::coop::consume_budget().await;
    }
}

/// The reader that undoes `codings`, last applied first, over `feed`.
fn decoder(codings: &[Coding], feed: Feed) -> Box<dyn Read + Send> {
    let mut input: Box<dyn BufRead + Send> = Box::new(feed);
    let mut codings = codings.iter().rev().peekable();
    loop {
        let coding = codings.next().expect("decode is called with at least one coding");
        let stage: Box<dyn Read + Send> = match coding {
            // Concatenated gzip members are one body (RFC 1952).
            Coding::Gzip => Box::new(MultiGzDecoder::new(input)),
            Coding::Deflate => Box::new(ZlibDecoder::new(input)),
        };
        let stage = Capped {
            inner: stage,
            left: MAX_REQUEST_BYTES,
        };
        if codings.peek().is_none() {
            return Box::new(stage);
        }
        input = Box::new(BufReader::with_capacity(CHUNK, stage));
    }
}

/// The body's bytes as they arrive; `WouldBlock` while the next ones are
/// awaited, which the decoders pass on without losing their state.
struct Feed {
    current: Bytes,
    arrivals: mpsc::Receiver<Bytes>,
}

impl Feed {
    fn new(arrivals: mpsc::Receiver<Bytes>) -> Self {
        Feed {
            current: Bytes::new(),
            arrivals,
        }
    }
}

impl Read for Feed {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let count = available.len().min(into.len());
        into[..count].copy_from_slice(&available[..count]);
        self.consume(count);
        Ok(count)
    }
}

impl BufRead for Feed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.current.is_empty() {
            match self.arrivals.try_recv() {
                Ok(data) => self.current = data,
                Err(mpsc::TryRecvError::Empty) => return Err(io::ErrorKind::WouldBlock.into()),
                Err(mpsc::TryRecvError::Disconnected) => break,
            }
        }
        Ok(&self.current)
    }

    fn consume(&mut self, amount: usize) {
        let _ = self.current.split_to(amount);
    }
}

/// One stage's output passed the limit.
#[derive(Debug, thiserror::Error)]
#[error("a decoded stage exceeded the limit of {MAX_REQUEST_BYTES} bytes")]
struct StageTooLarge;

/// A stage of decoding, refused once it has produced more than the limit.
struct Capped<R> {
    inner: R,
    left: usize,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, into: &mut [u8]) -> io::Result<usize> {
        // Asking for one byte past what is left tells whether it is passed.
        let wanted = into.len().min(self.left + 1);
        let count = self.inner.read(&mut into[..wanted])?;
        self.left = self
            .left
            .checked_sub(count)
            .ok_or_else(|| io::Error::other(StageTooLarge))?;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;

    use super::*;
    use crate::body::{read_body, BodyLimits};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// `zeros` zero bytes, gzipped, without holding them.
    fn gzipped_zeros(zeros: usize) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        let block = vec![0u8; 1024 * 1024];
        let mut left = zeros;
        while left > 0 {
            let count = left.min(block.len());
            encoder.write_all(&block[..count]).unwrap();
            left -= count;
        }
        encoder.finish().unwrap()
    }

    /// A body that arrives in frames of `frame` bytes.
    fn body_in_frames(data: Vec<u8>, frame: usize) -> Body {
        struct Frames(std::collections::VecDeque<Bytes>);
        impl hyper::body::Body for Frames {
            type Data = Bytes;
            type Error = std::convert::Infallible;
            fn poll_frame(
                mut self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
                std::task::Poll::Ready(self.0.pop_front().map(|data| Ok(hyper::body::Frame::data(data))))
            }
        }
        Body::new(Frames(data.chunks(frame).map(Bytes::copy_from_slice).collect()))
    }

    fn limits(budget: usize) -> BodyLimits {
        BodyLimits::new(Duration::from_secs(30), budget)
    }

    async fn decode_all(data: Vec<u8>, codings: &[Coding], frame: usize) -> Result<Bytes, ProtocolError> {
        let limits = limits(MAX_REQUEST_BYTES);
        read_body(body_in_frames(data, frame), None, codings, &limits)
            .await
            .map(|received| received.bytes)
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(CONTENT_ENCODING, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn codings_are_read_in_the_order_applied() {
        assert_eq!(request_codings(&headers(&[])).unwrap(), vec![]);
        assert_eq!(request_codings(&headers(&["identity"])).unwrap(), vec![]);
        assert_eq!(
            request_codings(&headers(&["GZIP, deflate"])).unwrap(),
            vec![Coding::Gzip, Coding::Deflate]
        );
        assert_eq!(
            request_codings(&headers(&["x-gzip", "deflate"])).unwrap(),
            vec![Coding::Gzip, Coding::Deflate]
        );
        assert!(matches!(
            request_codings(&headers(&["br"])),
            Err(ProtocolError::UndecodableBody(_))
        ));
        assert!(matches!(
            request_codings(&headers(&["gzip, gzip, gzip, gzip"])),
            Err(ProtocolError::UndecodableBody(_))
        ));
    }

    #[tokio::test]
    async fn decodes_gzip_deflate_and_stacks_across_frame_boundaries() {
        let request = br#"{"TableName":"t","Item":{"pk":{"S":"a"}}}"#.repeat(1000);
        for frame in [1, 7, 4096, usize::MAX] {
            let frame = frame.min(request.len());
            assert_eq!(
                decode_all(gzip(&request), &[Coding::Gzip], frame).await.unwrap(),
                request
            );
            assert_eq!(
                decode_all(zlib(&request), &[Coding::Deflate], frame).await.unwrap(),
                request
            );
            let stacked = zlib(&gzip(&request));
            assert_eq!(
                decode_all(stacked, &[Coding::Gzip, Coding::Deflate], frame)
                    .await
                    .unwrap(),
                request
            );
        }
        // Concatenated members make one body.
        let two = [gzip(&request[..10]), gzip(&request[10..])].concat();
        assert_eq!(decode_all(two, &[Coding::Gzip], 100).await.unwrap(), request);
    }

    #[tokio::test]
    async fn corrupt_and_truncated_bodies_are_refused() {
        let request = br#"{"TableName":"t"}"#;
        let compressed = gzip(request);
        for corrupt in [
            request.to_vec(),
            compressed[..compressed.len() - 1].to_vec(),
            Vec::new(),
            [compressed.clone(), b"junk".to_vec()].concat(),
        ] {
            let refused = decode_all(corrupt.clone(), &[Coding::Gzip], 3).await;
            assert!(
                matches!(refused, Err(ProtocolError::UndecodableBody(_))),
                "{corrupt:?}: {refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_limit_applies_to_the_decompressed_size() {
        let at_limit = gzipped_zeros(MAX_REQUEST_BYTES);
        assert_eq!(
            decode_all(at_limit, &[Coding::Gzip], 16 * 1024).await.unwrap().len(),
            MAX_REQUEST_BYTES
        );
        let over = gzipped_zeros(MAX_REQUEST_BYTES + 1);
        assert!(matches!(
            decode_all(over, &[Coding::Gzip], 16 * 1024).await,
            Err(ProtocolError::DecompressedTooLarge)
        ));
    }

    #[tokio::test]
    async fn a_zip_bomb_is_refused_having_reserved_no_more_than_the_limit() {
        // 256 MiB of zeros in about 256 KB, and the same again inside deflate.
        let bomb = gzipped_zeros(256 * 1024 * 1024);
        assert!(bomb.len() < 512 * 1024);
        let limits = limits(MAX_REQUEST_BYTES);
        let refused = read_body(body_in_frames(bomb.clone(), 64 * 1024), None, &[Coding::Gzip], &limits).await;
        assert!(matches!(refused, Err(ProtocolError::DecompressedTooLarge)));
        // The budget is exactly the limit, so a reservation past it would
        // have waited until the deadline (and been throttled).
        let nested = zlib(&bomb);
        let refused = read_body(
            body_in_frames(nested, 64 * 1024),
            None,
            &[Coding::Gzip, Coding::Deflate],
            &limits,
        )
        .await;
        assert!(matches!(refused, Err(ProtocolError::DecompressedTooLarge)));
        // Every reservation was given back.
        assert_eq!(limits.available_budget(), limits.budget_bytes());
    }

    #[tokio::test]
    async fn a_stage_that_decodes_to_nothing_is_bounded_too() {
        // Empty gzip members decode to nothing, so only the stage's own
        // limit stops the deflate layer around 20 MB of them.
        let empty_member = gzip(b"");
        let members = empty_member.repeat(MAX_REQUEST_BYTES / empty_member.len() + 1);
        let refused = decode_all(zlib(&members), &[Coding::Gzip, Coding::Deflate], 64 * 1024).await;
        assert!(
            matches!(refused, Err(ProtocolError::DecompressedTooLarge)),
            "{refused:?}"
        );
    }
}
