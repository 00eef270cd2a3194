//! The HTTPS options: a certificate and key given in PEM files, or a
//! self-signed certificate Halyard makes once and keeps in the data
//! directory.

use std::io;
use std::path::{Path, PathBuf};

use halyard_server::tls::Tls;
use halyard_storage::private_files;

#[derive(clap::Args, Clone)]
pub(crate) struct TlsArgs {
    /// Serve HTTPS (on the --listen port) with this PEM certificate chain:
    /// the server's certificate first, then any intermediates. Needs
    /// --tls-key.
    #[arg(long, env = "HALYARD_TLS_CERT", requires = "tls_key", conflicts_with = "tls")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "HALYARD_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// `self-signed`: serve HTTPS with a certificate for localhost,
    /// 127.0.0.1 and ::1, made on first start and kept in
    /// <data-dir>/tls/ (cert.pem, key.pem). Clients trust it with
    /// AWS_CA_BUNDLE=<data-dir>/tls/cert.pem.
    #[arg(long, env = "HALYARD_TLS", value_enum)]
    tls: Option<TlsMode>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum TlsMode {
    SelfSigned,
}

/// The directory of the self-signed certificate, under the data directory.
const SELF_SIGNED_DIR: &str = "tls";
const CERTIFICATE_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";
/// The names the self-signed certificate is good for.
const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl TlsArgs {
    /// The TLS configuration to serve with, if any. The self-signed
    /// certificate goes in `data_dir`, a temporary one for in-memory mode.
    pub(crate) fn load(&self, data_dir: &Path) -> Result<Option<Tls>, String> {
        match (&self.tls_cert, &self.tls_key, self.tls) {
            (Some(cert), Some(key), _) => {
                let chain = read(cert, "--tls-cert")?;
                let key_pem = read(key, "--tls-key")?;
                let tls = Tls::from_pem(&chain, &key_pem).map_err(|e| format!("--tls-cert/--tls-key: {e}"))?;
                tracing::info!(certificate = %cert.display(), "serving HTTPS");
                Ok(Some(tls))
            }
            (None, None, Some(TlsMode::SelfSigned)) => self_signed(&data_dir.join(SELF_SIGNED_DIR)).map(Some),
            // clap requires both files or neither.
            _ => Ok(None),
        }
    }
}

fn read(path: &Path, option: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{option} {}: {e}", path.display()))
}

/// Loads the self-signed certificate and key kept in `dir`, making them
/// first if there are none.
fn self_signed(dir: &Path) -> Result<Tls, String> {
    let certificate = dir.join(CERTIFICATE_FILE);
    let key = dir.join(KEY_FILE);
    let made = match (certificate.exists(), key.exists()) {
        (true, true) => false,
        (false, false) => {
            make_self_signed(dir, &certificate, &key)
                .map_err(|e| format!("cannot make a self-signed certificate in {}: {e}", dir.display()))?;
            true
        }
        _ => {
            return Err(format!(
                "{} holds only one of {CERTIFICATE_FILE} and {KEY_FILE}; remove it to have a new certificate made",
                dir.display()
            ))
        }
    };
    let tls = Tls::from_pem(&read(&certificate, "certificate")?, &read(&key, "key")?)
        .map_err(|e| format!("{}: {e}", certificate.display()))?;
    // Absolute, to be given to clients started elsewhere.
    let shown = std::fs::canonicalize(&certificate).unwrap_or(certificate);
    tracing::info!(
        "serving HTTPS with a self-signed certificate for {} ({}); clients trust it with AWS_CA_BUNDLE={}",
        LOCAL_NAMES.join(", "),
        if made { "made now" } else { "kept from an earlier start" },
        shown.display()
    );
    Ok(tls)
}

/// Writes a new key (ECDSA P-256) and a certificate for [`LOCAL_NAMES`],
/// the key first: a crash between the two leaves a key without a
/// certificate, refused at the next start rather than served.
fn make_self_signed(dir: &Path, certificate: &Path, key: &Path) -> io::Result<()> {
    let failed = |e: rcgen::Error| io::Error::other(e.to_string());
    let key_pair = rcgen::KeyPair::generate().map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(LOCAL_NAMES.map(String::from).to_vec()).map_err(failed)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Halyard self-signed (localhost)");
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    // Some verifiers (OpenSSL's strict mode) want it even on a self-signed
    // certificate.
    params.use_authority_key_identifier_extension = true;
    let signed = params.self_signed(&key_pair).map_err(failed)?;
    private_files::create_dir_all(dir)?;
    private_files::write_atomically(key, key_pair.serialize_pem().as_bytes())?;
    private_files::write_atomically(certificate, signed.pem().as_bytes())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn the_self_signed_certificate_is_made_once_privately_and_kept() {
        let data_dir = tempfile::tempdir().unwrap();
        let dir = data_dir.path().join(SELF_SIGNED_DIR);
        self_signed(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&dir.join(CERTIFICATE_FILE)), 0o600);
        let first = std::fs::read(dir.join(CERTIFICATE_FILE)).unwrap();
        self_signed(&dir).unwrap();
        assert_eq!(std::fs::read(dir.join(CERTIFICATE_FILE)).unwrap(), first);
    }

    #[test]
    fn a_key_without_its_certificate_is_refused() {
        let data_dir = tempfile::tempdir().unwrap();
        let dir = data_dir.path().join(SELF_SIGNED_DIR);
        self_signed(&dir).unwrap();
        std::fs::remove_file(dir.join(CERTIFICATE_FILE)).unwrap();
        let error = self_signed(&dir).err().expect("refused");
        assert!(error.contains("holds only one of cert.pem and key.pem"), "{error}");
        assert!(dir.join(KEY_FILE).exists());
    }
}
