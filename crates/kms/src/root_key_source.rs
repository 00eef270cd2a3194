//! Where the root key comes from: a key file, the `HALYARD_ROOT_KEY`
//! environment variable, or the output of a command (a secret manager's or
//! an HSM tool's), in that order of preference, each holding the 32 key
//! bytes as 64 hex digits or as base64 (44 characters). When none is
//! configured, the key lives in a file beside the data directory, generated
//! on the first start.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::envelope::{SecretKey, KEY_LEN};
use crate::RootKey;

/// The environment variable that may hold the root key.
pub const ENVIRONMENT_VARIABLE: &str = "HALYARD_ROOT_KEY";

/// How the root key is configured.
#[derive(Debug, Clone, Default)]
pub struct RootKeyConfig {
    pub file: Option<PathBuf>,
    /// Taken from the process environment by the caller (so that a test
    /// need not change its own environment).
    pub environment: Option<Zeroizing<String>>,
    /// Run with `sh -c`; its standard output is the key.
    pub command: Option<String>,
}

/// Where the key in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootKeySource {
    File(PathBuf),
    Environment,
    Command(String),
    /// The file beside the data directory, generated at an earlier start.
    DefaultFile(PathBuf),
    /// The file beside the data directory, generated now.
    Generated(PathBuf),
    /// Only in memory, for a store that lives no longer than the process.
    Ephemeral,
}

impl std::fmt::Display for RootKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RootKeySource::File(path) => write!(f, "--root-key-file {}", path.display()),
            RootKeySource::Environment => write!(f, "the environment variable {ENVIRONMENT_VARIABLE}"),
            RootKeySource::Command(command) => write!(f, "--root-key-command {command:?}"),
            RootKeySource::DefaultFile(path) | RootKeySource::Generated(path) => {
                write!(f, "the generated root key file {}", path.display())
            }
            RootKeySource::Ephemeral => f.write_str("a key generated for this run only"),
        }
    }
}

/// Why no root key could be had. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum RootKeyError {
    #[error("cannot read the root key file {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("cannot write the new root key file {path}: {source}")]
    WriteFile { path: PathBuf, source: std::io::Error },
    #[error("the root key command {command:?} could not run: {source}")]
    CommandFailed { command: String, source: std::io::Error },
    #[error("the root key command {command:?} failed ({status})")]
    CommandStatus { command: String, status: String },
    #[error("the root key from {from} is not {KEY_LEN} bytes written as 64 hex digits or as base64")]
    Malformed { from: RootKeySource },
    #[error("more than one root key is configured ({0}); give one")]
    Ambiguous(String),
    #[error("the data directory {0} has no name to put its root key file beside it (such as <name>.root-key); give --root-key-file")]
    NoPlaceBeside(PathBuf),
    #[error("the system's random number generator failed")]
    Random,
}

/// Reads the key from text: 64 hex digits, or base64 of 32 bytes, with
/// surrounding white space ignored.
pub fn parse(text: &[u8], source: &RootKeySource) -> Result<RootKey, RootKeyError> {
    let malformed = || RootKeyError::Malformed { from: source.clone() };
    let text = std::str::from_utf8(text).map_err(|_| malformed())?.trim();
    let bytes: Zeroizing<Vec<u8>> = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Zeroizing::new(
            (0..KEY_LEN)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| malformed()))
                .collect::<Result<_, _>>()?,
        )
    } else {
        Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| malformed())?,
        )
    };
    SecretKey::from_bytes(&bytes).map(RootKey::new).map_err(|_| malformed())
}

/// The file the root key is generated into when none is configured:
/// `<data-dir>.root-key`, beside the data directory, so that a copy of the
/// directory does not carry the key that opens it.
pub fn default_file(data_dir: &Path) -> Result<PathBuf, RootKeyError> {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let name = absolute
        .file_name()
        .ok_or_else(|| RootKeyError::NoPlaceBeside(data_dir.to_path_buf()))?;
    let mut file_name = name.to_os_string();
    file_name.push(".root-key");
    Ok(absolute.with_file_name(file_name))
}

/// The configured root key, if one is configured.
pub fn configured(config: &RootKeyConfig) -> Result<Option<(RootKey, RootKeySource)>, RootKeyError> {
    let given: Vec<&str> = [
        config.file.as_ref().map(|_| "--root-key-file"),
        config.environment.as_ref().map(|_| ENVIRONMENT_VARIABLE),
        config.command.as_ref().map(|_| "--root-key-command"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() > 1 {
        return Err(RootKeyError::Ambiguous(given.join(", ")));
    }
    if let Some(path) = &config.file {
        let source = RootKeySource::File(path.clone());
        return read_file(path).and_then(|text| parse(&text, &source).map(|key| Some((key, source))));
    }
    if let Some(text) = &config.environment {
        let source = RootKeySource::Environment;
        return parse(text.as_bytes(), &source).map(|key| Some((key, source)));
    }
    if let Some(command) = &config.command {
        let source = RootKeySource::Command(command.clone());
        return run(command).and_then(|text| parse(&text, &source).map(|key| Some((key, source))));
    }
    Ok(None)
}

/// The key in the default file beside the data directory, if it exists.
pub fn existing_default(data_dir: &Path) -> Result<Option<(RootKey, RootKeySource)>, RootKeyError> {
    let path = default_file(data_dir)?;
    match std::fs::read(&path) {
        Ok(text) => {
            let text = Zeroizing::new(text);
            let source = RootKeySource::DefaultFile(path);
            parse(&text, &source).map(|key| Some((key, source)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RootKeyError::ReadFile { path, source }),
    }
}

/// Generates a root key into the default file beside the data directory
/// (0600, never over an existing file).
pub fn generate_default(data_dir: &Path) -> Result<(RootKey, RootKeySource), RootKeyError> {
    let path = default_file(data_dir)?;
    let key = SecretKey::generate().map_err(|_| RootKeyError::Random)?;
    let mut text = Zeroizing::new(String::with_capacity(2 * KEY_LEN + 1));
    for byte in key.expose() {
        text.push_str(&format!("{byte:02x}"));
    }
    text.push('\n');
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Some(parent) = path.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|source| RootKeyError::WriteFile {
        path: path.clone(),
        source,
    })?;
    Ok((RootKey::new(key), RootKeySource::Generated(path)))
}

fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| RootKeyError::ReadFile {
            path: path.to_path_buf(),
            source,
        })
}

fn run(command: &str) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| RootKeyError::CommandFailed {
            command: command.to_string(),
            source,
        })?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        return Err(RootKeyError::CommandStatus {
            command: command.to_string(),
            status: output.status.to_string(),
        });
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn same(a: &RootKey, b: &RootKey) -> bool {
        let probe = SecretKey::generate().unwrap();
        let wrapped = a.wrap(b"probe", &probe).unwrap();
        b.unwrap_key(b"probe", &wrapped).is_ok()
    }

    #[test]
    fn hex_and_base64_name_the_same_key() {
        let source = RootKeySource::Environment;
        let from_hex = parse(format!("  {HEX}\n").as_bytes(), &source).unwrap();
        let bytes: Vec<u8> = (0u8..32).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let from_base64 = parse(encoded.as_bytes(), &source).unwrap();
        assert!(same(&from_hex, &from_base64));
        for bad in ["", "00", &HEX[..62], "not a key at all", &format!("{HEX}00")] {
            let error = parse(bad.as_bytes(), &source).expect_err("refused");
            assert!(error.to_string().contains("64 hex digits or as base64"), "{error}");
        }
    }

    #[test]
    fn file_environment_and_command_give_the_key_and_only_one_may_be_configured() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("root.key");
        std::fs::write(&file, HEX).unwrap();
        let from = |config: RootKeyConfig| configured(&config).unwrap().unwrap();
        let (by_file, source) = from(RootKeyConfig {
            file: Some(file.clone()),
            ..Default::default()
        });
        assert_eq!(source, RootKeySource::File(file.clone()));
        let (by_env, _) = from(RootKeyConfig {
            environment: Some(Zeroizing::new(HEX.to_string())),
            ..Default::default()
        });
        let (by_command, _) = from(RootKeyConfig {
            command: Some(format!("cat '{}'", file.display())),
            ..Default::default()
        });
        assert!(same(&by_file, &by_env) && same(&by_env, &by_command));
        let failing = configured(&RootKeyConfig {
            command: Some("exit 3".into()),
            ..Default::default()
        });
        assert!(matches!(failing, Err(RootKeyError::CommandStatus { .. })));
        let both = configured(&RootKeyConfig {
            file: Some(file),
            command: Some("true".into()),
            ..Default::default()
        });
        assert!(matches!(both, Err(RootKeyError::Ambiguous(_))));
    }

    #[test]
    fn the_generated_key_lands_beside_the_data_directory_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        assert!(existing_default(&data).unwrap().is_none());
        let (generated, source) = generate_default(&data).unwrap();
        let path = dir.path().join("data.root-key");
        assert_eq!(source, RootKeySource::Generated(path.clone()));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let (again, _) = existing_default(&data).unwrap().unwrap();
        assert!(same(&generated, &again));
        // Never over an existing key.
        assert!(generate_default(&data).is_err());
    }
}
