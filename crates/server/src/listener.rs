//! The accept loop. hyper serves each connection; this module adds what a
//! bare `axum::serve` lacks, so that no client can hold the server:
//!
//! - a connection that sends nothing, or stays idle between requests, is
//!   closed after a timeout, and so is one that takes too long to send its
//!   request headers (slowloris); the body has its own deadline (see
//!   [`crate::body`]);
//! - at most `max_connections` are open at once (fewer if the file
//!   descriptor limit is lower). When full, the connection idle the longest
//!   is closed to make room, then one stuck in its headers; if every
//!   connection is busy with a request, new clients wait in the listen
//!   backlog until one ends;
//! - when `accept` fails for lack of file descriptors, the loop frees one by
//!   closing an idle connection, or backs off, instead of spinning;
//! - a request answered before its body was read leaves the connection
//!   usable, or closes it cleanly (see [`crate::leftover`]);
//! - with TLS, the handshake is part of the first request's header time: a
//!   client that connects and never completes it is closed after the
//!   header timeout, and until then its connection is as idle as one that
//!   sends nothing, the first to be closed to make room.
//!
//! Every request carries a [`ConnectionInfo`] extension.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::header::CONNECTION;
use axum::http::HeaderValue;
use axum::{Extension, Router};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower_service::Service;

use crate::body::BodyLimits;
use crate::leftover;
use crate::tls::{self, Opened, Tls};
use crate::ConnectionInfo;

/// What the accept loop enforces.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// From a request's first byte (or from accept, for the first request)
    /// until its headers are complete.
    pub header_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// The deadline and memory budget of request bodies.
    pub body: BodyLimits,
}

/// Most header fields hyper parses in one request (its default is 100, past
/// which it answers a bare 431 by itself); room for Halyard's own byte limit
/// ([`crate::MAX_HEADER_BYTES`]) to answer in DynamoDB's form instead. A
/// request with more fields, or whose head does not fit in hyper's read
/// buffer (about 400 KB), still gets hyper's bare 431 and is closed
/// (docs/wire.md).
const MAX_HEADER_FIELDS: usize = 512;
/// A connection stuck in its headers this long may be closed to make room.
const SLOW_HEADERS: Duration = Duration::from_secs(1);
/// Descriptors kept for the database, its journal, the log and the runtime.
const RESERVED_DESCRIPTORS: u64 = 64;
const MIN_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Serves `router` on `listener`, over TLS when `tls` is given, until
/// `shutdown` completes; then stops accepting, lets every in-flight request
/// finish and returns once every connection has closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) {
    let max_connections = connection_capacity(limits.max_connections);
    tracing::info!(
        max_connections,
        header_timeout_s = limits.header_timeout.as_secs_f64(),
        idle_timeout_s = limits.idle_timeout.as_secs_f64(),
        body_timeout_s = limits.body.timeout().as_secs_f64(),
        body_memory_bytes = limits.body.budget_bytes(),
        "connection limits"
    );
    let router = router.layer(Extension(limits.body.clone()));
    let registry = Arc::new(Registry::new());
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut backoff = MIN_BACKOFF;
    loop {
        if registry.len() >= max_connections {
            registry.shed_one();
            tokio::select! {
                _ = registry.ended.notified() => continue,
                _ = &mut shutdown => break,
            }
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = MIN_BACKOFF;
                let registered = registry.add();
                tokio::spawn(serve_connection(
                    stream,
                    peer,
                    tls.clone(),
                    router.clone(),
                    limits.clone(),
                    stopped.clone(),
                    registered,
                ));
            }
            Err(error) if out_of_descriptors(&error) => {
                // Accepting again at once would fail again.
                if !registry.shed_one() {
                    tracing::warn!(%error, "out of file descriptors and no idle connection to close; backing off");
                }
                tokio::select! {
                    _ = registry.ended.notified() => {}
                    _ = tokio::time::sleep(backoff) => {}
                    _ = &mut shutdown => break,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            // The failure belongs to one connection (reset before it was
            // accepted, and the like); the next one is unaffected.
            Err(error) => tracing::debug!(%error, "accept failed"),
        }
    }
    drop(listener);
    let _ = stop.send(true);
    while registry.len() > 0 {
        registry.ended.notified().await;
    }
}

/// How many connections fit under the file descriptor limit, which is first
/// raised to its hard maximum.
fn connection_capacity(max_connections: usize) -> usize {
    let descriptors = match rlimit::increase_nofile_limit(rlimit::INFINITY) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "could not read the file descriptor limit");
            return max_connections;
        }
    };
    let available = descriptors
        .saturating_sub(RESERVED_DESCRIPTORS)
        .max(descriptors / 2)
        .max(1);
    let capacity = max_connections.min(usize::try_from(available).unwrap_or(usize::MAX));
    if capacity < max_connections {
        tracing::warn!(
            descriptors,
            max_connections,
            capacity,
            "the file descriptor limit allows fewer connections than --max-connections"
        );
    }
    capacity
}

fn out_of_descriptors(error: &io::Error) -> bool {
    // EMFILE (the process's limit) and ENFILE (the system's).
    matches!(error.raw_os_error(), Some(24) | Some(23))
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<Tls>,
    router: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
    registered: Registered,
) {
    // Each response goes out as soon as it is written: one request at a time
    // per connection has nothing to coalesce.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
    let Some(tls) = tls else {
        let info = ConnectionInfo { peer, secure: false };
        return serve_http(stream, info, router, limits, stopped, registered).await;
    };
    // The connection stays New (its bytes are not counted as a request's)
    // until the handshake is done, so it times out, and may be closed to
    // make room, like one that sends nothing.
    let opened = tokio::select! {
        opened = tls::open(stream, &tls) => opened,
        _ = tokio::time::sleep(limits.header_timeout) => {
            tracing::debug!(%peer, "closing a connection whose TLS handshake timed out");
            return;
        }
        _ = registered.connection.close.notified() => {
            tracing::debug!("closing a connection in its TLS handshake to make room");
            return;
        }
        _ = stopped.wait_for(|stopped| *stopped) => return,
    };
    match opened {
        Opened::Tls(stream) => {
            let info = ConnectionInfo { peer, secure: true };
            serve_http(stream, info, router, limits, stopped, registered).await;
        }
        Opened::Plain(mut stream) => {
            tracing::debug!(%peer, "answering plain HTTP on the HTTPS port");
            // Still New: closed first to make room, and within the header
            // timeout however slowly the client reads or sends.
            tokio::select! {
                _ = async {
                    if stream.write_all(tls::PLAIN_HTTP_ANSWER).await.is_ok() {
                        leftover::linger(stream, limits.header_timeout).await;
                    }
                } => {}
                _ = tokio::time::sleep(limits.header_timeout) => {}
                _ = registered.connection.close.notified() => {}
                _ = stopped.wait_for(|stopped| *stopped) => {}
            }
        }
        Opened::Failed(error) => tracing::debug!(%error, %peer, "TLS handshake failed"),
    }
}

/// Serves HTTP/1.1 requests on an accepted (and, with TLS, handshaken)
/// stream.
async fn serve_http<S>(
    stream: S,
    info: ConnectionInfo,
    router: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
    registered: Registered,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = registered.connection.clone();
    let io = TokioIo::new(WatchedStream {
        stream,
        connection: connection.clone(),
    });
    let body_timeout = limits.body.timeout();
    let service = hyper::service::service_fn({
        let connection = connection.clone();
        move |mut request: Request<Incoming>| {
            connection.enter(Phase::Busy);
            request.extensions_mut().insert(info);
            let mut router = router.clone();
            let connection = connection.clone();
            // Boxed, so that the connection can be polled without shutdown.
            Box::pin(async move {
                let (request, leftover) = leftover::track(request);
                let Ok(mut response) = router.call(request).await;
                if !leftover.drain(body_timeout).await {
                    response
                        .headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                    connection.linger.store(true, Ordering::Release);
                }
                connection.enter(Phase::Answered);
                Ok::<_, Infallible>(response)
            })
        }
    });
    let mut served = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        // The header and idle timeouts are enforced below: hyper's own header
        // timeout also runs while a keep-alive connection is idle.
        .header_read_timeout(None)
        .max_headers(MAX_HEADER_FIELDS)
        .serve_connection(io, service);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = poll_fn(|cx| served.poll_without_shutdown(cx)) => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                    return;
                }
                break;
            }
            _ = connection.close.notified() => {
                tracing::debug!("closing an idle connection to make room");
                return;
            }
            _ = tokio::time::sleep_until(connection.next_check(&limits).into()) => {
                if let Some(phase) = connection.expired(&limits) {
                    tracing::debug!(?phase, "closing a connection that timed out");
                    return;
                }
            }
            _ = stopped.changed(), if !stopping => {
                // Requests in flight are answered; a connection without one
                // (its headers not even complete) is closed at once.
                if !matches!(connection.phase().0, Phase::Busy | Phase::Answered) {
                    return;
                }
                stopping = true;
                Pin::new(&mut served).graceful_shutdown();
            }
        }
    }
    let mut stream = served.into_parts().io.into_inner().stream;
    if connection.linger.load(Ordering::Acquire) {
        // Not to be closed to make room: it is closing already.
        connection.enter(Phase::Closing);
        tokio::select! {
            _ = leftover::linger(stream, limits.body.timeout()) => {}
            _ = stopped.wait_for(|stopped| *stopped) => {}
        }
    } else if let Err(error) = stream.shutdown().await {
        tracing::debug!(%error, "could not shut the connection down");
    }
}

/// Where a connection is in its request cycle; set by the stream wrapper
/// (bytes read, response flushed) and by the service (headers parsed,
/// response produced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Accepted; nothing received yet.
    New,
    /// Between requests, the previous response fully sent.
    Idle,
    /// A request has begun arriving; its headers are not complete.
    Headers,
    /// A request is being read or run.
    Busy,
    /// The response is produced; it is being written out.
    Answered,
    /// Chosen to be closed to make room.
    Closing,
}

impl Phase {
    fn from_u8(value: u8) -> Phase {
        [
            Phase::New,
            Phase::Idle,
            Phase::Headers,
            Phase::Busy,
            Phase::Answered,
            Phase::Closing,
        ][usize::from(value)]
    }
}

struct Connection {
    epoch: Instant,
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `epoch`.
    since: AtomicU64,
    close: Notify,
    /// Set when a request was answered before its body was read: the
    /// connection closes after the answer, reading on for a while.
    linger: AtomicBool,
}

impl Connection {
    fn phase(&self) -> (Phase, Duration) {
        let phase = Phase::from_u8(self.phase.load(Ordering::Acquire));
        let since = Duration::from_millis(self.since.load(Ordering::Relaxed));
        (phase, self.epoch.elapsed().saturating_sub(since))
    }

    fn enter(&self, phase: Phase) {
        self.since.store(
            u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// Moves from `from` to `to`, unless the phase has changed meanwhile.
    fn advance(&self, from: Phase, to: Phase) {
        if self.phase.load(Ordering::Acquire) == from as u8 {
            self.enter(to);
        }
    }

    /// The time limit of the current phase, if it has one.
    fn timeout(phase: Phase, limits: &ConnectionLimits) -> Option<Duration> {
        match phase {
            Phase::New | Phase::Headers => Some(limits.header_timeout),
            Phase::Idle => Some(limits.idle_timeout),
            // A client that does not read its response must not hold the
            // connection (and the response's memory) for ever.
            Phase::Answered => Some(limits.body.timeout()),
            Phase::Busy | Phase::Closing => None,
        }
    }

    /// The phase whose time limit has passed, if any.
    fn expired(&self, limits: &ConnectionLimits) -> Option<Phase> {
        let (phase, elapsed) = self.phase();
        Self::timeout(phase, limits)
            .filter(|timeout| elapsed >= *timeout)
            .map(|_| phase)
    }

    /// When to look again: when the current phase's limit runs out, or, for
    /// a phase without one, after a while (the phase may change to one that
    /// has a limit without waking the connection's task).
    fn next_check(&self, limits: &ConnectionLimits) -> Instant {
        let (phase, elapsed) = self.phase();
        let wait = match Self::timeout(phase, limits) {
            Some(timeout) => timeout.saturating_sub(elapsed),
            None => limits.header_timeout.min(limits.idle_timeout),
        };
        Instant::now() + wait
    }
}

/// The open connections.
struct Registry {
    epoch: Instant,
    connections: Mutex<HashMap<u64, Arc<Connection>>>,
    next_id: AtomicU64,
    /// Signalled each time a connection ends.
    ended: Notify,
}

impl Registry {
    fn new() -> Self {
        Registry {
            epoch: Instant::now(),
            connections: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            ended: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // The map stays consistent even if a holder panicked.
        self.connections.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// Registers a new connection, until the returned handle is dropped.
    fn add(self: &Arc<Self>) -> Registered {
        let connection = Arc::new(Connection {
            epoch: self.epoch,
            phase: AtomicU8::new(Phase::New as u8),
            since: AtomicU64::new(0),
            close: Notify::new(),
            linger: AtomicBool::new(false),
        });
        connection.enter(Phase::New);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, connection.clone());
        halyard_metrics::process::OPEN_CONNECTIONS.inc();
        Registered {
            registry: self.clone(),
            id,
            connection,
        }
    }

    /// Asks one connection to close to make room: the one idle the longest,
    /// or else the one that has been sending its headers the longest (past
    /// [`SLOW_HEADERS`]). Returns whether there was one.
    fn shed_one(&self) -> bool {
        let connections = self.lock();
        let mut idlest: Option<(&Arc<Connection>, Duration)> = None;
        let mut slowest: Option<(&Arc<Connection>, Duration)> = None;
        for connection in connections.values() {
            let (phase, elapsed) = connection.phase();
            let candidate = match phase {
                Phase::New | Phase::Idle => &mut idlest,
                Phase::Headers if elapsed >= SLOW_HEADERS => &mut slowest,
                _ => continue,
            };
            if candidate.is_none_or(|(_, longest)| elapsed > longest) {
                *candidate = Some((connection, elapsed));
            }
        }
        match idlest.or(slowest) {
            Some((connection, _)) => {
                connection.enter(Phase::Closing);
                connection.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes its connection from the registry when the connection's task ends,
/// however it ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
    connection: Arc<Connection>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
        halyard_metrics::process::OPEN_CONNECTIONS.dec();
        self.registry.ended.notify_one();
    }
}

/// A stream (TCP, or TLS over TCP) that tells its connection when a request
/// starts arriving and when a response has been flushed.
struct WatchedStream<S> {
    stream: S,
    connection: Arc<Connection>,
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.connection.advance(Phase::New, Phase::Headers);
            this.connection.advance(Phase::Idle, Phase::Headers);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_flush(cx);
        // hyper flushes once everything it buffered is written.
        if matches!(result, Poll::Ready(Ok(()))) {
            this.connection.advance(Phase::Answered, Phase::Idle);
        }
        result
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
