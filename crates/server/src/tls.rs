//! HTTPS: the TLS configuration [`crate::listener::serve`] accepts
//! connections with, built from a PEM certificate chain and private key.
//!
//! rustls with its aws-lc-rs provider, chosen explicitly (not through
//! rustls's process-wide default, which is ambiguous when a build enables
//! both providers' features). Only HTTP/1.1 is offered over ALPN: that is
//! all the listener serves.

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;

use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Why a certificate and key cannot serve HTTPS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the certificate file holds no PEM certificate")]
    NoCertificate,
    #[error("the certificate file cannot be read as PEM: {0}")]
    Certificate(pem::Error),
    #[error("the key file holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey,
    #[error("the key file cannot be read as PEM: {0}")]
    Key(pem::Error),
    /// Refused by rustls: a key that does not match the certificate, an
    /// algorithm it does not support.
    #[error("the certificate and key cannot be used: {0}")]
    Refused(#[from] rustls::Error),
}

/// What the listener needs to serve HTTPS.
#[derive(Clone)]
pub struct Tls {
    pub(crate) acceptor: TlsAcceptor,
}

impl Tls {
    /// From PEM text: the server's certificate, then any intermediates; and
    /// its private key.
    pub fn from_pem(certificate_chain: &[u8], private_key: &[u8]) -> Result<Tls, TlsError> {
        let chain = CertificateDer::pem_slice_iter(certificate_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(TlsError::Certificate)?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = match PrivateKeyDer::from_pem_slice(private_key) {
            Ok(key) => key,
            Err(pem::Error::NoItemsFound) => return Err(TlsError::NoKey),
            Err(error) => return Err(TlsError::Key(error)),
        };
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

/// The first byte of a TLS connection: a handshake record.
const HANDSHAKE_RECORD: u8 = 0x16;

/// The answer to a client that speaks plain HTTP to the HTTPS port: one it
/// can read, rather than the bytes of a TLS alert.
pub(crate) const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain\r\n\
Content-Length: 50\r\n\
Connection: close\r\n\
\r\n\
This port serves HTTPS: use an https:// endpoint.\n";

/// A connection once its first bytes have said what it is.
pub(crate) enum Opened {
    /// The handshake is done.
    Tls(Box<TlsStream<TcpStream>>),
    /// Not TLS at all (plain HTTP, most likely): to be answered with
    /// [`PLAIN_HTTP_ANSWER`].
    Plain(TcpStream),
    /// Closed before a byte, or a handshake that failed.
    Failed(io::Error),
}

/// Runs the server side of the handshake; the caller bounds its time.
pub(crate) async fn open(stream: TcpStream, tls: &Tls) -> Opened {
    let mut first = [0u8; 1];
    match stream.peek(&mut first).await {
        Ok(0) => return Opened::Failed(io::ErrorKind::UnexpectedEof.into()),
        Ok(_) if first[0] != HANDSHAKE_RECORD => return Opened::Plain(stream),
        Ok(_) => {}
        Err(error) => return Opened::Failed(error),
    }
    match tls.acceptor.accept(stream).await {
        Ok(stream) => Opened::Tls(Box::new(stream)),
        Err(error) => Opened::Failed(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A throw-away P-256 certificate for localhost and its key, and a
    // second key that does not match it.
    const CERTIFICATE: &str = include_str!("../testdata/localhost-cert.pem");
    const KEY: &str = include_str!("../testdata/localhost-key.pem");
    const OTHER_KEY: &str = include_str!("../testdata/other-key.pem");

    fn refusal(certificate: &str, key: &str) -> String {
        match Tls::from_pem(certificate.as_bytes(), key.as_bytes()) {
            Ok(_) => panic!("accepted"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn the_plain_http_answer_is_well_formed() {
        let text = std::str::from_utf8(PLAIN_HTTP_ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())), "{head}");
    }

    #[test]
    fn a_matching_certificate_and_key_are_accepted() {
        assert!(Tls::from_pem(CERTIFICATE.as_bytes(), KEY.as_bytes()).is_ok());
    }

    #[test]
    fn missing_or_mismatched_pem_is_refused() {
        assert_eq!(refusal("", KEY), "the certificate file holds no PEM certificate");
        assert_eq!(refusal(KEY, KEY), "the certificate file holds no PEM certificate");
        assert!(refusal(CERTIFICATE, CERTIFICATE).starts_with("the key file holds no PEM private key"));
        assert!(refusal(CERTIFICATE, OTHER_KEY).starts_with("the certificate and key cannot be used"));
    }
}
