//! What the request pipeline knows of the connection a request came on.

use std::net::SocketAddr;

/// Inserted by [`crate::listener::serve`] into every request's extensions,
/// for what depends on the connection rather than the request: an IAM
/// policy's `aws:SourceIp` (from `peer`) and `aws:SecureTransport` (from
/// `secure`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The client's address, as the TCP connection has it (no proxy
    /// headers are trusted).
    pub peer: SocketAddr,
    /// Whether the request came over TLS.
    pub secure: bool,
}
