//! Reading request bodies within a deadline and a global memory budget.
//!
//! A body may be up to 16 MB, and a request holds its body (and what is
//! parsed from it) until it is answered; without a budget, a few hundred
//! concurrent huge bodies would exhaust memory. Each request with a body
//! over [`SMALL_BODY`] reserves the body's size from the budget before
//! reading it (waiting, in arrival order, while the budget is spent) and
//! gives it back once answered. Small bodies are not budgeted, so that
//! clients sending (or pretending to send) huge bodies only hold up each
//! other: the connection limit bounds the memory of small ones. A compressed
//! body reserves its decompressed size as it grows (see [`crate::decoding`]).
//!
//! A body over the limit is refused as soon as it is known to be: the rest
//! of it is left unread, and the connection closes after the answer (see
//! [`crate::leftover`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use halyard_protocol::ProtocolError;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use sha2::{Digest, Sha256};

use crate::decoding::{self, Coding};

/// DynamoDB's limit on a request body.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// Bodies up to this size are not counted against the budget.
const SMALL_BODY: usize = 64 * 1024;

/// What a body of `bytes` reserves from the budget.
fn budgeted(bytes: usize) -> usize {
    if bytes <= SMALL_BODY {
        0
    } else {
        bytes
    }
}

/// The deadline and the shared memory budget of request bodies.
#[derive(Clone, Debug)]
pub struct BodyLimits {
    timeout: Duration,
    budget: Arc<Semaphore>,
    budget_bytes: usize,
}

impl BodyLimits {
    /// `budget_bytes` is raised to [`MAX_REQUEST_BYTES`] if lower, so that
    /// every valid request fits.
    pub fn new(timeout: Duration, budget_bytes: usize) -> Self {
        let budget_bytes = budget_bytes.clamp(MAX_REQUEST_BYTES, Semaphore::MAX_PERMITS);
        BodyLimits {
            timeout,
            budget: Arc::new(Semaphore::new(budget_bytes)),
            budget_bytes,
        }
    }

    /// How long a request may take, from its headers, to deliver its body
    /// (including any wait for the budget).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    #[cfg(test)]
    pub(crate) fn available_budget(&self) -> usize {
        self.budget.available_permits()
    }
}

/// A request's share of the budget, which grows with its body.
pub(crate) struct Reservation<'a> {
    limits: &'a BodyLimits,
    permit: Option<OwnedSemaphorePermit>,
    /// Set while waiting for the budget: a deadline that passes then is
    /// the server's doing (throttling), not the client's.
    waiting: bool,
}

impl<'a> Reservation<'a> {
    fn new(limits: &'a BodyLimits) -> Self {
        Reservation {
            limits,
            permit: None,
            waiting: false,
        }
    }

    /// Holds enough of the budget for `bytes` (at most [`MAX_REQUEST_BYTES`]
    /// and a little) of body, waiting for it if need be.
    pub(crate) async fn grow_to(&mut self, bytes: usize) {
        let held = self.permit.as_ref().map_or(0, |permit| permit.num_permits());
        let wanted = budgeted(bytes);
        if wanted <= held {
            return;
        }
        let more = u32::try_from(wanted - held).expect("a reservation is at most MAX_REQUEST_BYTES and a chunk");
        self.waiting = true;
        let more = self
            .limits
            .budget
            .clone()
            .acquire_many_owned(more)
            .await
            .expect("the budget semaphore is never closed");
        self.waiting = false;
        match &mut self.permit {
            Some(permit) => permit.merge(more),
            None => self.permit = Some(more),
        }
    }
}

/// A request body, and its share of the budget, returned when dropped.
pub struct ReceivedBody {
    pub bytes: Bytes,
    /// The SHA-256 (hex) of the body as it came, when it was decoded (so
    /// that `bytes` is not what the client signed).
    pub received_sha256: Option<String>,
    _reservation: Option<OwnedSemaphorePermit>,
}

/// Reads the body by the deadline, decoding its `codings` (outermost last,
/// as Content-Encoding lists them). The body on the wire and, decoded, the
/// request may each be up to [`MAX_REQUEST_BYTES`].
pub async fn read_body(
    body: Body,
    declared_length: Option<usize>,
    codings: &[Coding],
    limits: &BodyLimits,
) -> Result<ReceivedBody, ProtocolError> {
    if let Some(length) = declared_length.filter(|length| *length > MAX_REQUEST_BYTES) {
        return Err(ProtocolError::RequestTooLarge(length));
    }
    let deadline = Instant::now() + limits.timeout;
    let mut reservation = Reservation::new(limits);
    let received = tokio::time::timeout_at(deadline, async {
        if codings.is_empty() {
            receive(body, declared_length.unwrap_or(0), &mut reservation)
                .await
                .map(|bytes| (bytes, None))
        } else {
            let mut hash = Sha256::new();
            let bytes = decoding::decode(body, codings, &mut reservation, &mut hash).await?;
            Ok((bytes, Some(hex::encode(hash.finalize()))))
        }
    })
    .await;
    match received {
        Ok(received) => {
            let (bytes, received_sha256) = received?;
            Ok(ReceivedBody {
                bytes,
                received_sha256,
                _reservation: reservation.permit,
            })
        }
        Err(_) if reservation.waiting => Err(ProtocolError::Throttled),
        Err(_) => Err(ProtocolError::RequestTimeout(limits.timeout.as_secs())),
    }
}

/// Collects an uncompressed body; one without a declared length reserves
/// as it arrives.
async fn receive(
    mut body: Body,
    declared_length: usize,
    reservation: &mut Reservation<'_>,
) -> Result<Bytes, ProtocolError> {
    reservation.grow_to(declared_length).await;
    let mut buffer = Vec::with_capacity(declared_length);
    while let Some(data) = next_data(&mut body).await? {
        let received = buffer.len() + data.len();
        if received > MAX_REQUEST_BYTES {
            return Err(ProtocolError::RequestTooLarge(received));
        }
        reservation.grow_to(received).await;
        buffer.extend_from_slice(&data);
    }
    Ok(Bytes::from(buffer))
}

/// The body's next data frame (trailers are skipped), or `None` at its end.
pub(crate) async fn next_data(body: &mut Body) -> Result<Option<Bytes>, ProtocolError> {
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ProtocolError::Serialization(format!("could not read the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            return Ok(Some(data));
        }
    }
    Ok(None)
}
