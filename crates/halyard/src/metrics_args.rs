//! The metrics flags, and the bearer token a scrape must present: from
//! HALYARD_METRICS_TOKEN, or the token file (`<data-dir>/metrics-token` by
//! default, generated at first start with mode 0600), which Prometheus
//! reads with `authorization: { credentials_file: ... }`.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use halyard_iam::credentials::Secret;
use halyard_iam::directory::ids;
use halyard_server::metrics::MetricsAccess;

pub const TOKEN_FILE_NAME: &str = "metrics-token";

#[derive(clap::Args, Clone)]
pub struct MetricsArgs {
    /// `on`: requests, errors, capacity and the write path are recorded and
    /// served at `/metrics`. `off`: nothing is recorded or served.
    #[arg(long = "metrics", env = "HALYARD_METRICS", value_enum, default_value = "on")]
    pub recording: crate::Switch,
    /// Also serve `/metrics` (only) on this address, e.g. 127.0.0.1:9464.
    #[arg(long, env = "HALYARD_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// `bearer`: a scrape must send `Authorization: Bearer <token>` (table
    /// names are metadata). `off`: anyone who reaches the listener may scrape.
    #[arg(long, env = "HALYARD_METRICS_AUTH", value_enum, default_value = "bearer")]
    pub metrics_auth: MetricsAuth,
    /// The file holding the bearer token (default `<data-dir>/metrics-token`,
    /// generated when absent). HALYARD_METRICS_TOKEN, if set, wins.
    #[arg(long, env = "HALYARD_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// Only from the environment: a secret does not belong on a command line.
    #[arg(skip = std::env::var("HALYARD_METRICS_TOKEN").ok())]
    pub metrics_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsAuth {
    Bearer,
    Off,
}

impl MetricsArgs {
    pub fn enabled(&self) -> bool {
        self.recording == crate::Switch::On
    }

    /// Who may scrape, loading or generating the token.
    pub fn access(&self, data_dir: &Path) -> Result<MetricsAccess, String> {
        if self.metrics_auth == MetricsAuth::Off {
            tracing::warn!("metrics authentication is OFF (--metrics-auth off): anyone who can reach /metrics can read table names and traffic");
            return Ok(MetricsAccess::Open);
        }
        if let Some(token) = &self.metrics_token {
            if token.trim().is_empty() {
                return Err("HALYARD_METRICS_TOKEN must not be empty".into());
            }
            return Ok(MetricsAccess::Bearer(Secret::new(token.trim())));
        }
        let path = self
            .metrics_token_file
            .clone()
            .unwrap_or_else(|| data_dir.join(TOKEN_FILE_NAME));
        let token = load_or_generate(&path).map_err(|e| format!("metrics token {}: {e}", path.display()))?;
        tracing::info!(
            "metrics at /metrics need `Authorization: Bearer` with the token in {} (Prometheus: authorization.credentials_file)",
            path.display()
        );
        Ok(MetricsAccess::Bearer(token))
    }
}

fn load_or_generate(path: &Path) -> std::io::Result<Secret> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(Secret::new(text.trim())),
        Ok(_) => Err(std::io::Error::other("the file is empty")),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let token = ids::secret_access_key();
            let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
            file.write_all(token.as_bytes())?;
            file.sync_all()?;
            Ok(Secret::new(token))
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_token_is_generated_once_into_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE_NAME);
        let first = load_or_generate(&path).unwrap();
        assert!(first.expose().len() >= 32);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_or_generate(&path).unwrap().expose(), first.expose());
    }
}
