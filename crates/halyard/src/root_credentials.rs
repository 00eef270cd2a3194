//! The account's root credentials: from HALYARD_ROOT_ACCESS_KEY_ID and
//! HALYARD_ROOT_SECRET_ACCESS_KEY when set; otherwise from the data
//! directory's `credentials` file, generated at first start in the AWS
//! CLI's shared-credentials format (mode 0600), so that
//! `AWS_SHARED_CREDENTIALS_FILE=<data-dir>/credentials aws ...` just works.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use halyard_iam::credentials::Secret;
use halyard_iam::directory::{ids, RootCredentials};

pub const FILE_NAME: &str = "credentials";

/// Where the root credentials came from, for the start-up message.
pub enum Source {
    Environment,
    File,
    /// Generated now: the caller prints them once.
    Generated,
}

pub fn load(
    data_dir: &Path,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
) -> Result<(RootCredentials, Source), String> {
    match (access_key_id, secret_access_key) {
        (Some(access_key_id), Some(secret)) => {
            if access_key_id.is_empty() || secret.is_empty() {
                return Err("HALYARD_ROOT_ACCESS_KEY_ID and HALYARD_ROOT_SECRET_ACCESS_KEY must not be empty".into());
            }
            return Ok((
                RootCredentials {
                    access_key_id,
                    secret_access_key: Secret::new(secret),
                },
                Source::Environment,
            ));
        }
        (None, None) => {}
        _ => {
            return Err("set both HALYARD_ROOT_ACCESS_KEY_ID and HALYARD_ROOT_SECRET_ACCESS_KEY, or neither".into());
        }
    }
    let path = data_dir.join(FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text)
            .map(|credentials| (credentials, Source::File))
            .ok_or_else(|| {
                format!(
                    "{} has no [default] aws_access_key_id and aws_secret_access_key",
                    path.display()
                )
            }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let credentials = RootCredentials {
                access_key_id: ids::access_key_id("AKIA"),
                secret_access_key: Secret::new(ids::secret_access_key()),
            };
            write(&path, &credentials).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok((credentials, Source::Generated))
        }
        Err(error) => Err(format!("cannot read {}: {error}", path.display())),
    }
}

fn write(path: &Path, credentials: &RootCredentials) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    write!(
        file,
        "# Halyard's root credentials (generated at first start). Keep this file private.\n\
         [default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        credentials.access_key_id,
        credentials.secret_access_key.expose()
    )?;
    file.sync_all()
}

/// The `[default]` profile's keys.
fn parse(text: &str) -> Option<RootCredentials> {
    let mut in_default = false;
    let (mut id, mut secret) = (None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_default = line == "[default]";
        } else if let (true, Some((key, value))) = (in_default, line.split_once('=')) {
            match key.trim() {
                "aws_access_key_id" => id = Some(value.trim().to_string()),
                "aws_secret_access_key" => secret = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    Some(RootCredentials {
        access_key_id: id.filter(|v| !v.is_empty())?,
        secret_access_key: Secret::new(secret.filter(|v| !v.is_empty())?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (first, source) = load(dir.path(), None, None).unwrap();
        assert!(matches!(source, Source::Generated));
        let mode = std::fs::metadata(dir.path().join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, source) = load(dir.path(), None, None).unwrap();
        assert!(matches!(source, Source::File));
        assert_eq!(again.access_key_id, first.access_key_id);
        assert_eq!(again.secret_access_key, first.secret_access_key);
    }

    #[test]
    fn environment_wins_and_must_be_complete() {
        let dir = tempfile::tempdir().unwrap();
        let (root, _) = load(dir.path(), Some("AKIAX".into()), Some("s".into())).unwrap();
        assert_eq!(root.access_key_id, "AKIAX");
        assert!(!dir.path().join(FILE_NAME).exists());
        assert!(load(dir.path(), Some("AKIAX".into()), None).is_err());
    }
}
