//! What is left of a request's body once the request is answered.
//!
//! A request may be answered before its body is read (refused on its
//! headers, or for a body over the limit). Left in the connection, the rest
//! of the body would be read as the next request. A small rest is read and
//! dropped, so the connection stays usable. A larger one is not: the answer
//! says `Connection: close`, and once it is sent the server goes on reading
//! (and dropping) for a while before it closes ([`linger`]), because
//! closing a socket with unread data resets the connection, and a client
//! still sending its body would lose the answer with it.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use http_body_util::BodyExt;
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A rest of a body up to this size is read, to keep the connection.
const DRAIN_UP_TO: u64 = 1024 * 1024;

/// How much a closing connection reads, at most, for a client still sending.
const LINGER_BYTES: usize = 64 * 1024 * 1024;

/// A request body that, dropped before its end, hands what is left of it
/// to the [`Leftover`].
struct TrackedBody {
    inner: Option<Incoming>,
    ended: bool,
    rest: Arc<Mutex<Option<Incoming>>>,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.ended = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if let Some(inner) = self.inner.take().filter(|inner| !inner.is_end_stream()) {
            *self.rest.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(inner);
        }
    }
}

/// What the handler left of the body, once it has answered.
pub(crate) struct Leftover(Arc<Mutex<Option<Incoming>>>);

/// The request with its body tracked, and the handle to what will be left.
pub(crate) fn track(request: Request<Incoming>) -> (Request, Leftover) {
    let rest = Arc::new(Mutex::new(None));
    let request = request.map(|incoming| {
        Body::new(TrackedBody {
            inner: Some(incoming),
            ended: false,
            rest: rest.clone(),
        })
    });
    (request, Leftover(rest))
}

impl Leftover {
    /// Reads and drops a small rest, within `timeout`; returns whether the
    /// whole request has been read, so that the connection can serve
    /// another one.
    pub(crate) async fn drain(self, timeout: Duration) -> bool {
        let rest = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let Some(mut rest) = rest else {
            return true;
        };
        // Known to be too long; a rest of unknown length is tried.
        if rest.size_hint().lower() > DRAIN_UP_TO {
            return false;
        }
        let drained = tokio::time::timeout(timeout, async {
            let mut read = 0u64;
            while let Some(frame) = rest.frame().await {
                let Ok(frame) = frame else {
                    return false;
                };
                read += frame.data_ref().map_or(0, |data| data.len() as u64);
                if read > DRAIN_UP_TO {
                    return false;
                }
            }
            true
        })
        .await;
        drained.unwrap_or(false)
    }
}

/// Closes a connection whose last request was not read to its end: says
/// so to the client (the answer is already sent), then reads and drops
/// what it still sends, up to [`LINGER_BYTES`] and `timeout`, so that it
/// reads the answer instead of meeting a reset.
pub(crate) async fn linger(mut stream: impl AsyncRead + AsyncWrite + Unpin, timeout: Duration) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(timeout, async {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut read = 0;
        while read <= LINGER_BYTES {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(count) => read += count,
            }
        }
    })
    .await;
}
