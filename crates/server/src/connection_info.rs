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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::routing::get;
    use axum::{Extension, Router};
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
    use tokio_rustls::TlsConnector;

    use super::*;
    use crate::listener::{serve, ConnectionLimits};
    use crate::tls::Tls;
    use crate::BodyLimits;

    const CERTIFICATE: &[u8] = include_bytes!("../testdata/localhost-cert.pem");
    const KEY: &[u8] = include_bytes!("../testdata/localhost-key.pem");

    /// Serves a route answering with the request's [`ConnectionInfo`];
    /// returns its address.
    async fn echo_server(tls: Option<Tls>) -> SocketAddr {
        let router = Router::new().route(
            "/",
            get(|Extension(info): Extension<ConnectionInfo>| async move { format!("{} {}", info.peer, info.secure) }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let limits = ConnectionLimits {
            max_connections: 16,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            body: BodyLimits::new(Duration::from_secs(10), 1 << 20),
        };
        tokio::spawn(serve(listener, router, limits, tls, std::future::pending()));
        address
    }

    async fn get_root(mut stream: impl AsyncRead + AsyncWrite + Unpin) -> String {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response.split_once("\r\n\r\n").unwrap().1.to_string()
    }

    #[tokio::test]
    async fn a_plain_request_knows_its_peer_and_that_it_is_not_secure() {
        let address = echo_server(None).await;
        let stream = TcpStream::connect(address).await.unwrap();
        let client = stream.local_addr().unwrap();
        assert_eq!(get_root(stream).await, format!("{client} false"));
    }

    #[tokio::test]
    async fn a_request_over_tls_knows_its_peer_and_that_it_is_secure() {
        let address = echo_server(Some(Tls::from_pem(CERTIFICATE, KEY).unwrap())).await;
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(CERTIFICATE).unwrap()).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let stream = TcpStream::connect(address).await.unwrap();
        let client = stream.local_addr().unwrap();
        let stream = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), stream)
            .await
            .unwrap();
        assert_eq!(get_root(stream).await, format!("{client} true"));
    }
}
