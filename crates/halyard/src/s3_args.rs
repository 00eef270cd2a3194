//! The flags of an S3-compatible endpoint for exports and imports, and its
//! credentials: from a credentials file given by flag, else the standard
//! AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
//! AWS_SESSION_TOKEN), else the shared credentials file
//! (AWS_SHARED_CREDENTIALS_FILE or `~/.aws/credentials`), under the profile
//! `--s3-profile` (AWS_PROFILE, or `default`).

use std::path::{Path, PathBuf};

use halyard_engine::S3Settings;

#[derive(clap::Args, Clone)]
pub struct S3Args {
    /// An S3-compatible endpoint (`http(s)://host:port`) that holds the
    /// buckets exports write to and imports read from, instead of the
    /// directories below `--bucket-root`.
    #[arg(long, env = "HALYARD_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// The region requests to the endpoint are signed for.
    #[arg(long, env = "HALYARD_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// `on`: the bucket goes in the path (`endpoint/bucket/key`), as most
    /// S3-compatible servers want. `off`: in the host name
    /// (`bucket.endpoint/key`), as AWS prefers.
    #[arg(long, env = "HALYARD_S3_PATH_STYLE", value_enum, default_value = "on")]
    pub s3_path_style: crate::Switch,
    /// A credentials file in the AWS format (`[profile]` sections with
    /// aws_access_key_id, aws_secret_access_key and aws_session_token).
    #[arg(long, env = "HALYARD_S3_CREDENTIALS_FILE")]
    pub s3_credentials_file: Option<PathBuf>,
    /// The profile read from a credentials file (default: AWS_PROFILE, or
    /// `default`).
    #[arg(long, env = "HALYARD_S3_PROFILE")]
    pub s3_profile: Option<String>,
}

impl S3Args {
    /// The endpoint's settings, if one is given; an error says what is
    /// missing.
    pub fn settings(&self) -> Result<Option<S3Settings>, String> {
        let Some(endpoint) = self.s3_endpoint.clone() else {
            return Ok(None);
        };
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(format!("--s3-endpoint must be an http:// or https:// URL: {endpoint}"));
        }
        let profile = self
            .s3_profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .unwrap_or_else(|| "default".into());
        let credentials = match &self.s3_credentials_file {
            Some(file) => from_file(file, &profile)?
                .ok_or_else(|| format!("{} has no credentials for profile {profile}", file.display()))?,
            None => match from_environment() {
                Some(credentials) => credentials,
                None => shared_file()
                    .map(|file| from_file(&file, &profile))
                    .transpose()?
                    .flatten()
                    .ok_or(
                        "--s3-endpoint needs credentials: --s3-credentials-file, AWS_ACCESS_KEY_ID and \
                         AWS_SECRET_ACCESS_KEY, or a shared credentials file",
                    )?,
            },
        };
        Ok(Some(S3Settings {
            endpoint,
            region: self.s3_region.clone(),
            path_style: self.s3_path_style == crate::Switch::On,
            access_key_id: credentials.0,
            secret_access_key: credentials.1,
            session_token: credentials.2,
        }))
    }
}

/// An access key id, its secret and a session token.
type Credentials = (String, String, Option<String>);

fn from_environment() -> Option<Credentials> {
    let id = std::env::var("AWS_ACCESS_KEY_ID").ok()?;
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").ok()?;
    Some((id, secret, std::env::var("AWS_SESSION_TOKEN").ok()))
}

fn shared_file() -> Option<PathBuf> {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".aws/credentials")))
        .filter(|file| file.is_file())
}

/// The profile's credentials in an AWS credentials file (INI: `[name]`
/// sections of `key = value` lines, `#` and `;` starting comments).
fn from_file(file: &Path, profile: &str) -> Result<Option<Credentials>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let (mut id, mut secret, mut token) = (None, None, None);
    let mut in_profile = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
        } else if let (true, Some((key, value))) = (in_profile, line.split_once('=')) {
            let value = Some(value.trim().to_string());
            match key.trim() {
                "aws_access_key_id" => id = value,
                "aws_secret_access_key" => secret = value,
                "aws_session_token" => token = value,
                _ => {}
            }
        }
    }
    Ok(id.zip(secret).map(|(id, secret)| (id, secret, token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "# keys\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key=secret1\n\n\
             [other]\naws_access_key_id=AKIDOTHER\naws_secret_access_key = secret2\naws_session_token = tok\n",
        )
        .unwrap();
        assert_eq!(
            from_file(&file, "default").unwrap(),
            Some(("AKIDDEFAULT".into(), "secret1".into(), None))
        );
        assert_eq!(
            from_file(&file, "other").unwrap(),
            Some(("AKIDOTHER".into(), "secret2".into(), Some("tok".into())))
        );
        assert_eq!(from_file(&file, "missing").unwrap(), None);
    }
}
