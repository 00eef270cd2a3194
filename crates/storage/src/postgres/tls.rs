//! TLS to the database server, with rustls (the server crate's TLS too).
//!
//! `sslmode=require` in the URL makes every connection TLS, and the server's
//! certificate is always verified, for the host name connected to. libpq's
//! `require` would accept any certificate; Halyard takes its credentials
//! over this connection, so it reads `require` as libpq's `verify-full`.
//! The roots are those of `sslrootcert=FILE` (PEM: a private CA's, or a
//! self-signed server certificate), else the system's. Without `sslmode`
//! (or with `disable`, `prefer`) connections are plaintext, as before.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, InvalidDnsNameError, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::StorageError;

/// The URL parameter naming the roots' PEM file (libpq's name), which
/// tokio-postgres does not read: the adapter takes it out of the URL.
const ROOT_CERT_PARAMETER: &str = "sslrootcert";

/// Takes `sslrootcert=...` out of a `postgres://` URL's query: the URL
/// without it, and the file it named.
pub(super) fn take_root_cert(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root_cert = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some((ROOT_CERT_PARAMETER, file)) => {
                root_cert = Some(percent_decode(file));
                false
            }
            _ => true,
        })
        .collect();
    if kept.is_empty() {
        (base.to_string(), root_cert)
    } else {
        (format!("{base}?{}", kept.join("&")), root_cert)
    }
}

/// `%XX` escapes decoded (a path in a URL may escape `/` or spaces).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The client configuration: roots from `root_cert` (PEM), else the system's.
pub(super) fn client_config(root_cert: Option<&Path>) -> Result<Arc<ClientConfig>, StorageError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                .map_err(|e| StorageError::Engine(format!("cannot read sslrootcert {}: {e}", path.display())))?;
            let (added, _) = roots.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(StorageError::Engine(format!(
                    "sslrootcert {} holds no certificate",
                    path.display()
                )));
            }
        }
        None => {
            let system = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(system.certs);
            if roots.is_empty() {
                return Err(StorageError::Engine(
                    "sslmode=require, but the system has no trusted root certificates: name the server's CA \
                     with sslrootcert=FILE"
                        .into(),
                ));
            }
        }
    }
    Ok(Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// Makes the TLS connector for each host of the URL.
#[derive(Clone)]
pub(super) struct RustlsConnect {
    pub(super) config: Arc<ClientConfig>,
}

impl<S> MakeTlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnectHost;
    type Error = InvalidDnsNameError;

    fn make_tls_connect(&mut self, host: &str) -> Result<RustlsConnectHost, InvalidDnsNameError> {
        Ok(RustlsConnectHost {
            config: self.config.clone(),
            name: ServerName::try_from(host.to_string())?,
        })
    }
}

/// The TLS handshake with one host, its certificate checked for `name`.
pub(super) struct RustlsConnectHost {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

type Handshake<S> = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

impl<S> TlsConnect<S> for RustlsConnectHost
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Handshake<S>;

    fn connect(self, stream: S) -> Handshake<S> {
        Box::pin(async move {
            let connector = tokio_rustls::TlsConnector::from(self.config);
            Ok(RustlsStream(connector.connect(self.name, stream).await?))
        })
    }
}

/// A TLS session with the server.
pub(super) struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for RustlsStream<S> {
    /// No channel binding: SCRAM authenticates without it (the certificate
    /// check already binds the session to the server).
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_certificate_parameter_is_taken_out_of_the_url() {
        assert_eq!(
            take_root_cert("postgres://u@h1:1,h2:2/db?sslmode=require&sslrootcert=%2Ftmp%2Fca.pem&application_name=x"),
            (
                "postgres://u@h1:1,h2:2/db?sslmode=require&application_name=x".to_string(),
                Some("/tmp/ca.pem".to_string())
            )
        );
        assert_eq!(
            take_root_cert("postgres://u@h/db?sslrootcert=/ca.pem"),
            ("postgres://u@h/db".to_string(), Some("/ca.pem".to_string()))
        );
        assert_eq!(
            take_root_cert("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), None)
        );
    }
}
