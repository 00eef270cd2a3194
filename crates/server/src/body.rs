//! Reading request bodies within a deadline and a global memory budget.
//!
//! A body may be up to 16 MB, and a request holds its body (and what is
//! parsed from it) until it is answered; without a budget, a few hundred
//! concurrent huge bodies would exhaust memory. Each request with a body
//! over [`SMALL_BODY`] reserves the body's size from the budget before
//! reading it (waiting, in arrival order, while the budget is spent) and
//! gives it back once answered. Small bodies are not budgeted, so that
//! clients sending (or pretending to send) huge bodies only hold up each
//! other: the connection limit bounds the memory of small ones.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use halyard_protocol::ProtocolError;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// DynamoDB's limit on a request body.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// How much of an oversized body is read before the connection is dropped.
const DRAIN_LIMIT: usize = 4 * MAX_REQUEST_BYTES;

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

    async fn reserve(&self, bytes: usize) -> OwnedSemaphorePermit {
        let permits = u32::try_from(bytes).expect("a reservation is at most MAX_REQUEST_BYTES");
        self.budget
            .clone()
            .acquire_many_owned(permits)
            .await
            .expect("the budget semaphore is never closed")
    }
}

/// A request body, and its share of the budget, returned when dropped.
pub struct ReceivedBody {
    pub bytes: Bytes,
    _reservation: Option<OwnedSemaphorePermit>,
}

/// Reads the body, up to [`MAX_REQUEST_BYTES`], by the deadline. A larger
/// body is read on (and discarded) up to [`DRAIN_LIMIT`], so that the
/// client, which is still sending, sees the 413 answer rather than a broken
/// connection.
pub async fn read_body(
    body: Body,
    declared_length: Option<usize>,
    limits: &BodyLimits,
) -> Result<ReceivedBody, ProtocolError> {
    let deadline = Instant::now() + limits.timeout;
    let oversized = declared_length.is_some_and(|length| length > MAX_REQUEST_BYTES);
    let reservation = match declared_length.map(budgeted) {
        Some(length) if length > 0 && !oversized => Some(
            tokio::time::timeout_at(deadline, limits.reserve(length))
                .await
                .map_err(|_| ProtocolError::Throttled)?,
        ),
        _ => None,
    };
    let timeout = ProtocolError::RequestTimeout(limits.timeout.as_secs());
    let capacity = declared_length.filter(|_| !oversized).unwrap_or(0);
    tokio::time::timeout_at(deadline, receive(body, capacity, oversized, reservation, limits))
        .await
        .map_err(|_| timeout)?
}

async fn receive(
    mut body: Body,
    capacity: usize,
    oversized: bool,
    mut reservation: Option<OwnedSemaphorePermit>,
    limits: &BodyLimits,
) -> Result<ReceivedBody, ProtocolError> {
    let reserved = |reservation: &Option<OwnedSemaphorePermit>| reservation.as_ref().map_or(0, |r| r.num_permits());
    let mut buffer = Vec::with_capacity(capacity);
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ProtocolError::Serialization(format!("could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        received += data.len();
        if received <= MAX_REQUEST_BYTES && !oversized {
            // A body without a declared length reserves as it arrives.
            if budgeted(received) > reserved(&reservation) {
                let more = limits.reserve(budgeted(received) - reserved(&reservation)).await;
                match &mut reservation {
                    Some(permit) => permit.merge(more),
                    None => reservation = Some(more),
                }
            }
            buffer.extend_from_slice(&data);
        } else if received > DRAIN_LIMIT {
            break;
        }
    }
    if received > MAX_REQUEST_BYTES {
        return Err(ProtocolError::RequestTooLarge(received));
    }
    Ok(ReceivedBody {
        bytes: Bytes::from(buffer),
        _reservation: reservation,
    })
}
